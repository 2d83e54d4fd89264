// The VaultSecret provider's proof before a write that changes the value: the new client secret
// asks Entra's token endpoint for a client-credentials token, N times in a row within a budget
// (credentialProof.ts). If it cannot, nothing is written: Key Vault keeps pointing at the previous
// credential, which the rotation's overlap keeps valid, and the next scheduled run tries again.
import type { DateTime } from "luxon";
import { classifyTokenRefusal } from "../../lib/aadsts";
import { CredentialProofError } from "../../lib/errors";
import { TokenAnswer, requestClientCredentialsToken } from "../../lib/tokenEndpoint";
import { UNKNOWN_INPUT, VAULT_DNS_SUFFIXES } from "../validate";
import { CredentialProofFields, proofBudget, proofProblems } from "../proofSettings";
import { ProofOutcome, ProofTiming, proofTiming, proveCredential, successesInRow } from "./credentialProof";
import { RETRY_TIME_SCALE_ENV } from "./vaultRetrySettings";
import type { VaultSecretFields } from "./vaultSecretDiff";

/** The tag RotatedAppRegistration writes and `keyrelay verify` reads: the app the secret belongs to. */
export const CLIENT_ID_TAG = "client-id";

/**
 * Each Key Vault cloud's Entra authority host and Key Vault resource, by the vault's DNS suffix
 * (VAULT_DNS_SUFFIXES; authorities: https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud).
 * The proof asks for `<resource>/.default`: in the client-credentials flow the scope is a resource id
 * plus /.default (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow),
 * and a token for a Microsoft resource is issued whatever the app's permissions (its roles claim is then
 * empty). The proof reads only whether a token was issued, so what the token may do cannot matter.
 */
export const CLOUD_BY_VAULT_SUFFIX: Record<string, { authorityHost: string; resource: string }> = {
    "vault.azure.net": { authorityHost: "https://login.microsoftonline.com", resource: "https://vault.azure.net" },
    "vault.azure.cn": { authorityHost: "https://login.chinacloudapi.cn", resource: "https://vault.azure.cn" },
    "vault.usgovcloudapi.net": { authorityHost: "https://login.microsoftonline.us", resource: "https://vault.usgovcloudapi.net" },
};

/** Where the proof asks, and for what: AZURE_AUTHORITY_HOST when set (Azure Stack, local stand-ins), else the vault's cloud. */
export function proofEndpoint(vaultUrl: string, env: NodeJS.ProcessEnv = process.env, authorityHost?: string): { authorityHost: string; scope: string } {
    let host = "";
    try { host = new URL(vaultUrl).hostname.toLowerCase(); } catch { /* checked before: a bad URL never gets here */ }
    const suffix = VAULT_DNS_SUFFIXES.find((s) => host.endsWith(`.${s}`)) ?? "vault.azure.net";
    const cloud = CLOUD_BY_VAULT_SUFFIX[suffix] ?? CLOUD_BY_VAULT_SUFFIX["vault.azure.net"];
    return { authorityHost: (authorityHost ?? (env.AZURE_AUTHORITY_HOST || cloud.authorityHost)).replace(/\/+$/, ""), scope: `${cloud.resource}/.default` };
}

export interface CredentialProofOptions {
    /** Authority host; default AZURE_AUTHORITY_HOST, then the vault's cloud. */
    authorityHost?: string;
    /** Extra CA for the token endpoint (tests); the host process uses NODE_EXTRA_CA_CERTS. */
    ca?: string;
    /** Speeds the backoff up (0 < scale <= 1); default KEYRELAY_VAULT_RETRY_TIME_SCALE, else 1. The budget is the resource's own. */
    timeScale?: number;
    /** Waits between token requests; default setTimeout. */
    sleep?: (ms: number) => Promise<void>;
    /** The clock the budget is measured on; default luxon's. */
    now?: () => DateTime;
    env?: NodeJS.ProcessEnv;
}

function timeScaleOf(options: CredentialProofOptions): number {
    if (options.timeScale !== undefined) return options.timeScale;
    const scale = Number((options.env ?? process.env)[RETRY_TIME_SCALE_ENV]);
    return Number.isFinite(scale) && scale > 0 && scale <= 1 ? scale : 1;
}

/** Text from the token endpoint, safe to quote: the value cut out, control characters gone. */
function quotable(text: string | undefined, value: string): string | undefined {
    return text?.split(value).join("[redacted]").replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").slice(0, 300);
}

/** What to do, for the deployment (verify's fixes name its own flags). */
function proofFix(cause: string, within: string, clientId: string, code: number | undefined, fallback: string): string {
    switch (cause) {
        case "wrong-value":
            return `Entra had not accepted the new secret after ${within}; replication can take longer. The next scheduled run tries again; ` +
                `to wait longer now, raise proof.within (at most PT30M) and run pulumi up. If it keeps failing, check that the password belongs to app ${clientId} (the client-id tag) in the proof's tenant`;
        case "app-not-in-tenant":
            return `Check proof.tenantId (default: the deploying principal's tenant) and the client id (proof.clientId or the client-id tag): they must name the app this password belongs to. ` +
                "An app created in this run may take minutes to replicate: the next scheduled run tries again";
        case "expired":
            return "The new credential is already expired at Entra: check the password's endDate and this machine's clock, then run pulumi up again";
        case "tenant-not-found":
            return "Check proof.tenantId and the authority host (AZURE_AUTHORITY_HOST; sovereign clouds have their own, e.g. login.microsoftonline.us)";
        default:
            return code === undefined ? `${fallback} The next scheduled run tries again` : fallback;
    }
}

