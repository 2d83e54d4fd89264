// Every way a Key Vault request of the provider fails, as one VaultError with fields (action,
// secret, vaultUrl, status, serviceCode, innerCode): callers branch on those, never on the text.
// The secret's value never reaches a message: the service's text is redacted before it is quoted.
import { VaultAction, VaultError, VaultErrorDetails, isVaultError } from "../../lib/errors";
import { THROTTLE_BUDGET_ADVICE } from "./vaultRetrySettings";
import { PURGE_PROTECTION_ADVICE, networkRefusalAdvice, vaultRefusalOf } from "../../lib/vaultRefusal";

/** Key Vault roles named in errors. */
export const SECRETS_OFFICER_ROLE = "Key Vault Secrets Officer";

/** What a request was about: enough to name it in an error. */
export interface VaultRequestTarget {
    readonly action: VaultAction;
    readonly vaultUrl: string;
    readonly secret?: string;
}

const VERBS: Partial<Record<VaultAction, string>> = { get: "read", set: "write", update: "write" };

/** "keyrelay: cannot write secret "x" in https://...": the subject of every provider error. */
export function vaultRequestSubject(target: VaultRequestTarget): string {
    const verb = VERBS[target.action] ?? target.action;
    return target.secret === undefined ? `keyrelay: cannot ${verb} in ${target.vaultUrl}` : `keyrelay: cannot ${verb} secret "${target.secret}" in ${target.vaultUrl}`;
}

/** The HTTP status of an @azure/core-rest-pipeline RestError. */
export function statusOf(error: unknown): number | undefined {
    return (error as { statusCode?: number })?.statusCode;
}

/** The vault's innererror code (ObjectIsDeletedButRecoverable, SecretDisabled, ...). */
export function innerCodeOf(error: unknown): string | undefined {
    const details = (error as { details?: { error?: { innerError?: { code?: string }; innererror?: { code?: string } } } })?.details;
    return details?.error?.innerError?.code ?? details?.error?.innererror?.code;
}

function detailsOf(target: VaultRequestTarget, error: unknown): VaultErrorDetails {
    const serviceCode = (error as { code?: unknown })?.code;
    return { ...target, status: statusOf(error), serviceCode: typeof serviceCode === "string" ? serviceCode : undefined, innerCode: innerCodeOf(error) };
}

/**
 * A failed request as a VaultError that names the secret and vault; a VaultError passes through
 * unchanged. `value` is cut out of the service's text, should it ever be echoed.
 */
export function vaultRequestError(target: VaultRequestTarget, error: unknown, value?: string): VaultError {
    if (isVaultError(error)) return error;
    const details = detailsOf(target, error);
    const redact = (text: string) => (value ? text.split(value).join("[redacted]") : text);
    const detail = redact(error instanceof Error ? error.message : String(error));
    const what = vaultRequestSubject(target);
    if (details.status === 429) {
        return new VaultError(details, `${what}: the vault kept answering 429 (throttled) after the bounded retries: ${detail}`, { fix: THROTTLE_BUDGET_ADVICE });
    }
    // A firewall or private-link refusal is a network problem, not a missing role (lib/vaultRefusal.ts).
    const refusal = vaultRefusalOf(error);
    if (refusal && refusal.kind !== "role") {
        const { problem, fix } = networkRefusalAdvice(target.vaultUrl, refusal);
        return new VaultError(details, `${what}: ${problem}`, { fix });
    }
    if (details.status === 403) {
        return new VaultError(details, `${what}: access denied (HTTP 403 ${details.serviceCode ?? "Forbidden"}); the vault said: ${detail}`,
            { fix: `Give the identity running Pulumi the "${SECRETS_OFFICER_ROLE}" role on the vault (or on this secret)` });
    }
    return new VaultError(details, `${what}${details.status ? ` (HTTP ${details.status}${details.serviceCode ? ` ${details.serviceCode}` : ""})` : ""}: ${detail}`);
}

