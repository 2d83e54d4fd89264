// keyrelay verify: read the newest version of a secret and prove it works by asking Entra for a
// token with it (client-credentials grant). The value is held in memory only; output shows a hint.
import { type TokenAnswer, requestClientCredentialsToken } from "../../lib/tokenEndpoint";
import { DateTime, Duration } from "luxon";
import { CliContext } from "../context";
import { paint } from "../colors";
import { EXIT_CRITICAL, EXIT_OK, environmentError, isCliError, usageError } from "../errors";
import { PROPAGATION_CODES, TokenRefusal, aadstsCodeOf, classifyTokenRefusal } from "../../lib/aadsts";
import { Deadline, isUnresolvedError, parseTimeout } from "../../lib/deadline";
import { authorityHostOf, createSecretClient, deadlineError, parseVaultAddress, vaultCallError } from "../vaultAccess";
import { valueHint, valueNotes } from "../../policies/lib/hygieneProblems";
import { SECRET_NAME_PATTERN } from "../../components/validate";
import { isKeyrelayError } from "../../lib/errors";
import { errorLine, printable } from "../../lib/terminalText";
import { refuseRedirect } from "../../lib/redirects";

export const DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com";
export const DEFAULT_WAIT = "PT5M";
/** Microsoft's suggested backoff: 1, 2, 4, 8, 16 s, then 16 s. */
const MAX_BACKOFF_STEPS = 4;

export interface VerifyOptions {
    vault: string;
    secret: string;
    tenant?: string;
    clientId?: string;
    wait?: string;
    authorityHost?: string;
    /** Consecutive successful token requests needed (Entra replicas learn a new secret at different times). */
    attempts?: string;
    json?: boolean;
    /** Overall deadline in seconds, the --wait retries included; default 60. */
    timeout?: string;
}

export const DEFAULT_ATTEMPTS = 3;
const MAX_ATTEMPTS = 20;

/** One token request of a verify run: never anything of the value. */
export interface TokenAttempt {
    attempt: number;
    latencyMs: number;
    ok: boolean;
    /** The AADSTS code of a refusal. */
    code?: number;
}

function parseAttempts(text: string): number {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || n < 1 || n > MAX_ATTEMPTS) {
        throw usageError(`keyrelay verify: --attempts is ${JSON.stringify(text)}, not a whole number from 1 to ${MAX_ATTEMPTS}. Use e.g. --attempts 3.`);
    }
    return n;
}

export type { TokenAnswer, TokenRequestLimits } from "../../lib/tokenEndpoint";
export { requestClientCredentialsToken } from "../../lib/tokenEndpoint";

/** Longest --wait: propagation takes minutes; a day is a typo, and --timeout bounds it anyway. */
export const MAX_WAIT = Duration.fromObject({ days: 1 });

export function parseWait(text: string): Duration {
    const wait = Duration.fromISO(text);
    if (!wait.isValid || wait.toMillis() < 0) {
        throw usageError(`keyrelay verify: --wait is ${JSON.stringify(text)}, not an ISO-8601 duration (${wait.invalidExplanation ?? "negative"}). Use e.g. --wait PT5M (five minutes) or PT0S (no waiting).`);
    }
    if (wait.toMillis() > MAX_WAIT.toMillis()) {
        throw usageError(`keyrelay verify: --wait is ${JSON.stringify(text)}, longer than a day (P1D). Entra learns a new secret within minutes: use e.g. --wait PT5M, and a --timeout that covers it.`);
    }
    return wait;
}

/**
 * What verify may show of a value: at most its first 3 characters, and none at all for a value of
 * 12 characters or fewer (a short value's hint would be most of it).
 */
export function verifyHint(value: string): string {
    return valueHint(value);
}

export const VERIFY_SCHEMA = "keyrelay-verify/1";

export interface VerifyResult {
    /** The JSON shape's name and version: schemas/keyrelay-verify-1.schema.json. */
    schema: typeof VERIFY_SCHEMA;
    vault: string;
    secret: string;
    version: string | undefined;
    clientId: string;
    tenant: string;
    hint: string;
    ok: boolean;
    attempts: number;
    /** Each token request in order, with its latency. */
    tokenAttempts: TokenAttempt[];
    /** A success was followed by AADSTS7000215: the secret has not reached every Entra replica yet. */
    propagating: boolean;
    /** The --wait retries stopped because the next one would have passed --timeout. */
    waitCutByTimeout: boolean;
    refusal?: TokenRefusal;
    valueWarnings: string[];
    exitCode: number;
}

