// What to do after a failed Key Vault request, decided from the failure alone (like
// @azure/core-rest-pipeline's RetryStrategy: retry after a delay, or stop with an error, or leave it
// to the next strategy). A 429 with Retry-After is the SDK's to honour; a bare 429 (seen in
// production) gets a growing, bounded, jittered backoff; a request that timed out (which the SDK
// leaves to the caller) is retried like a dropped connection.
import { VaultRequestTarget, vaultThrottledError, vaultTimeoutError } from "./vaultErrors";
import { VaultRetrySettings } from "./vaultRetrySettings";

/** A delay drawn uniformly from delay x [1 - jitter, 1 + jitter]. */
export function jittered(delayMs: number, jitter: number, random: () => number = Math.random): number {
    return Math.round(delayMs * (1 - jitter + 2 * jitter * random()));
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

/** The SDK's request timeout: an abort keyrelay never asks for otherwise. */
export function isRequestTimeout(error: unknown): boolean {
    return (error as { name?: string })?.name === "AbortError";
}

/** The attempts so far of one request. */
export interface RetryState {
    /** Bare 429s answered so far. */
    throttled: number;
    /** Attempts that timed out so far. */
    timedOut: number;
    /** How long the request has been trying, in ms. */
    elapsedMs: number;
}

/** Retry after `retryAfterMs`, or stop with `errorToThrow`; undefined: not this strategy's failure. */
export type RetryDecision = { retryAfterMs: number; errorToThrow?: undefined } | { errorToThrow: unknown; retryAfterMs?: undefined };

export interface VaultRetryStrategy {
    readonly name: string;
    retry(state: RetryState, error: unknown): RetryDecision | undefined;
}

/** Bare 429s: the settings' delays in turn, jittered; their count bounds the retries. */
export function bareThrottleStrategy(settings: VaultRetrySettings, target: VaultRequestTarget, random?: () => number): VaultRetryStrategy {
    return {
        name: "bareThrottle",
        retry(state, error) {
            if (!isBareThrottle(error)) return undefined;
            if (state.throttled >= settings.throttleDelaysMs.length) return { errorToThrow: vaultThrottledError(target, state.throttled + 1, state.elapsedMs) };
            return { retryAfterMs: jittered(settings.throttleDelaysMs[state.throttled], settings.jitter, random) };
        },
    };
}

/** Timeouts: exponential delays like the SDK's for dropped connections, as many retries as it makes. */
export function requestTimeoutStrategy(settings: VaultRetrySettings, target: VaultRequestTarget, random?: () => number): VaultRetryStrategy {
    return {
        name: "requestTimeout",
        retry(state, error) {
            if (!isRequestTimeout(error)) return undefined;
            if (state.timedOut + 1 > settings.transientRetries) return { errorToThrow: vaultTimeoutError(target, state.timedOut + 1, settings.requestTimeoutMs) };
            const delay = Math.min(settings.transientDelayMs * 2 ** state.timedOut, settings.transientMaxDelayMs);
            return { retryAfterMs: jittered(delay, settings.jitter, random) };
        },
    };
}