/** Bare 429s through every backoff: the vault's budget is spent. */
export function vaultThrottledError(target: VaultRequestTarget, attempts: number, waitedMs: number): VaultError {
    return new VaultError({ ...target, status: 429 },
        `${vaultRequestSubject(target)}: the vault kept answering 429 (throttled, no Retry-After) through ${attempts} attempts over ${(waitedMs / 1000).toFixed(1)} s`,
        { fix: THROTTLE_BUDGET_ADVICE });
}

/** No answer within the request timeout, on every attempt. */
export function vaultTimeoutError(target: VaultRequestTarget, attempts: number, timeoutMs: number): VaultError {
    return new VaultError(target, `${vaultRequestSubject(target)}: the vault did not answer within ${(timeoutMs / 1000).toFixed(1)} s, ${attempts} times in a row`,
        { fix: "Check the vault's network path (firewall, private endpoint, proxy), then run again" });
}

/** A soft-deleted secret of that name that could not be recovered. */
export function softDeletedError(target: VaultRequestTarget & { secret: string }, recoverError: unknown, value: string): VaultError {
    const recover = { ...target, action: "recover" as const };
    const cause = vaultRequestError(recover, recoverError, value).message;
    const vaultName = vaultNameOf(target.vaultUrl);
    return new VaultError(detailsOf(recover, recoverError),
        `${vaultRequestSubject({ ...target, action: "set" })}: a deleted secret of that name is waiting to be purged (soft-deleted), and recovering it failed`,
        { fix: `Recover it (az keyvault secret recover --vault-name ${vaultName} --name ${target.secret}) to keep its old versions, ` +
            `or purge it (az keyvault secret purge --vault-name ${vaultName} --name ${target.secret}), then run again (${PURGE_PROTECTION_ADVICE}); ` +
            `or give the identity running Pulumi the "${SECRETS_OFFICER_ROLE}" role, which may recover. (${cause})` });
}

/** The newest version was written by another stack. */
export function writerConflictError(target: VaultRequestTarget & { secret: string }, newestVersion: string | undefined, newestWriter: string, writer: string, writerTag: string): VaultError {
    return new VaultError({ ...target, action: "set" },
        `${vaultRequestSubject({ ...target, action: "set" })}: its newest version (${(newestVersion ?? "?").slice(0, 8)}) was written by ${writerDescription(newestWriter, writer)} ` +
        `(tag ${writerTag}), not by this ${sameStack(newestWriter, writer) ? "resource" : "stack"} "${writer}". Two writers of one secret overwrite each other on every run`,
        { fix: "Give each writer its own secret name; if this resource was renamed, declare its old name in `aliases`; or, to move the secret to this resource, set adopt: true on this VaultSecret (or RotatedAppRegistration) for one pulumi up, and remove the other writer" });
}

function stackPart(writer: string): string {
    return writer.split("#")[0];
}

function sameStack(a: string, b: string): boolean {
    return stackPart(a) === stackPart(b);
}

/** "stack \"a/b/c#…\"", or for a writer of the same stack, "another resource of this stack (\"a/b/c#…\")". */
function writerDescription(newestWriter: string, writer: string): string {
    return sameStack(newestWriter, writer) ? `another resource of this stack ("${newestWriter}")` : `stack "${newestWriter}"`;
}

/** A request that got no token because the authority host does not resolve. */
export function unresolvedAuthorityError(target: VaultRequestTarget, host: string, code: string): VaultError {
    return new VaultError(target, `${vaultRequestSubject(target)}: the authority host ${host} does not resolve (${code}), so no token could be had`,
        { fix: "Check AZURE_AUTHORITY_HOST (each cloud has its own, e.g. login.microsoftonline.com, login.microsoftonline.us), your DNS and proxy" });
}

function vaultNameOf(vaultUrl: string): string {
    try {
        return new URL(vaultUrl).hostname.split(".")[0];
    } catch {
        return vaultUrl;
    }
}
