// The overall --timeout of a command, and the per-request timeout every call also gets.
import { DateTime } from "luxon";
import { usageError } from "../exitCodes";

/** No single request may take longer than this, whatever the overall deadline. */
export const PER_REQUEST_TIMEOUT_MS = 30_000;

export class Deadline {
    readonly at: number;
    readonly controller = new AbortController();
    private readonly timer: NodeJS.Timeout;

    constructor(readonly totalMs: number, readonly label: string) {
        this.at = DateTime.now().toMillis() + totalMs;
        this.timer = setTimeout(() => this.controller.abort(), totalMs);
        this.timer.unref();
    }

    remainingMs(): number {
        return Math.max(0, this.at - DateTime.now().toMillis());
    }

    /** The timeout for the next request: the per-request cap or what is left, whichever is shorter. */
    requestTimeoutMs(): number {
        return Math.max(1, Math.min(PER_REQUEST_TIMEOUT_MS, this.remainingMs()));
    }

    get expired(): boolean {
        return this.remainingMs() <= 0;
    }

    get signal(): AbortSignal {
        return this.controller.signal;
    }

    dispose(): void {
        clearTimeout(this.timer);
    }
}

/** "60s", "2m", "90" (seconds) or an ISO-8601 duration ("PT1M"), as milliseconds. */
export function parseTimeout(text: string, command: string): number {
    const trimmed = text.trim();
    const simple = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(trimmed);
    let ms: number | undefined;
    if (simple) {
        const n = Number(simple[1]);
        const unit = (simple[2] ?? "s").toLowerCase();
        ms = n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>)[unit];
    } else if (/^P/i.test(trimmed)) {
        const { Duration } = require("luxon") as typeof import("luxon");
        const d = Duration.fromISO(trimmed.toUpperCase());
        if (d.isValid) ms = d.toMillis();
    }
    if (ms === undefined || !Number.isFinite(ms) || ms <= 0 || ms > 24 * 3_600_000) {
        throw usageError(`keyrelay ${command}: --timeout is ${JSON.stringify(text)}, not a duration. Use e.g. --timeout 60s, 5m or PT2M (at most 24h).`);
    }
    return ms;
}
