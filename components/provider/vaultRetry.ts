// How keyrelay waits on Key Vault. A 429 with Retry-After is the SDK's to honour; a bare
// 429 (seen in production) is ours: a growing, bounded, jittered backoff per write, plus a
// per-vault pacer that learns the vault's window limit from the first bare 429 and sends no
// faster than that limit, so a batch of writes runs at the vault's pace instead of in bursts.
// Plain functions and object literals only: the provider that uses them is serialized.
import { DateTime } from "luxon";

export interface VaultRetrySettings {
    /** Delays before the retries that follow a bare 429, in ms (1, 2, 4, 8, 16 s); their count bounds the retries. */
    throttleDelaysMs: number[];
    /** Each delay is drawn from delay x [1 - jitter, 1 + jitter]. */
    jitter: number;
    /** Key Vault counts its limits per window of this length, in ms. */
    windowMs: number;
    /** SDK retries for 408, 5xx and dropped connections, with exponential delays from transientDelayMs up to transientMaxDelayMs. */
    transientRetries: number;
    transientDelayMs: number;
    transientMaxDelayMs: number;
    /** A request that has not answered after this many ms is abandoned (and retried as a dropped connection). */
    requestTimeoutMs: number;
    /** Poll interval for delete and recover, in ms. */
    pollIntervalMs: number;
    /** Requests in flight to one vault at most (pulumi up runs every write at once; a vault needs far fewer connections). */
    maxInFlight: number;
    /** Longest wait a Retry-After header may ask for, in ms; longer asks are cut to this (the SDK's retries bound their number). */
    maxRetryAfterMs: number;
}

/** What to do when the vault's request budget is used up: one sentence, the same for a bare 429 and a capped Retry-After. */
export const THROTTLE_BUDGET_ADVICE = "The vault's request budget (about 4,000 per 10 s) is used up, perhaps by another client; " +
    "run again later, or lower the number of secrets written at once (pulumi up --parallel).";

/** Environment variable that speeds every wait up by a factor (0 < scale <= 1); for tests and drills. */
export const RETRY_TIME_SCALE_ENV = "KEYRELAY_VAULT_RETRY_TIME_SCALE";

/** The production settings, with every duration multiplied by `timeScale`. */
export function vaultRetrySettings(timeScale = 1): VaultRetrySettings {
    const ms = (n: number) => Math.max(1, Math.round(n * timeScale));
    return {
        throttleDelaysMs: [1000, 2000, 4000, 8000, 16000].map(ms),
        jitter: 0.2,
        windowMs: ms(10_000),
        transientRetries: 3,
        transientDelayMs: ms(1000),
        transientMaxDelayMs: ms(16_000),
        // A shorter clock still needs time for a TLS handshake on a busy machine.
        requestTimeoutMs: Math.max(2000, ms(60_000)),
        pollIntervalMs: ms(2000),
        maxInFlight: 64,
        maxRetryAfterMs: ms(60_000),
    };
}

/** Settings for a provider run: production timing unless KEYRELAY_VAULT_RETRY_TIME_SCALE says otherwise. */
export function vaultRetrySettingsFromEnvironment(env: NodeJS.ProcessEnv = process.env): VaultRetrySettings {
    const raw = env[RETRY_TIME_SCALE_ENV];
    if (raw === undefined || raw === "") return vaultRetrySettings(1);
    const scale = Number(raw);
    if (!Number.isFinite(scale) || scale <= 0 || scale > 1) {
        throw new Error(`keyrelay: ${RETRY_TIME_SCALE_ENV} is ${JSON.stringify(raw)}, not a number in (0, 1]. ` +
            `Unset it for production timing, or set it to a factor such as 0.01 to make retries 100 times faster in a test.`);
    }
    return vaultRetrySettings(scale);
}

/** A delay drawn uniformly from delay x [1 - jitter, 1 + jitter]. */
export function jittered(delayMs: number, jitter: number, random: () => number = Math.random): number {
    return Math.round(delayMs * (1 - jitter + 2 * jitter * random()));
}

/** Per-vault record of this process's requests and of the limit a bare 429 revealed. */
export interface VaultPacer {
    /** Times (epoch ms, ascending) of requests the vault accepted or may still accept, including reserved future slots. */
    sent: number[];
    /** Times (epoch ms, ascending) the vault's acceptances were confirmed: what a bare 429 measures the limit by. */
    accepted: number[];
    /** Requests per window the vault allowed before it throttled; undefined until a bare 429. */
    limit?: number;
    lastThrottleAt?: number;
    /** The first request to the vault, in flight: the others wait for it, so one bearer challenge serves them all. */
    firstRequest?: Promise<void>;
    inFlight: number;
    /** Requests waiting for one of the in-flight places. */
    waiting: (() => void)[];
}