export async function runVerify(options: VerifyOptions, context: CliContext): Promise<VerifyResult> {
    if (!SECRET_NAME_PATTERN.test(options.secret)) {
        throw usageError(`keyrelay verify: --secret is ${JSON.stringify(options.secret)}, not a Key Vault secret name. Use letters, digits and hyphens, e.g. --secret billing-api-client-secret.`);
    }
    const tenant = options.tenant ?? context.env.AZURE_TENANT_ID;
    if (!tenant) throw usageError("keyrelay verify: no tenant. Pass --tenant <directory id or domain>, or set AZURE_TENANT_ID.");
    const wait = parseWait(options.wait ?? DEFAULT_WAIT);
    const attemptsWanted = parseAttempts(options.attempts ?? String(DEFAULT_ATTEMPTS));
    const timeoutMs = parseTimeout(options.timeout, "verify");
    const address = parseVaultAddress(options.vault);
    const authorityHost = authorityHostOf(options.authorityHost, context) ?? DEFAULT_AUTHORITY_HOST;
    const deadline = new Deadline(timeoutMs, "verify", new URL(address.url).host);
    try {
        return await deadline.run(() => verifyWithin(deadline, options, context, { tenant, wait, address, authorityHost, attemptsWanted }));
    } finally {
        deadline.dispose();
    }
}

async function verifyWithin(deadline: Deadline, options: VerifyOptions, context: CliContext,
    { tenant, wait, address, authorityHost, attemptsWanted }: { tenant: string; wait: Duration; address: ReturnType<typeof parseVaultAddress>; authorityHost: string; attemptsWanted: number }): Promise<VerifyResult> {
    const client = createSecretClient(address, context, authorityHostOf(options.authorityHost, context), deadline);

    let secret;
    try {
        secret = await client.getSecret(options.secret, { abortSignal: deadline.signal });
    } catch (error) {
        if (isCliError(error)) throw error;
        const explained = deadlineError(deadline, address.url, authorityHost);
        if (explained) throw explained;
        if ((error as { statusCode?: number }).statusCode === 404) {
            throw environmentError(`keyrelay verify: secret "${options.secret}" is not in ${address.url}. Check --secret (keyrelay status lists the vault's keyrelay secrets).`);
        }
        // The inner error code, whatever the casing of "innererror" in the body.
        if (JSON.stringify((error as { details?: unknown }).details ?? {}).includes("\"SecretDisabled\"")) {
            throw environmentError(`keyrelay verify: the newest version of "${options.secret}" in ${address.url} is disabled, so no consumer can read it. Enable it, or run pulumi up to write a new one.`);
        }
        throw vaultCallError(error, `read secret "${options.secret}"`, address.url, "Key Vault Secrets User");
    }
    const value = secret.value ?? "";
    const clientId = options.clientId ?? secret.properties.tags?.["client-id"];
    if (!clientId) {
        throw usageError(`keyrelay verify: secret "${options.secret}" has no client-id tag (it was not written by keyrelay). Pass --client-id <application (client) id>.`);
    }
    const createdAt = secret.properties.createdOn ? DateTime.fromJSDate(secret.properties.createdOn) : DateTime.utc();
    const retryUntil = createdAt.plus(wait);
    const baseDelay = context.retryBaseDelayMs ?? 1000;
    const scope = `${address.resource}/.default`;

    let attempts = 0;
    let answer: TokenAnswer;
    const tokenAttempts: TokenAttempt[] = [];
    let consecutiveSuccesses = 0;
    let propagating = false;
    let waitCutByTimeout = false;
    for (;;) {
        attempts++;
        const startedAt = DateTime.now().toMillis();
        const done = deadline.track(authorityHost);
        const requestTimeoutMs = deadline.requestTimeoutMs();
        try {
            answer = await requestClientCredentialsToken(authorityHost, tenant, clientId, value, scope, context.tlsCa,
                { timeoutMs: requestTimeoutMs, signal: deadline.signal });
        } catch (error) {
            if (isKeyrelayError(error) || isCliError(error)) throw error;
            const code = (error as { code?: string }).code;
            const host = new URL(authorityHost).host;
            if (isUnresolvedError(error)) {
                throw environmentError(`keyrelay verify: the authority host ${new URL(authorityHost).hostname} does not resolve (${code}). Check --authority-host / AZURE_AUTHORITY_HOST (each cloud has its own, e.g. login.microsoftonline.com) and your DNS.`);
            }
            if (code === "ETIMEDOUT") {
                throw environmentError(`keyrelay verify: ${host} did not answer the token request within ${Math.ceil(requestTimeoutMs / 1000)} s. Check that host, your network, proxy and firewall, or raise --timeout.`);
            }
            throw environmentError(`keyrelay verify: cannot reach the token endpoint ${authorityHost}${code ? ` (${code})` : ""}. Check --authority-host / AZURE_AUTHORITY_HOST and your network.`);
        } finally {
            done();
        }
        tokenAttempts.push({ attempt: attempts, latencyMs: DateTime.now().toMillis() - startedAt, ok: answer.ok, ...(answer.ok ? {} : { code: answer.code }) });
        if (answer.ok) {
            consecutiveSuccesses++;
            if (consecutiveSuccesses >= attemptsWanted) break;
            // A short pause, so the next request may land on another replica.
            await deadline.sleep(baseDelay);
            continue;
        }
        if (consecutiveSuccesses > 0 && PROPAGATION_CODES.includes(answer.code ?? -1)) propagating = true;
        consecutiveSuccesses = 0;
        if (!PROPAGATION_CODES.includes(answer.code ?? -1)) break;
        const remaining = retryUntil.toMillis() - DateTime.utc().toMillis();
        if (remaining <= 0) break;
        const delay = Math.min(baseDelay * 2 ** Math.min(attempts - 1, MAX_BACKOFF_STEPS), remaining);
        // --wait counts against --timeout: a retry the deadline would cut off is not started.
        if (delay >= deadline.remainingMs()) {
            waitCutByTimeout = true;
            break;
        }
        if (context.isTTY) context.stderr(`secret version is ${Math.round(DateTime.utc().diff(createdAt).as("seconds"))} s old; Entra may not know it yet: retrying in ${Math.ceil(delay / 1000)} s\n`);
        await deadline.sleep(delay);
    }
    const result: VerifyResult = {
        schema: VERIFY_SCHEMA, vault: address.url, secret: options.secret, version: secret.properties.version, clientId, tenant,
        hint: verifyHint(value), ok: answer.ok, attempts, tokenAttempts, propagating, waitCutByTimeout, valueWarnings: [], exitCode: answer.ok ? EXIT_OK : EXIT_CRITICAL,
    };
    if (!answer.ok) {
        result.refusal = classifyTokenRefusal(answer.code, { clientId, tenant, secretName: options.secret }, answer.description);
        if (result.refusal.cause === "wrong-value") result.valueWarnings = valueNotes(value);
    }
    return result;
}

