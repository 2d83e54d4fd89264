import * as pulumi from "@pulumi/pulumi";
import { TYPE_TOKENS } from "./typeTokens";
import * as azuread from "@pulumi/azuread";
import * as authorization from "@pulumi/azure-native/authorization";
import { CredentialSummary, RotatingPassword } from "./rotatingPassword";
import { RotationSettings } from "./schedule";
import { Reader, registerSecretWriter, secretOwnership } from "./validate";
import { parseRotatedAppRegistrationArgs } from "./rotatedAppRegistrationPlan";
import { VaultSecret } from "./vaultSecret";
import { declaredOwners, ownersInput, stackConfigOwners } from "./owners";
import { formerNames } from "./ownerUnion";
import { scheduleRecordOf } from "./provider/scheduleRecord";
import { FederatedTrust } from "./federatedTrusts";
import { declareFederatedCredentials } from "./federatedCredentials";
import { ConsumerKind, consumersTag } from "../policies/lib/consumerHints";
import { deployingClientConfig } from "./deploymentIdentity";
import { CredentialProofArgs } from "./proofSettings";
import { InputError } from "../lib/errors";
import { canonicalVaultUrl } from "./provider/vaultSecretDiff";
import type { RetireSettings, RetirementDecision } from "./retirementGate";
import { IN_USE_CONTENT_TYPE, inUseAlert, inUseAlertName, keptInUse, previousInUseNote } from "./inUseAlert";
import { lastState } from "./lastState";

/** Built-in role "Key Vault Secrets User": read secret contents. */
export const KEY_VAULT_SECRETS_USER_ROLE_ID = "4633458b-17de-408a-b874-0445c86b69e6";

export interface VaultTarget {
    /**
     * Vault URI, https://<name>.vault.azure.net (or a sovereign-cloud vault host). An Output, such as
     * `vault.properties.vaultUri` of a vault declared in the same program, is checked by the VaultSecret
     * provider once known, before any write; a plain string is checked before anything is declared.
     */
    url: pulumi.Input<string>;
    /**
     * Secret that receives the in-service client secret; ^[0-9a-zA-Z-]{1,127}$. Checked like `url`. Only
     * when both are plain strings can the program refuse a second writer of the same secret before anything is declared.
     */
    secretName: pulumi.Input<string>;
    /** ARM id of the vault; needed for readers. */
    resourceId?: pulumi.Input<string>;
}

export interface RotatedAppRegistrationArgs {
    /** Display name of the app registration in Entra ID. */
    displayName: pulumi.Input<string>;
    /**
     * ISO-8601 schedule; `every` defaults to P89D, `validFor` to max(2 × every + 1 day, every + 15 days).
     * To change a schedule without cutting off cached credentials, set `since` and `previous`.
     */
    rotation?: RotationSettings;
    /**
     * The tenant's password lifetime limit (app management policy passwordLifetime maxLifetime,
     * ISO-8601, e.g. "P180D"); the schedule is checked against it before anything is created.
     */
    maxLifetime?: string;
    /** Where the in-service client secret is written. */
    vault: VaultTarget;
    /**
     * Principals given "Key Vault Secrets User" on this one secret; needs vault.resourceId. Each is
     * an object id (a string), or { name, principalId } when the id is an Output: each role
     * assignment is named after its principal (or name), so removing one reader touches no other.
     */
    readers?: Reader[];
    /**
     * Owners (object ids, at most 100) of the application and its service principal, the same
     * whoever deploys; default: stack config `keyrelay:owners`. List the pipeline's service principal:
     * under Application.ReadWrite.OwnedBy it must own both. With neither, the principal that creates
     * the app owns it, and each later run adds its deployer and removes no one (components/owners.ts).
     */
    owners?: pulumi.Input<string>[];
    /**
     * The name the app's rotation day is derived from (a fleet's rotations spread over the period by
     * name); default the resource name, or the former name when `aliases` names one. After a rename,
     * set it to the old name before you remove the alias: a new key moves the rotation day.
     */
    rotationKey?: string;
    /** Further azuread.Application arguments, passed through (owners: use `owners`). */
    application?: Omit<azuread.ApplicationArgs, "displayName" | "owners">;
    /** Leave the Key Vault secret in place when this component is deleted; default false (see VaultSecretArgs.retainOnDelete). */
    retainOnDelete?: boolean;
    /** Take over a secret whose newest version another stack wrote, for the one run that moves it here; default false (see VaultSecretArgs.adopt). */
    adopt?: boolean;
    /**
     * Federated trusts declared beside the password: step 1 of the move off secrets (docs/secretless.md).
     * Same credentials, same names, as FederatedAppRegistration's `trusts`.
     */
    federated?: FederatedTrust[];
    /** Who reads the secret (a hint, recorded as an application tag); the pack's prefer-federated reads it. */
    consumers?: ConsumerKind[];
    /**
     * Proof before promote: each new password gets a token from Entra `attempts` times in a row
     * (default 3) within `within` (default PT5M) before Key Vault points at it; otherwise the run
     * fails and Key Vault keeps the previous one. `false` only where the deployment cannot reach
     * Entra's token endpoint (docs/proof.md).
     */
    proof?: Pick<CredentialProofArgs, "attempts" | "within"> | false;
    /**
     * The evidence gate (needs Entra ID P1/P2 and AuditLog.Read.All; docs/secretless.md): a retiring
     * credential is asked about once it has been out of Key Vault for `unusedFor` (ISO-8601, P1D to P30D).
     * No sign-in in that window: it retires then. A sign-in, or no answer: it stays until its own end.
     */
    retire?: RetireSettings;
}

