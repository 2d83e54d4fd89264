// Pipeline policies keyrelay adds to the Azure SDK clients it builds (the provider's and the
// command's): a cap on the waits a Retry-After may ask for, and a timeout on every request.
import { DateTime } from "luxon";

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
