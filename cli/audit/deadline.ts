// The overall --timeout of a command, and the per-request timeout every call also gets.
import { DateTime } from "luxon";

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

export { parseTimeout } from "../deadline";