export function newVaultPacer(): VaultPacer {
    return { sent: [], accepted: [], inFlight: 0, waiting: [] };
}

function dropBefore(times: number[], cutoff: number): void {
    let drop = 0;
    while (drop < times.length && times[drop] <= cutoff) drop += 1;
    if (drop > 0) times.splice(0, drop);
}

function prune(pacer: VaultPacer, now: number, windowMs: number): void {
    dropBefore(pacer.sent, now - windowMs);
    dropBefore(pacer.accepted, now - windowMs);
}

function insertSorted(times: number[], t: number): void {
    let at = times.length;
    while (at > 0 && times[at - 1] > t) at -= 1;
    times.splice(at, 0, t);
}

/**
 * Reserves the earliest slot the learned limit allows and returns it (epoch ms, >= now).
 * A limit is forgotten after two windows without a bare 429, so a vault whose load
 * dropped is used at full speed again.
 */
export function reserveSlot(pacer: VaultPacer, now: number, windowMs: number): number {
    prune(pacer, now, windowMs);
    if (pacer.limit !== undefined && pacer.lastThrottleAt !== undefined && now - pacer.lastThrottleAt > 2 * windowMs) {
        pacer.limit = undefined;
    }
    let slot = now;
    if (pacer.limit !== undefined && pacer.sent.length >= pacer.limit) {
        slot = Math.max(now, pacer.sent[pacer.sent.length - pacer.limit] + windowMs);
    }
    pacer.sent.push(slot);
    return slot;
}

/**
 * A bare 429 answered the request sent at `slot`: it did not count, and the acceptances
 * confirmed within the window are the limit (requests still in flight are not counted:
 * they may be refused too, and overcounting would send more into a full window).
 */
export function learnFromThrottle(pacer: VaultPacer, slot: number, now: number, windowMs: number): void {
    const i = pacer.sent.lastIndexOf(slot);
    if (i >= 0) pacer.sent.splice(i, 1);
    prune(pacer, now, windowMs);
    if (pacer.accepted.length > 0) pacer.limit = pacer.accepted.length;
    pacer.lastThrottleAt = now;
}

/** The vault accepted the request sent at `slot` by `now` at the latest: count it from then, to stay on the safe side of its window. */
export function recordAccepted(pacer: VaultPacer, slot: number, now: number): void {
    const i = pacer.sent.lastIndexOf(slot);
    if (i >= 0) pacer.sent.splice(i, 1);
    insertSorted(pacer.sent, now);
    insertSorted(pacer.accepted, now);
}

async function enter(pacer: VaultPacer, maxInFlight: number): Promise<void> {
    if (pacer.inFlight >= maxInFlight) await new Promise<void>((resolve) => pacer.waiting.push(resolve));
    else pacer.inFlight += 1;
}

function leave(pacer: VaultPacer): void {
    const next = pacer.waiting.shift();
    if (next) next();
    else pacer.inFlight -= 1;
}

function headerOf(error: unknown, name: string): string | undefined {
    const headers = (error as { response?: { headers?: { get?: (n: string) => string | undefined } } })?.response?.headers;
    return typeof headers?.get === "function" ? headers.get(name) ?? undefined : undefined;
}

/** A 429 without any of the Retry-After headers the SDK honours. */
export function isBareThrottle(error: unknown): boolean {
    if ((error as { statusCode?: number })?.statusCode !== 429) return false;
    return ["retry-after", "retry-after-ms", "x-ms-retry-after-ms"].every((h) => headerOf(error, h) === undefined);
}

export interface VaultThrottledError extends Error {
    name: "VaultThrottledError";
    attempts: number;
    waitedMs: number;
}

export function vaultThrottledError(attempts: number, waitedMs: number): VaultThrottledError {
    const error = new Error(`the vault kept answering 429 (throttled, no Retry-After) through ${attempts} attempts over ${(waitedMs / 1000).toFixed(1)} s`);
    return Object.assign(error, { name: "VaultThrottledError" as const, attempts, waitedMs });
}

export function isVaultThrottledError(error: unknown): error is VaultThrottledError {
    return (error as { name?: string })?.name === "VaultThrottledError";
}

