// The one place keyrelay builds its Azure credential. Called when a provider runs,
// never captured in a serialized provider. @azure/identity loads only when a credential is built.
import * as fs from "fs";
import * as https from "https";
import type { TokenCredential } from "@azure/core-auth";
import { KeyrelayError } from "../../lib/errors";
import { handedOverTokenCredential } from "../../lib/handedOverToken";

/** Microsoft's public-cloud and sovereign authority hosts, where instance discovery works (Microsoft Cloud Germany, login.microsoftonline.de, closed in October 2021). */
export const KNOWN_AUTHORITY_HOSTS = [
    "login.microsoftonline.com",
    "login.microsoftonline.us",
    "login.chinacloudapi.cn",
    "login.partner.microsoftonline.cn",
    "login.windows.net",
];

export function isKnownAuthorityHost(authorityHost: string): boolean {
    let host: string;
    try {
        host = new URL(authorityHost).hostname.toLowerCase();
    } catch {
        return false;
    }
    return KNOWN_AUTHORITY_HOSTS.includes(host);
}

export interface AzureCredentialOptions {
    /** Authority host; defaults to AZURE_AUTHORITY_HOST, then the public cloud. */
    authorityHost?: string;
    /** Extra TLS settings (a private CA, for example) for the token requests. */
    tlsOptions?: { ca?: string | Buffer | Array<string | Buffer> };
    /** Extra pipeline policies for the token requests (the keyrelay command's timeouts and host tracking). */
    additionalPolicies?: { policy: unknown; position: "perCall" | "perRetry" }[];
    /** Where the pipeline's variables are read; default process.env. */
    env?: NodeJS.ProcessEnv;
    /** Where a sign-in note goes (ARM_OIDC_TOKEN's lifetime); default stderr. */
    log?: (line: string) => void;
}

/** The audience Entra ID expects in a federated token (workload identity federation). */
export const FEDERATED_TOKEN_AUDIENCE = "api://AzureADTokenExchange";
/** The Azure DevOps OIDC endpoint's API version, as @azure/identity's AzurePipelinesCredential sends it. */
export const AZURE_DEVOPS_OIDC_API_VERSION = "7.1";

/** Where a federated token comes from, each time Entra ID needs one. */
export type FederatedTokenSource =
    | { kind: "token-file"; path: string }
    | { kind: "github"; requestUrl: string; requestToken: string }
    | { kind: "azure-devops"; requestUrl: string; systemAccessToken: string; serviceConnectionId: string }
    /** ARM_OIDC_TOKEN (Pulumi ESC's azure-login, Pulumi Deployments): one token, handed over once, never renewed. */
    | { kind: "handed-over"; token: string };

export type AzureCredentialRoute =
    | { kind: "federated"; tenantId: string; clientId: string; source: FederatedTokenSource }
    | { kind: "default" };

/** The service connection variables, the provider's first (terraform-provider-azurerm/azuread `ado_pipeline_service_connection_id`). */
const SERVICE_CONNECTION_VARIABLES = ["ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID", "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"];

/**
 * Which sign-in the pipeline's environment calls for. The ARM_* variables are the ones the Pulumi
 * Azure providers read (and Terraform's azurerm/azuread before them), each with the platform's own
 * variable as its fallback (ARM_OIDC_REQUEST_URL or SYSTEM_OIDCREQUESTURI, ARM_OIDC_REQUEST_TOKEN or
 * SYSTEM_ACCESSTOKEN); DefaultAzureCredential reads none of them. Routes that fetch a fresh token
 * come first: GitHub's lives about 5 minutes and Azure DevOps' about 10. ARM_OIDC_TOKEN is used only
 * when no such route exists, because it is one token that expires mid-run.
 */
