// Every wait of a keyrelay command is bounded: each request has a timeout, and the command as a
// whole has a deadline (--timeout). Past it, the command stops with one line naming the host that
// did not answer. The same tracker notices a host name that does not resolve.
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from "@azure/core-rest-pipeline";
import { DateTime, Duration } from "luxon";
import { CliError, environmentError, usageError } from "./exitCodes";

/** Default of --timeout, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 60;
/** Longest a single request may go unanswered, in ms (less when the deadline is nearer). */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Largest --timeout accepted, in seconds (a day). */
export const MAX_TIMEOUT_SECONDS = 24 * 3600;

const UNRESOLVED_CODES = ["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_NODATA"];

/**
 * --timeout as milliseconds: a number of seconds ("60", "2.5"), a number with a unit ("60s", "5m",
 * "1h", "500ms") or an ISO-8601 duration ("PT2M"); one grammar for status, verify and audit.
 */
export function parseTimeout(text: string | undefined, command: string): number {
    if (text === undefined) return DEFAULT_TIMEOUT_SECONDS * 1000;
    const trimmed = text.trim();
    const simple = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(trimmed);
    let ms: number | undefined;
    if (simple) {
        const unit = (simple[2] ?? "s").toLowerCase();
        ms = Number(simple[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>)[unit];
    } else if (/^P/i.test(trimmed)) {
        const duration = Duration.fromISO(trimmed.toUpperCase());
        if (duration.isValid) ms = duration.toMillis();
    }
    if (ms === undefined || !Number.isFinite(ms) || ms <= 0 || ms > MAX_TIMEOUT_SECONDS * 1000) {
        throw usageError(`keyrelay ${command}: --timeout is ${JSON.stringify(text)}, not a duration up to ${MAX_TIMEOUT_SECONDS / 3600} h. `
            + "Use e.g. --timeout 60 (seconds, the default), 60s, 5m or PT2M.");
    }
    return Math.round(ms);
}

export function errorCode(error: unknown): string | undefined {
    const e = error as { code?: string; cause?: { code?: string } } | undefined;
    return e?.code ?? e?.cause?.code;
}

export function isUnresolvedError(error: unknown): boolean {
    const code = errorCode(error);
    return code !== undefined && UNRESOLVED_CODES.includes(code);
}

function hostOf(url: string): string {
    try {
        return new URL(url).host;
    } catch {
        return url;
    }
}

const nowMs = () => DateTime.now().toMillis();

export class Deadline {
    private readonly controller = new AbortController();
    private endsAt: number;
    private readonly inFlight = new Map<number, { host: string; since: number }>();
    private nextId = 0;
    private lastHost: string | undefined;
    /** Hosts whose name did not resolve. */
    readonly unresolved = new Set<string>();
    /** A host whose request timed out on its own (before the deadline). */
    timedOutHost: string | undefined;

    constructor(readonly totalMs: number, readonly command: string, private readonly fallbackHost: string) {
        this.endsAt = nowMs() + totalMs;
    }

    get signal(): AbortSignal {
        return this.controller.signal;
    }

    remainingMs(): number {
        return Math.max(0, this.endsAt - nowMs());
    }

    /** Timeout for the next request: REQUEST_TIMEOUT_MS, or what is left of the deadline. */
    requestTimeoutMs(): number {
        return Math.max(1, Math.min(REQUEST_TIMEOUT_MS, this.remainingMs()));
    }

    /** Marks a request to `url` in flight; call the result when it is answered. */
    track(url: string): () => void {
        const id = this.nextId++;
        const host = hostOf(url);
        this.lastHost = host;
        this.inFlight.set(id, { host, since: nowMs() });
        return () => void this.inFlight.delete(id);
    }

    /** The host to name: the one waited on longest, else the last one asked. */
    silentHost(): string {
        let oldest: { host: string; since: number } | undefined;
        for (const entry of this.inFlight.values()) if (!oldest || entry.since < oldest.since) oldest = entry;
        return oldest?.host ?? this.timedOutHost ?? this.lastHost ?? this.fallbackHost;
    }

    timeoutError(host = this.silentHost()): CliError {
        const seconds = this.totalMs / 1000;
        return environmentError(`keyrelay ${this.command}: ${host} did not answer within ${seconds} s (--timeout ${seconds}). `
            + "Check that host, your network, proxy and firewall, or raise --timeout.");
    }

    /** A deliberate wait (verify's propagation backoff) does not count against the deadline. */
    async pause(ms: number): Promise<void> {
        this.endsAt += ms;
        await new Promise((resolve) => setTimeout(resolve, ms));
    }

    /** Runs `work` until the deadline; past it, aborts every request and throws the timeout error. */
    async run<T>(work: () => Promise<T>): Promise<T> {
        let timer: NodeJS.Timeout | undefined;
        const expired = new Promise<never>((_, reject) => {
            const check = () => {
                const left = this.remainingMs();
                if (left > 0) {
                    timer = setTimeout(check, left);
                    return;
                }
                const error = this.timeoutError();
                this.controller.abort();
                reject(error);
            };
            timer = setTimeout(check, this.remainingMs());
        });
        try {
            return await Promise.race([work(), expired]);
        } finally {
            clearTimeout(timer);
        }
    }

    /**
     * A pipeline policy for the SecretClient and the credential (position "perRetry": every
     * attempt): a timeout on every request, the deadline's abort signal, and the host tracked.
     */
    policy(): PipelinePolicy {
        return {
            name: "keyrelayDeadline",
            sendRequest: async (request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> => {
                const timeout = this.requestTimeoutMs();
                if (!request.timeout || request.timeout > timeout) request.timeout = timeout;
                request.abortSignal ??= this.controller.signal;
                const done = this.track(request.url);
                const started = nowMs();
                try {
                    return await next(request);
                } catch (error) {
                    if (isUnresolvedError(error)) this.unresolved.add(new URL(request.url).hostname);
                    if ((error as { name?: string }).name === "AbortError" && !this.controller.signal.aborted && nowMs() - started >= request.timeout - 5) {
                        this.timedOutHost = hostOf(request.url);
                    }
                    throw error;
                } finally {
                    done();
                }
            },
        };
    }
}