export interface RetryContext {
    settings: VaultRetrySettings;
    pacer: VaultPacer;
    /** Waits; replaceable so tests can record the delays. */
    sleep?: (ms: number) => Promise<void>;
    random?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The SDK's request timeout: an abort keyrelay never asks for otherwise. */
export function isRequestTimeout(error: unknown): boolean {
    return (error as { name?: string })?.name === "AbortError";
}

export function vaultTimeoutError(attempts: number, timeoutMs: number): Error {
    return new Error(`the vault did not answer within ${(timeoutMs / 1000).toFixed(1)} s, ${attempts} times in a row`);
}

/**
 * Runs one vault request at the pacer's pace, retrying bare 429s with the bounded backoff
 * and requests that timed out (the SDK leaves those to the caller) like dropped connections.
 */
export async function withThrottleRetry<T>(request: () => Promise<T>, context: RetryContext): Promise<T> {
    const { pacer } = context;
    if (pacer.firstRequest) {
        await pacer.firstRequest;
        return sendWithRetry(request, context);
    }
    const sent = sendWithRetry(request, context);
    // A failed first request leaves the gate open: the next caller becomes the first.
    pacer.firstRequest = sent.then(() => undefined, () => {
        pacer.firstRequest = undefined;
    });
    return sent;
}

async function sendWithRetry<T>(request: () => Promise<T>, context: RetryContext): Promise<T> {
    const { settings, pacer } = context;
    const sleep = context.sleep ?? realSleep;
    const started = DateTime.now().toMillis();
    let throttled = 0;
    let timedOut = 0;
    for (;;) {
        await enter(pacer, settings.maxInFlight);
        let slot = 0;
        let outcome: { ok: true; value: T } | { ok: false; error: unknown };
        try {
            slot = reserveSlot(pacer, DateTime.now().toMillis(), settings.windowMs);
            const wait = slot - DateTime.now().toMillis();
            if (wait > 0) await sleep(wait);
            outcome = { ok: true, value: await request() };
        } catch (error) {
            outcome = { ok: false, error };
        } finally {
            leave(pacer);
        }
        if (outcome.ok) {
            recordAccepted(pacer, slot, DateTime.now().toMillis());
            return outcome.value;
        }
        const { error } = outcome;
        if (isRequestTimeout(error)) {
            timedOut += 1;
            if (timedOut > settings.transientRetries) throw vaultTimeoutError(timedOut, settings.requestTimeoutMs);
            await sleep(jittered(Math.min(settings.transientDelayMs * 2 ** (timedOut - 1), settings.transientMaxDelayMs), settings.jitter, context.random));
            continue;
        }
        if (!isBareThrottle(error)) throw error;
        learnFromThrottle(pacer, slot, DateTime.now().toMillis(), settings.windowMs);
        if (throttled >= settings.throttleDelaysMs.length) {
            throw vaultThrottledError(throttled + 1, DateTime.now().toMillis() - started);
        }
        await sleep(jittered(settings.throttleDelaysMs[throttled], settings.jitter, context.random));
        throttled += 1;
    }
}

/** Retry-After in ms from a response's headers (retry-after-ms, x-ms-retry-after-ms, Retry-After seconds or HTTP date). */
export function retryAfterMsOf(headers: { get(name: string): string | undefined }): number | undefined {
    for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
        const raw = headers.get(name);
        if (raw !== undefined && raw.trim() !== "" && Number.isFinite(Number(raw))) return Number(raw);
    }
    const raw = headers.get("retry-after");
    if (raw === undefined || raw.trim() === "") return undefined;
    if (Number.isFinite(Number(raw))) return Number(raw) * 1000;
    const date = DateTime.fromHTTP(raw);
    return date.isValid ? Math.max(0, date.toMillis() - DateTime.now().toMillis()) : undefined;
}

/**
 * A pipeline policy placed after the SDK's retry policy (position "perRetry"), so it sees every
 * answer first: a 429 or 503 whose Retry-After asks for more than `maxMs` is rewritten to ask for
 * `maxMs`. The SDK's throttling strategy honours any Retry-After as given, without a cap
 * (@typespec/ts-http-runtime dist/commonjs/retryStrategies/throttlingRetryStrategy.js,
 * getRetryAfterInMs), and its retry count (maxRetries) bounds how many such waits follow.
 */
export function retryAfterCapPolicy(maxMs: number): { name: string; sendRequest(request: any, next: (request: any) => Promise<any>): Promise<any> } {
    return {
        name: "keyrelayRetryAfterCap",
        async sendRequest(request, next) {
            const response = await next(request);
            if (response.status !== 429 && response.status !== 503) return response;
            const asked = retryAfterMsOf(response.headers);
            if (asked === undefined || asked <= maxMs) return response;
            for (const name of ["retry-after", "x-ms-retry-after-ms"]) response.headers.delete(name);
            response.headers.set("retry-after-ms", String(maxMs));
            return response;
        },
    };
}

/** A pipeline policy that gives every request (the credential's token requests too) a timeout, unless it has a shorter one. */
export function requestTimeoutPolicy(timeoutMs: number): { name: string; sendRequest(request: any, next: (request: any) => Promise<any>): Promise<any> } {
    return {
        name: "keyrelayRequestTimeout",
        sendRequest(request, next) {
            if (!request.timeout || request.timeout > timeoutMs) request.timeout = timeoutMs;
            return next(request);
        },
    };
}
