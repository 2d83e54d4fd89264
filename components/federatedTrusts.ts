// Federated identity credentials from the trusts a user declares: one issuer, subject and audience
// per trust, checked before anything is created. Pure: no Pulumi, no network. Sources:
// - fields and limits (name ≤ 120 URL-friendly characters, issuer/subject/audience ≤ 600, one audience,
//   issuer+subject unique within the app): https://learn.microsoft.com/graph/api/resources/federatedidentitycredential
// - "Maximum of 20 objects can be added to an application":
//   https://learn.microsoft.com/graph/api/application-post-federatedidentitycredentials and
//   https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations
// - audience api://AzureADTokenExchange (Microsoft Entra ID, public cloud): same resource page
// - GitHub subjects repo:<owner>/<repo>:environment:<env> | :ref:refs/heads/<b> | :ref:refs/tags/<t> | :pull_request,
//   issuer https://token.actions.githubusercontent.com:
//   https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust (GitHub Actions tab)
// - Kubernetes subject system:serviceaccount:<namespace>:<service account>, issuer = the cluster's OIDC issuer URL:
//   https://learn.microsoft.com/azure/aks/workload-identity-overview
// - Azure DevOps, Azure DevOps issuer https://vstoken.dev.azure.com/<organization id>, subject
//   sc://<organization>/<project>/<service connection>; that issuer retires on 1 July 2027 for single-tenant
//   apps in the public cloud, new connections use the Entra issuer, whose issuer and subject Azure DevOps shows
//   (declare those with kind "oidc"): https://learn.microsoft.com/azure/devops/pipelines/release/convert-service-connections
// - a managed identity as a federated credential (preview, same tenant): issuer
//   https://login.microsoftonline.com/<tenant id>/v2.0, subject = the identity's object (principal) id:
//   https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity
import { InputError } from "../lib/errors";

export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
export const MAX_FEDERATED_CREDENTIALS = 20;
export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
export const AZURE_DEVOPS_ISSUER_PREFIX = "https://vstoken.dev.azure.com/";
const MAX_NAME = 120;
const MAX_FIELD = 600;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const URL_FRIENDLY = /^[A-Za-z0-9._~-]+$/;

interface TrustBase {
    /** The credential's name in Entra (URL friendly, ≤ 120 characters, immutable); default derived from the trust. */
    name?: string;
    /** The `aud` the token carries; default api://AzureADTokenExchange (other clouds use their own). */
    audience?: string;
}

/** GitHub Actions: the repository plus exactly one of environment, branch, tag or pullRequest. */
export interface GitHubTrust extends TrustBase {
    kind: "github";
    /** owner/repository. */
    repository: string;
    environment?: string;
    branch?: string;
    tag?: string;
    pullRequest?: true;
}

/** An Azure DevOps service connection, federated through the Azure DevOps issuer. */
export interface AzureDevOpsTrust extends TrustBase {
    kind: "azureDevOps";
    organization: string;
    /** The organization's id (a GUID), the last segment of the issuer Azure DevOps shows. */
    organizationId: string;
    project: string;
    serviceConnection: string;
}

/** Kubernetes workload identity: a service account of a cluster whose OIDC issuer Entra trusts. */
export interface KubernetesTrust extends TrustBase {
    kind: "kubernetes";
    /** The cluster's OIDC issuer URL (AKS: oidcIssuerProfile.issuerURL). */
    issuer: string;
    namespace: string;
    serviceAccount: string;
}

/** A user-assigned managed identity of the same tenant (preview). */
export interface ManagedIdentityTrust extends TrustBase {
    kind: "managedIdentity";
    tenantId: string;
    /** The identity's object (principal) id. */
    principalId: string;
    /** Default https://login.microsoftonline.com. */
    authorityHost?: string;
}

/** Any other OpenID Connect issuer, e.g. the Entra issuer Azure DevOps shows for a new service connection. */
export interface OidcTrust extends TrustBase {
    kind: "oidc";
    issuer: string;
    subject: string;
    name: string;
}

export type FederatedTrust = GitHubTrust | AzureDevOpsTrust | KubernetesTrust | ManagedIdentityTrust | OidcTrust;