/** The object id of the principal running the deployment: one getClientConfig per deployment. */
export function deployingPrincipal(): pulumi.Output<string> {
    return deployingClientConfig().objectId;
}

/** Checks every input; throws before any resource is declared. Returns the vault URL (canonical when a plain string). */
/** @internal */
export function validateRotatedAppRegistration(name: string, args: RotatedAppRegistrationArgs): pulumi.Input<string> {
    const plan = parseRotatedAppRegistrationArgs(name, args);
    const { url, secretName } = plan.vault;
    if (typeof url === "string" && typeof secretName === "string") secretOwnership(pulumi.runtime.getMonitor() as object | undefined).claim(url, secretName, plan.resource);
    return url;
}

/**
 * An Entra app registration whose client secret rotates itself into Key Vault on every scheduled `pulumi up`.
 *
 * @example
 * ```ts
 * import { RotatedAppRegistration } from "keyrelay";
 *
 * const billing = new RotatedAppRegistration("billing-api", {
 *     displayName: "billing-api",
 *     rotation: { every: "P60D" },
 *     vault: { url: "https://kv-platform.vault.azure.net", secretName: "billing-api-client-secret" },
 * });
 * export const secretUri = billing.secretUri; // versionless: consumers read the newest version
 * ```
 */
export class RotatedAppRegistration extends pulumi.ComponentResource {
    /** Application (client) id. */
    public readonly clientId: pulumi.Output<string>;
    /** Object id of the service principal. */
    public readonly servicePrincipalObjectId: pulumi.Output<string>;
    /** Versionless secret URI: consumers always read the newest version. */
    public readonly secretUri: pulumi.Output<string>;
    /** End of the credential in service, RFC 3339. */
    public readonly expiresAt: pulumi.Output<string>;
    /** When a run will next issue a credential, RFC 3339. */
    public readonly nextRotation: pulumi.Output<string>;
    /** Every live credential (metadata only). */
    public readonly credentials: pulumi.Output<CredentialSummary[]>;
    /** The evidence gate's decision per retiring credential it asked about this run (empty without `retire`). */
    public readonly retirement: pulumi.Output<RetirementDecision[]>;
    /**
     * Versionless URI of `<secretName>-in-use`, the alert secret written while the gate keeps a retiring
     * credential in use (components/inUseAlert.ts); undefined when none is kept in use, or without `retire`.
     */
    public readonly inUseAlert: pulumi.Output<string | undefined>;
    public readonly application: azuread.Application;
    public readonly servicePrincipal: azuread.ServicePrincipal;
    public readonly password: RotatingPassword;
    public readonly vaultSecret: VaultSecret;

