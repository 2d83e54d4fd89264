// keyrelay plan's option checks, light enough to run before the Pulumi SDK loads: a bad --from or
// --horizon is a usage error within the command's start-up time.
import { DateTime, Duration } from "luxon";
import { usageError } from "../errors";

import { DAILY_RUN_HOUR_UTC } from "./fleetTimeline";

export { DAILY_RUN_HOUR_UTC };
const MAX_HORIZON_DAYS = 3 * 365;

export function parseFrom(text: string | undefined): DateTime {
    if (text === undefined) return DateTime.utc();
    const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
    const parsed = DateTime.fromISO(text, { zone: "utc" });
    if (!parsed.isValid) {
        throw usageError(`keyrelay plan: --from is ${JSON.stringify(text)}, not an ISO date (${parsed.invalidExplanation ?? parsed.invalidReason}). Use e.g. --from 2027-01-01.`);
    }
    return dateOnly ? parsed.set({ hour: DAILY_RUN_HOUR_UTC }) : parsed;
}

export function parseHorizon(text: string): Duration {
    const horizon = Duration.fromISO(text);
    const days = horizon.isValid ? horizon.as("days") : NaN;
    if (!(days >= 1 && days <= MAX_HORIZON_DAYS)) {
        throw usageError(`keyrelay plan: --horizon is ${JSON.stringify(text)}, not an ISO-8601 duration from P1D to P3Y. Use e.g. --horizon P1Y or P2Y.`);
    }
    return horizon;
}

/** Throws the usage error a plan with these options would end in, before anything heavy loads. */
export function checkPlanOptions(options: { from?: string; horizon?: string }): void {
    parseFrom(options.from);
    parseHorizon(options.horizon ?? "P2Y");
}