export function credentialProofError(fields: VaultSecretFields, proof: { tenantId: string; clientId: string; within: string; attempts: number },
    outcome: ProofOutcome, previousVersion: string | undefined, authorityHost: string): CredentialProofError {
    const keyId = fields.tags?.["key-id"];
    const subject = `keyrelay: did not write secret "${fields.name}" in ${fields.vaultUrl}: the new client secret of app ${proof.clientId}${keyId ? ` (key-id ${keyId})` : ""} did not prove itself`;
    const tally = `${successesInRow(outcome.requests)} of ${proof.attempts} token requests in a row succeeded, ${outcome.requests.length} made in ${(outcome.elapsedMs / 1000).toFixed(1)} s of ${proof.within}`;
    const kept = `${previousVersion ? `Key Vault still points at the previous version (${previousVersion.slice(0, 8)}), which the rotation's overlap keeps valid` : "Key Vault keeps whatever it held before"}; nothing was written, and a failed run deletes nothing`;
    const details = { vaultUrl: fields.vaultUrl, secret: fields.name, clientId: proof.clientId, tenantId: proof.tenantId, requests: outcome.requests.length, successesInRow: successesInRow(outcome.requests) };
    if (outcome.stop === "unreachable" || (!outcome.lastRefusal && outcome.lastUnreachable)) {
        const host = new URL(authorityHost).host;
        return new CredentialProofError(details, `${subject}: the token endpoint ${host} did not answer (${outcome.lastUnreachable}); ${tally}. ${kept}`,
            { fix: "Check AZURE_AUTHORITY_HOST (each cloud has its own), DNS, proxy and firewall; where the deployment cannot reach Entra at all, set proof: false (docs/proof.md)" });
    }
    const refusal = outcome.lastRefusal;
    const diagnosis = classifyTokenRefusal(refusal?.code, { clientId: proof.clientId, tenant: proof.tenantId, secretName: fields.name }, quotable(refusal?.description, fields.value));
    const why = outcome.stop === "budget" ? `within ${proof.within}` : "(a refusal that waiting does not change)";
    return new CredentialProofError({ ...details, aadstsCode: refusal?.code },
        // verify's wording speaks of the value in the vault; here the value is the new one, not written.
        `${subject} ${why}: ${tally}; Entra's last answer: ${diagnosis.problem.replace(`the value in "${fields.name}"`, `the new value for "${fields.name}"`)}. ${kept}`,
        { fix: proofFix(diagnosis.cause, proof.within, proof.clientId, refusal?.code, diagnosis.fix) });
}

/** The proof this write needs, or undefined: none asked (`proof: false`, no proof field). */
export function proofFor(fields: VaultSecretFields): (CredentialProofFields & { clientId: string }) | undefined {
    const proof = fields.proof;
    if (!proof || typeof proof !== "object") return undefined;
    const clientId = proof.clientId || fields.tags?.[CLIENT_ID_TAG];
    return clientId ? { ...proof, clientId } : undefined;
}

/** Proves the new value, or throws a CredentialProofError; returns the outcome (never the token). */
export async function proveBeforeWrite(fields: VaultSecretFields, previousVersion: string | undefined, options: CredentialProofOptions = {},
    ask?: (timeoutMs: number) => Promise<TokenAnswer>): Promise<ProofOutcome | undefined> {
    const proof = proofFor(fields);
    if (!proof) return undefined;
    const budget = proofBudget(proof);
    const { authorityHost, scope } = proofEndpoint(fields.vaultUrl, options.env, options.authorityHost);
    const timing: ProofTiming = { ...proofTiming(timeScaleOf(options), options.sleep), ...(options.now ? { now: options.now } : {}) };
    const request = ask ?? ((timeoutMs: number) => requestClientCredentialsToken(authorityHost, proof.tenantId, proof.clientId, fields.value, scope, options.ca, { timeoutMs }));
    const outcome = await proveCredential(request, budget, timing);
    if (!outcome.proven) throw credentialProofError(fields, { ...proof, within: budget.within, attempts: budget.attempts }, outcome, previousVersion, authorityHost);
    return outcome;
}

/** Problems with a VaultSecret's `proof` the provider's check reports before any write. */
export function proofInputProblems(news: Partial<VaultSecretFields>): { field: string; problem: string; fix: string }[] {
    const proof = news.proof as unknown;
    const problems = proofProblems(proof, "proof", (v) => v === UNKNOWN_INPUT);
    if (problems.length > 0 || !proof || typeof proof !== "object") return problems;
    const { tenantId, clientId } = proof as { tenantId?: unknown; clientId?: unknown };
    if (typeof tenantId !== "string" || tenantId === "") {
        problems.push({ field: "proof.tenantId", problem: `is ${tenantId === undefined ? "missing" : JSON.stringify(tenantId)}`, fix: "Pass the app's tenant (directory id); VaultSecret fills it from the deploying principal's tenant when left out." });
    }
    const tags = news.tags as unknown;
    const tagged = tags !== null && typeof tags === "object" && typeof (tags as Record<string, unknown>)[CLIENT_ID_TAG] === "string";
    if (clientId === undefined && !tagged && tags !== UNKNOWN_INPUT) {
        problems.push({ field: "proof.clientId", problem: `is missing, and no ${CLIENT_ID_TAG} tag names the app whose secret this is`,
            fix: `Pass proof.clientId (the application (client) id) or a "${CLIENT_ID_TAG}" tag, or proof: false if the value is not a client secret.` });
    }
    return problems;
}