/** What one azuread.ApplicationFederatedIdentityCredential receives. */
export interface FederatedCredentialSpec {
    name: string;
    issuer: string;
    subject: string;
    audiences: string[];
    description: string;
}

/** The credentials for `trusts`, in order; throws InputError naming resource, field and fix on the first problem. */
export function federatedCredentials(resource: string, trusts: readonly FederatedTrust[]): FederatedCredentialSpec[] {
    if (trusts.length > MAX_FEDERATED_CREDENTIALS) {
        throw new InputError(resource, "trusts", `has ${trusts.length} entries; Entra holds at most ${MAX_FEDERATED_CREDENTIALS} federated identity credentials per application`,
            "Split the workloads over more than one app, or trust a GitHub environment instead of one credential per branch.");
    }
    const specs = trusts.map((trust, i) => credentialFor(resource, `trusts[${i}]`, trust));
    const seenNames = new Map<string, number>();
    const seenPairs = new Map<string, number>();
    specs.forEach((spec, i) => {
        const earlier = seenNames.get(spec.name.toLowerCase());
        if (earlier !== undefined) throw new InputError(resource, `trusts[${i}].name`, `"${spec.name}" is also the name of trusts[${earlier}]; names are unique within an app`, "Give one of them its own `name`.");
        seenNames.set(spec.name.toLowerCase(), i);
        const pair = `${spec.issuer}\n${spec.subject}`;
        const same = seenPairs.get(pair);
        if (same !== undefined) throw new InputError(resource, `trusts[${i}]`, `trusts the same issuer and subject as trusts[${same}] (${spec.subject}); Entra refuses a second credential for one pair`, "Remove the duplicate.");
        seenPairs.set(pair, i);
    });
    return specs;
}

function credentialFor(resource: string, field: string, trust: FederatedTrust): FederatedCredentialSpec {
    const audience = trust.audience ?? TOKEN_EXCHANGE_AUDIENCE;
    const { issuer, subject, defaultName, description } = issuerAndSubject(resource, field, trust);
    const name = trust.name ?? defaultName;
    checkLength(resource, `${field}.issuer`, issuer);
    checkLength(resource, `${field}.subject`, subject);
    checkLength(resource, `${field}.audience`, audience);
    if (name.length === 0 || name.length > MAX_NAME || !URL_FRIENDLY.test(name)) {
        throw new InputError(resource, `${field}.name`, `is "${name}", not 1 to ${MAX_NAME} URL-friendly characters (letters, digits, . _ ~ -)`, "Set `name` to a short slug such as github-production.");
    }
    return { name, issuer, subject, audiences: [audience], description };
}

function issuerAndSubject(resource: string, field: string, trust: FederatedTrust) {
    switch (trust.kind) {
        case "github": return github(resource, field, trust);
        case "azureDevOps": {
            for (const key of ["organization", "project", "serviceConnection"] as const) required(resource, `${field}.${key}`, trust[key]);
            guid(resource, `${field}.organizationId`, trust.organizationId, "Copy the id from the issuer Azure DevOps shows on the service connection (https://vstoken.dev.azure.com/<id>).");
            return {
                issuer: `${AZURE_DEVOPS_ISSUER_PREFIX}${trust.organizationId.toLowerCase()}`,
                subject: `sc://${trust.organization}/${trust.project}/${trust.serviceConnection}`,
                defaultName: slug(`azure-devops-${trust.project}-${trust.serviceConnection}`),
                description: `Azure DevOps service connection ${trust.organization}/${trust.project}/${trust.serviceConnection}`,
            };
        }
        case "kubernetes": {
            httpsUrl(resource, `${field}.issuer`, trust.issuer);
            for (const key of ["namespace", "serviceAccount"] as const) {
                // Kubernetes names are DNS labels / subdomains: lower case, digits, '-' and '.'.
                if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(trust[key] ?? "")) {
                    throw new InputError(resource, `${field}.${key}`, `is "${trust[key] ?? ""}", not a Kubernetes name`, "Use the namespace and service account name exactly as in the cluster (lower case).");
                }
            }
            return {
                issuer: trust.issuer,
                subject: `system:serviceaccount:${trust.namespace}:${trust.serviceAccount}`,
                defaultName: slug(`kubernetes-${trust.namespace}-${trust.serviceAccount}`),
                description: `Kubernetes service account ${trust.namespace}/${trust.serviceAccount}`,
            };
        }
        case "managedIdentity": {
            guid(resource, `${field}.tenantId`, trust.tenantId, "Use this app's own tenant id: a managed identity is trusted only within its tenant.");
            guid(resource, `${field}.principalId`, trust.principalId, "Use the identity's object (principal) id, not its client id.");
            const host = (trust.authorityHost ?? "https://login.microsoftonline.com").replace(/\/+$/, "");
            httpsUrl(resource, `${field}.authorityHost`, host);
            return {
                issuer: `${host}/${trust.tenantId.toLowerCase()}/v2.0`,
                subject: trust.principalId.toLowerCase(),
                defaultName: slug(`managed-identity-${trust.principalId}`),
                description: `Managed identity ${trust.principalId} (preview feature)`,
            };
        }
        case "oidc": {
            httpsUrl(resource, `${field}.issuer`, trust.issuer);
            required(resource, `${field}.subject`, trust.subject);
            return { issuer: trust.issuer, subject: trust.subject, defaultName: trust.name, description: `OIDC ${trust.issuer}` };
        }
        default:
            throw new InputError(resource, `${field}.kind`, `is ${JSON.stringify((trust as { kind?: unknown }).kind)}`, "Use one of github, azureDevOps, kubernetes, managedIdentity, oidc.");
    }
}