    constructor(name: string, args: RotatedAppRegistrationArgs, opts?: pulumi.ComponentResourceOptions) {
        const former = formerNames(opts?.aliases);
        const plan = parseRotatedAppRegistrationArgs(name, args, undefined, former[0]);
        const { secretName } = plan.vault;
        // A URL known only at deployment (a vault declared in the same program) is canonicalised once known;
        // the provider's check() then checks it, and the name, before any write.
        const vaultUrl = typeof plan.vault.url === "string" ? plan.vault.url
            : pulumi.output(plan.vault.url).apply((url) => (typeof url === "string" ? canonicalVaultUrl(url) : url));
        const claimed = typeof vaultUrl === "string" && typeof secretName === "string" ? { vaultUrl, secretName } : undefined;
        const declared = declaredOwners(plan.owners, stackConfigOwners(plan.resource));
        if (claimed) secretOwnership(pulumi.runtime.getMonitor() as object | undefined).claim(claimed.vaultUrl, claimed.secretName, plan.resource);
        // Claimed now, under the label its VaultSecret claims it with, so another writer of that name is refused before anything is declared.
        if (claimed && plan.retire) secretOwnership(pulumi.runtime.getMonitor() as object | undefined).claim(claimed.vaultUrl, inUseAlertName(claimed.secretName), `VaultSecret "${name}-in-use"`, "name");
        super(TYPE_TOKENS.rotatedAppRegistration, name, {}, opts);
        registerSecretWriter(this, plan.resource);
        const parent = { parent: this };

        // No app is created until the program has declared every writer of this secret (see SecretOwnership).
        const ownership = secretOwnership(pulumi.runtime.getMonitor() as object | undefined);
        const displayName = pulumi.output(args.displayName).apply(async (d) => {
            if (claimed) await ownership.afterDeclarations(claimed.vaultUrl, claimed.secretName);
            return d;
        });
        // Application.ReadWrite.OwnedBy: the deploying principal must own the application and the
        // service principal (notes atop application.d.ts, servicePrincipal.d.ts, applicationPassword.d.ts
        // in @pulumi/azuread). Owners never follow whoever ran last: components/owners.ts.
        const { owners, ignoreChanges } = ownersInput(plan.resource, name, declared, deployingPrincipal(), former);
        const tags = plan.consumers ? [...(args.application?.tags as string[] | undefined ?? []), consumersTag([...plan.consumers])] : args.application?.tags;
        this.application = new azuread.Application(name, { ...args.application, displayName, owners, ...(tags ? { tags } : {}) }, { parent: this, ignoreChanges });
        this.servicePrincipal = new azuread.ServicePrincipal(`${name}-sp`, { clientId: this.application.clientId, owners }, { parent: this, ignoreChanges });
        this.password = new RotatingPassword(`${name}-password`, {
            applicationId: this.application.id,
            plan: plan.schedule,
            displayName: name,
            ...(plan.retire ? { retire: plan.retire } : {}),
        }, parent);

        this.vaultSecret = new VaultSecret(`${name}-secret`, {
            vaultUrl,
            name: secretName,
            value: this.password.value,
            expiresOn: this.password.endDate,
            notBefore: this.password.startDate,
            // No contentType: the provider writes its default, text/plain, and diff reads absent as that
            // (vaultSecretDiff.ts DEFAULT_CONTENT_TYPE), so it costs nothing in state.
            tags: {
                app: name,
                "client-id": this.application.clientId,
                "key-id": this.password.keyId,
                "rotation-every": plan.everyInForce,
                "next-rotation": this.password.nextRotation,
            },
            ...(args.retainOnDelete !== undefined ? { retainOnDelete: args.retainOnDelete } : {}),
            ...(args.adopt !== undefined ? { adopt: args.adopt } : {}),
            // The client id is the client-id tag already: the provider reads it from there (proveBeforeWrite.ts proofFor).
            proof: args.proof === false ? false : { ...args.proof, tenantId: deployingClientConfig().tenantId },
            schedule: scheduleRecordOf(plan.schedule.schedule),
        }, parent);

        declareFederatedCredentials(this, name, this.application.id, [...plan.federated]);

        plan.readers.forEach(({ key, principalId }, index) => {
            const vaultId = pulumi.output(plan.vault.resourceId!);
            // Earlier releases named assignments by list position: the alias carries each one over
            // unchanged (a new assignment of the same principal, role and scope would get 409).
            new authorization.RoleAssignment(`${name}-reader-${key}`, {
                principalId,
                scope: pulumi.interpolate`${vaultId}/secrets/${secretName}`,
                roleDefinitionId: vaultId.apply((id) => `${subscriptionScope(id, plan.resource)}/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_SECRETS_USER_ROLE_ID}`),
            }, { parent: this, dependsOn: [this.vaultSecret], aliases: [{ name: `${name}-reader-${index}` }] });
        });

        this.clientId = this.application.clientId;
        this.servicePrincipalObjectId = this.servicePrincipal.objectId;
        const secretUri = plan.vault.secretUri ?? pulumi.interpolate`${vaultUrl}/secrets/${secretName}`;
        this.secretUri = pulumi.all([this.vaultSecret.id, secretUri]).apply(([, uri]) => uri);
        this.expiresAt = this.password.endDate;
        this.nextRotation = this.password.nextRotation;
        this.credentials = this.password.credentials;
        this.retirement = this.password.retirement;
        this.inUseAlert = plan.retire ? declareInUseAlert(this, name, vaultUrl, secretName, this.retirement) : pulumi.output(undefined);
        this.registerOutputs({
            clientId: this.clientId, servicePrincipalObjectId: this.servicePrincipalObjectId, secretUri: this.secretUri,
            expiresAt: this.expiresAt, nextRotation: this.nextRotation, credentials: this.credentials, retirement: this.retirement,
            ...(plan.retire ? { inUseAlert: this.inUseAlert } : {}),
        });
    }
}