export function azureCredentialRoute(env: NodeJS.ProcessEnv): AzureCredentialRoute {
    const clientId = env.ARM_CLIENT_ID || env.AZURE_CLIENT_ID;
    const tenantId = env.ARM_TENANT_ID || env.AZURE_TENANT_ID;
    const federated = (source: FederatedTokenSource): AzureCredentialRoute => ({ kind: "federated", tenantId: tenantId!, clientId: clientId!, source });
    if (!clientId || !tenantId) return { kind: "default" };
    if (env.ARM_OIDC_TOKEN_FILE_PATH) return federated({ kind: "token-file", path: env.ARM_OIDC_TOKEN_FILE_PATH });
    if (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
        return federated({ kind: "github", requestUrl: env.ACTIONS_ID_TOKEN_REQUEST_URL, requestToken: env.ACTIONS_ID_TOKEN_REQUEST_TOKEN });
    }
    const requestUrl = env.ARM_OIDC_REQUEST_URL || env.SYSTEM_OIDCREQUESTURI;
    const serviceConnectionVariable = SERVICE_CONNECTION_VARIABLES.find((name) => env[name]);
    if (serviceConnectionVariable) {
        const systemAccessToken = env.ARM_OIDC_REQUEST_TOKEN || env.SYSTEM_ACCESSTOKEN;
        if (!requestUrl || !systemAccessToken) {
            const missing = !requestUrl ? "ARM_OIDC_REQUEST_URL (or SYSTEM_OIDCREQUESTURI)" : "SYSTEM_ACCESSTOKEN (or ARM_OIDC_REQUEST_TOKEN)";
            throw new KeyrelayError("PipelineSignInIncomplete", `keyrelay: ${serviceConnectionVariable} names an Azure DevOps service connection, but ${missing} is not set`,
                { fix: "Map the secret System.AccessToken into the step (env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)); Azure DevOps sets SYSTEM_OIDCREQUESTURI itself" });
        }
        return federated({ kind: "azure-devops", requestUrl, systemAccessToken, serviceConnectionId: env[serviceConnectionVariable]! });
    }
    if (env.ARM_OIDC_REQUEST_URL && env.SYSTEM_ACCESSTOKEN && !env.ARM_OIDC_REQUEST_TOKEN) {
        throw new KeyrelayError("PipelineSignInIncomplete", "keyrelay: ARM_OIDC_REQUEST_URL and SYSTEM_ACCESSTOKEN are set (Azure DevOps OIDC), but not the service connection",
            { fix: "Set ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID to the Azure Resource Manager service connection's id" });
    }
    if (env.ARM_OIDC_REQUEST_URL && env.ARM_OIDC_REQUEST_TOKEN) {
        // The providers' generic form of GitHub's variables.
        return federated({ kind: "github", requestUrl: env.ARM_OIDC_REQUEST_URL, requestToken: env.ARM_OIDC_REQUEST_TOKEN });
    }
    if (env.ARM_OIDC_TOKEN) return federated({ kind: "handed-over", token: env.ARM_OIDC_TOKEN });
    return { kind: "default" };
}

/** The pipeline could not hand over a federated token; the pipeline's own OIDC set-up is what to check. */
function federatedTokenError(problem: string): KeyrelayError {
    return new KeyrelayError("FederatedTokenUnavailable", `keyrelay: ${problem}`,
        { fix: "Check the pipeline's OIDC permission (GitHub: permissions id-token: write; Azure DevOps: the service connection and SYSTEM_ACCESSTOKEN)" });
}

function withQuery(url: string, params: Record<string, string>): string {
    const parsed = new URL(url);
    for (const [key, value] of Object.entries(params)) parsed.searchParams.set(key, value);
    return parsed.toString();
}

function requestJson(url: string, method: "GET" | "POST", bearer: string, ca: AzureCredentialOptions["tlsOptions"]): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
        const request = https.request(url, {
            method,
            headers: {
                authorization: `Bearer ${bearer}`, accept: "application/json",
                ...(method === "POST" ? { "content-type": "application/json", "content-length": 0, "x-tfs-fedauthredirect": "Suppress" } : {}),
            },
            timeout: 30_000,
            ...(ca?.ca ? { ca: ca.ca } : {}),
        }, (response) => {
            let body = "";
            response.setEncoding("utf8");
            response.on("data", (chunk) => { body += chunk; });
            response.on("end", () => {
                const where = `${new URL(url).origin}${new URL(url).pathname}`;
                if ((response.statusCode ?? 0) >= 400) return reject(federatedTokenError(`the pipeline's OIDC token endpoint ${where} answered ${response.statusCode}`));
                try { resolve(JSON.parse(body)); } catch { reject(federatedTokenError(`the pipeline's OIDC token endpoint ${where} did not answer JSON`)); }
            });
        });
        request.on("timeout", () => request.destroy(federatedTokenError("no answer from the pipeline's OIDC token endpoint within 30 s")));
        request.on("error", reject);
        request.end();
    });
}

