// A progress line for plans that take a while: on a terminal (stderr) only, and only once the plan
// has run for a second, so small fleets and piped output (CI logs, `--json | jq`) see none. The
// line is rewritten in place at most every 100 ms and cleared at the end.
import { CliContext } from "../context";

const SHOW_AFTER_MS = 1000;
const REDRAW_EVERY_MS = 100;

export class PlanProgress {
    private readonly started: number;
    private lastDrawn = 0;
    private shown = false;

    /** `now` reads elapsed time (a monotonic count of ms), not the calendar: tests pass their own. */
    constructor(private readonly context: Pick<CliContext, "stderr" | "stderrIsTTY">, private readonly what: string, private readonly now: () => number = () => performance.now()) {
        this.started = now();
    }

    /** `done` of `total` are through. */
    update(done: number, total: number): void {
        if (!this.context.stderrIsTTY) return;
        const now = this.now();
        if (now - this.started < SHOW_AFTER_MS || now - this.lastDrawn < REDRAW_EVERY_MS) return;
        this.lastDrawn = now;
        this.shown = true;
        const percent = total > 0 ? Math.floor((100 * done) / total) : 0;
        this.context.stderr(`\r\x1b[2Kkeyrelay plan: ${this.what} ${done}/${total} (${percent}%)`);
    }

    /** Clears the line, if one was drawn. */
    end(): void {
        if (this.shown) this.context.stderr("\r\x1b[2K");
        this.shown = false;
    }
}