/**
 * Declares `<secretName>-in-use` while the gate keeps a credential in use (components/inUseAlert.ts),
 * inside the Output that carries the decisions. As in declareKept (rotatingPassword.ts), its URI feeds
 * the component's registered outputs, whose rpcKeepAlive keeps the program from ending before it is
 * declared; a run that keeps nothing in use declares none, and the engine deletes the last one (the
 * provider soft-deletes it: no retainOnDelete, it is an alert, not a credential anyone reads).
 */
function declareInUseAlert(parent: pulumi.Resource, name: string, vaultUrl: pulumi.Input<string>, secretName: pulumi.Input<string>,
    decisions: pulumi.Output<RetirementDecision[]>): pulumi.Output<string | undefined> {
    return pulumi.all([decisions, vaultUrl, secretName]).apply(async ([ds, url, secret]) => {
        if (keptInUse(ds).length === 0) return undefined;
        return inUseAlert(name, secret, ds, previousInUseNote(await lastState(), url, inUseAlertName(secret)));
    }).apply<string | undefined>((alert) => alert === undefined ? pulumi.output(undefined) : new VaultSecret(`${name}-in-use`, {
        vaultUrl,
        name: alert.name,
        value: alert.value,
        expiresOn: alert.expiresOn,
        contentType: IN_USE_CONTENT_TYPE,
        tags: alert.tags,
        proof: false, // a note, not a credential: there is nothing to prove
    }, { parent }).secretUri);
}

/** "/subscriptions/<id>" from any ARM id under a subscription. */
export function subscriptionScope(resourceId: string, resource = "RotatedAppRegistration"): string {
    const match = /^\/subscriptions\/[^/]+/i.exec(resourceId);
    if (!match) {
        throw new InputError(resource, "vault.resourceId", `is "${resourceId}", not an ARM id`,
            "Use /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>.");
    }
    return match[0];
}