/** Fetches a fresh federated token from the pipeline (or reads the token file again). */
export async function fetchFederatedToken(source: FederatedTokenSource, tlsOptions?: AzureCredentialOptions["tlsOptions"]): Promise<string> {
    switch (source.kind) {
        case "token-file":
            return fs.readFileSync(source.path, "utf8").trim();
        case "github": {
            // GitHub: GET the request URL with the audience, Bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN; answer { value }.
            const answer = await requestJson(withQuery(source.requestUrl, { audience: FEDERATED_TOKEN_AUDIENCE }), "GET", source.requestToken, tlsOptions);
            if (typeof answer.value !== "string") throw federatedTokenError("the GitHub OIDC token endpoint's answer has no value");
            return answer.value;
        }
        case "azure-devops": {
            // Azure DevOps: POST {SYSTEM_OIDCREQUESTURI}?api-version=7.1&serviceConnectionId=..., Bearer SYSTEM_ACCESSTOKEN;
            // answer { oidcToken } (node_modules/@azure/identity/dist/commonjs/credentials/azurePipelinesCredential.js).
            const url = withQuery(source.requestUrl, { "api-version": AZURE_DEVOPS_OIDC_API_VERSION, serviceConnectionId: source.serviceConnectionId });
            const answer = await requestJson(url, "POST", source.systemAccessToken, tlsOptions);
            if (typeof answer.oidcToken !== "string") throw federatedTokenError("the Azure DevOps OIDC token endpoint's answer has no oidcToken");
            return answer.oidcToken;
        }
        case "handed-over":
            return source.token;
    }
}

/**
 * The pipeline's federated identity when its variables are there (see azureCredentialRoute):
 * Azure DevOps through @azure/identity's AzurePipelinesCredential, the others through
 * ClientAssertionCredential, both asking for a fresh federated token each time they need an Entra
 * token (ARM_OIDC_TOKEN excepted: one token, logged with its lifetime); otherwise
 * DefaultAzureCredential (environment, workload identity, managed identity, Azure CLI). All honour
 * AZURE_AUTHORITY_HOST and turn instance discovery off for hosts that are not Microsoft's own.
 *
 * @example
 * ```ts
 * import { SecretClient } from "@azure/keyvault-secrets";
 * import { createAzureCredential } from "keyrelay";
 *
 * // The pipeline's federated identity, a service principal or managed identity, from the environment.
 * const client = new SecretClient("https://kv-platform.vault.azure.net", createAzureCredential());
 * ```
 */
export function createAzureCredential(options: AzureCredentialOptions = {}): TokenCredential {
    const env = options.env ?? process.env;
    const identity = require("@azure/identity") as typeof import("@azure/identity");
    const authorityHost = options.authorityHost ?? env.AZURE_AUTHORITY_HOST;
    const disableInstanceDiscovery = authorityHost !== undefined && !isKnownAuthorityHost(authorityHost);
    const common = {
        ...(authorityHost ? { authorityHost } : {}),
        ...(disableInstanceDiscovery ? { disableInstanceDiscovery: true } : {}),
        ...(options.tlsOptions ? { tlsOptions: options.tlsOptions } : {}),
        ...(options.additionalPolicies ? { additionalPolicies: options.additionalPolicies } : {}),
    } as ConstructorParameters<typeof identity.ClientAssertionCredential>[3];
    const route = azureCredentialRoute(env);
    if (route.kind === "default") return new identity.DefaultAzureCredential(common as ConstructorParameters<typeof identity.DefaultAzureCredential>[0]);
    const { source, tenantId, clientId } = route;
    // AzurePipelinesCredential reads SYSTEM_OIDCREQUESTURI from process.env itself, so it is used when
    // that is the URL the route chose; an ARM_OIDC_REQUEST_URL elsewhere gets the same POST from fetchFederatedToken.
    if (source.kind === "azure-devops" && process.env.SYSTEM_OIDCREQUESTURI === source.requestUrl) {
        return new identity.AzurePipelinesCredential(tenantId, clientId, source.serviceConnectionId, source.systemAccessToken, common);
    }
    const assertion = new identity.ClientAssertionCredential(tenantId, clientId, () => fetchFederatedToken(source, options.tlsOptions), common);
    return source.kind === "handed-over" ? handedOverTokenCredential(assertion, source.token, options.log ?? ((line) => console.error(line))) : assertion;
}