function github(resource: string, field: string, trust: GitHubTrust) {
    if (!/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(trust.repository ?? "")) {
        throw new InputError(resource, `${field}.repository`, `is "${trust.repository ?? ""}", not owner/repository`, "Write it as on GitHub, e.g. contoso/billing-api.");
    }
    const chosen = (["environment", "branch", "tag", "pullRequest"] as const).filter((k) => trust[k] !== undefined);
    if (chosen.length !== 1) {
        throw new InputError(resource, field, `names ${chosen.length === 0 ? "none" : chosen.join(" and ")} of environment, branch, tag, pullRequest`, "Give exactly one: each is its own subject, so declare one trust per environment or branch.");
    }
    const [key] = chosen;
    const value = key === "pullRequest" ? "" : required(resource, `${field}.${key}`, trust[key] as string);
    const entity = key === "environment" ? `environment:${value}` : key === "branch" ? `ref:refs/heads/${value}` : key === "tag" ? `ref:refs/tags/${value}` : "pull_request";
    const label = key === "pullRequest" ? "pull-request" : `${key}-${value}`;
    return {
        issuer: GITHUB_ISSUER,
        subject: `repo:${trust.repository}:${entity}`,
        defaultName: slug(`github-${trust.repository.split("/")[1]}-${label}`),
        description: `GitHub Actions ${trust.repository} ${entity}`,
    };
}

/** A URL-friendly name of at most 120 characters. */
export function slug(text: string): string {
    return text.replace(/[^A-Za-z0-9._~-]+/g, "-").replace(/-+/g, "-").replace(/^-|-$/g, "").slice(0, MAX_NAME);
}

function required(resource: string, field: string, value: string | undefined): string {
    if (typeof value !== "string" || value.trim() === "" || value !== value.trim()) {
        // Entra blocks an exchange whose issuer or subject has leading or trailing whitespace (workload-identity-federation-considerations).
        throw new InputError(resource, field, `is ${JSON.stringify(value ?? null)}`, "Give a non-empty value without leading or trailing spaces.");
    }
    return value;
}

function guid(resource: string, field: string, value: string | undefined, fix: string): void {
    if (!GUID.test(value ?? "")) throw new InputError(resource, field, `is "${value ?? ""}", not a GUID`, fix);
}

function httpsUrl(resource: string, field: string, value: string | undefined): void {
    let url: URL | undefined;
    try { url = new URL(required(resource, field, value)); } catch (error) { if ((error as Error).name === "InputError") throw error; }
    if (!url || url.protocol !== "https:") throw new InputError(resource, field, `is "${value}", not an https URL`, "Use the issuer URL exactly as the identity provider publishes it (https://...).");
}

function checkLength(resource: string, field: string, value: string): void {
    if (value.length > MAX_FIELD) throw new InputError(resource, field, `is ${value.length} characters; Entra allows ${MAX_FIELD}`, "Shorten it.");
}