const PROPAGATING_NOTE = "Entra issued a token, then refused the same value with AADSTS7000215: propagation is still under way (not every Entra replica knows the secret yet). "
    + "Consumers may fail intermittently for a few minutes; verify again later, or raise --wait.";

function formatTokenAttempts(attempts: readonly TokenAttempt[]): string {
    return attempts.map((a) => `#${a.attempt} ${a.ok ? "ok" : `AADSTS${a.code ?? "?"}`} ${a.latencyMs} ms`).join(", ");
}

export function formatVerify(unsafe: VerifyResult, colors: Pick<CliContext, "color"> = {}): string {
    // The client id comes from the secret's tag and the refusal quotes Entra: one clean line each (lib/terminalText.ts).
    const result: VerifyResult = {
        ...unsafe, clientId: printable(unsafe.clientId), tenant: printable(unsafe.tenant),
        ...(unsafe.refusal ? { refusal: { ...unsafe.refusal, problem: errorLine(unsafe.refusal.problem), fix: errorLine(unsafe.refusal.fix) } } : {}),
    };
    if (result.ok) {
        const successes = result.tokenAttempts.filter((a) => a.ok).length;
        return `${paint(colors, "ok", "OK")}: "${result.secret}" (version ${result.version?.slice(0, 8) ?? "?"}, value ${result.hint}) gets a token for app ${result.clientId} in tenant ${result.tenant}`
            + `${result.attempts > successes ? ` after ${result.attempts} attempts` : ""}.\n`
            + `  token requests: ${formatTokenAttempts(result.tokenAttempts)}.\n`
            + (result.propagating ? `  note: ${PROPAGATING_NOTE}\n` : "");
    }
    const refusal = result.refusal!;
    return [
        `${paint(colors, "critical", "FAILED")}: ${refusal.problem}.`,
        ...(result.propagating ? [`  note: ${PROPAGATING_NOTE}`] : []),
        ...(result.waitCutByTimeout ? ["  note: stopped retrying before --wait ran out: the next retry would have passed --timeout. Raise --timeout to wait longer."] : []),
        ...result.valueWarnings.map((w) => `  note: ${w}.`),
        `  token requests: ${formatTokenAttempts(result.tokenAttempts)}.`,
        `  value in Key Vault: ${result.hint} (version ${result.version?.slice(0, 8) ?? "?"}); ${result.attempts} attempt${result.attempts > 1 ? "s" : ""}.`,
        `  fix: ${refusal.fix}`,
    ].join("\n") + "\n";
}
