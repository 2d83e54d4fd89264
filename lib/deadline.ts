// Every wait of keyrelay is bounded by one Deadline: each request gets a timeout of its own, and the
// whole command a deadline (--timeout). At the deadline every request still open is aborted, and the
// command ends with one message naming the host that did not answer. The same tracker notices a
// host name that does not resolve. Shared by the CLI's commands and, later, the provider.
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from "@azure/core-rest-pipeline";
import { DateTime, Duration } from "luxon";
import { KeyrelayError } from "./errors";

/** Default of --timeout, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 60;
/** Longest a single request may go unanswered, in ms (less when the deadline is nearer). */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Largest --timeout accepted, in seconds (a day). */
export const MAX_TIMEOUT_SECONDS = 24 * 3600;

const UNRESOLVED_CODES = ["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_NODATA"];

/** A command option that is not well formed (the CLI maps the code "InvalidOption" to its usage exit). */
export class OptionError extends KeyrelayError {
    constructor(problem: string, fix: string) {
        super("InvalidOption", problem, { fix });
        this.name = "OptionError";
    }
}

/** The deadline passed while `host` was being waited on. */
export class DeadlineError extends KeyrelayError {
    constructor(readonly command: string, readonly host: string, readonly totalMs: number) {
        super("DeadlineExceeded", `keyrelay ${command}: ${host} did not answer within --timeout ${totalMs / 1000}s`,
            { fix: "Check that host, your network, proxy and firewall, or raise --timeout." });
        this.name = "DeadlineError";
    }
}

export function isDeadlineError(error: unknown): error is DeadlineError {
    return error instanceof Error && (error as DeadlineError).code === "DeadlineExceeded" && typeof (error as DeadlineError).host === "string";
}

/**
 * --timeout as milliseconds: a number of seconds ("60", "2.5"), a number with a unit ("60s", "5m",
 * "1h", "500ms") or an ISO-8601 duration ("PT2M"); one grammar for every command. A value that
 * rounds to 0 ms is refused: it would be a timeout before the first request, not a deadline.
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
    const rounded = ms === undefined ? NaN : Math.round(ms);
    if (!Number.isFinite(rounded) || rounded <= 0 || rounded > MAX_TIMEOUT_SECONDS * 1000) {
        throw new OptionError(`keyrelay ${command}: --timeout is ${JSON.stringify(text)}, not a duration from 1 ms up to ${MAX_TIMEOUT_SECONDS / 3600} h`,
            "Use e.g. --timeout 60 (seconds, the default), 60s, 5m or PT2M.");
    }
    return rounded;
}

export function errorCode(error: unknown): string | undefined {
    const e = error as { code?: string; cause?: { code?: string } } | undefined;
    return e?.code ?? e?.cause?.code;
}

export function isUnresolvedError(error: unknown): boolean {
    const code = errorCode(error);
    return code !== undefined && UNRESOLVED_CODES.includes(code);
}

export function hostOf(url: string): string {
    try {
        return new URL(url).host;
    } catch {
        return url;
    }
}

const nowMs = () => DateTime.now().toMillis();

export class Deadline {
    private readonly controller = new AbortController();
    private readonly endsAt: number;
    private readonly timer: NodeJS.Timeout;
    private readonly inFlight = new Map<number, { host: string; since: number }>();
    private nextId = 0;
    private lastHost: string | undefined;
    /** Hosts whose name did not resolve. */
    readonly unresolved = new Set<string>();
    /** A host whose request timed out on its own (before the deadline). */
    timedOutHost: string | undefined;

    constructor(readonly totalMs: number, readonly command: string, private readonly fallbackHost: string) {
        this.endsAt = nowMs() + totalMs;
        // A real timer, not the (pinnable) clock, ends the wait; unref'd so it never holds the process open.
        this.timer = setTimeout(() => this.controller.abort(), totalMs);
        this.timer.unref();
    }

    /** Aborted at the deadline: hand it to every request. */
    get signal(): AbortSignal {
        return this.controller.signal;
    }

    get expired(): boolean {
        return this.controller.signal.aborted || this.remainingMs() <= 0;
    }

    remainingMs(): number {
        return this.controller.signal.aborted ? 0 : Math.max(0, this.endsAt - nowMs());
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

    /** The one timeout message of keyrelay. */
    timeoutError(host = this.silentHost()): DeadlineError {
        return new DeadlineError(this.command, host, this.totalMs);
    }

    /** A deliberate wait (a retry's backoff). It counts against the deadline, and ends early at it. */
    async sleep(ms: number): Promise<void> {
        const signal = this.controller.signal;
        if (signal.aborted) return;
        await new Promise<void>((resolve) => {
            const done = () => { clearTimeout(timer); signal.removeEventListener("abort", done); resolve(); };
            const timer = setTimeout(done, Math.max(0, ms));
            signal.addEventListener("abort", done);
        });
    }

    /** Runs `work` until the deadline; at it, every request is aborted and the timeout error thrown. */
    async run<T>(work: () => Promise<T>): Promise<T> {
        const signal = this.controller.signal;
        let onAbort: (() => void) | undefined;
        const expired = new Promise<never>((_, reject) => {
            onAbort = () => reject(this.timeoutError());
            if (signal.aborted) onAbort();
            else signal.addEventListener("abort", onAbort);
        });
        try {
            return await Promise.race([work(), expired]);
        } finally {
            if (onAbort) signal.removeEventListener("abort", onAbort);
        }
    }

    /** Stops the timer (the command is done); requests still open are aborted. */
    dispose(): void {
        clearTimeout(this.timer);
    }

    /**
     * A pipeline policy for every Azure SDK client and credential (position "perRetry": every
     * attempt). It gives each request a timeout and the deadline's abort signal when the caller's
     * options did not reach it: @azure/keyvault-secrets fetches the later pages of a listing with
     * `client.pathUnchecked(nextLink).get()` and no options (static-helpers/pagingHelpers.js,
     * buildPagedAsyncIterator), so only a policy can bound them.
     */
    policy(): PipelinePolicy {
        return {
            name: "keyrelayDeadline",
            sendRequest: async (request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> => {
                const timeout = this.requestTimeoutMs();
                if (!request.timeout || request.timeout > timeout) request.timeout = timeout;
                request.abortSignal = request.abortSignal && request.abortSignal !== this.controller.signal
                    ? AbortSignal.any([request.abortSignal as AbortSignal, this.controller.signal])
                    : this.controller.signal;
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
