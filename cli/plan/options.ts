// keyrelay plan's option checks, light enough to run before the Pulumi SDK loads: a bad --from or
// --horizon is a usage error within the command's start-up time.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
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

/** The `name` in the program's Pulumi.yaml: the project its config keys are namespaced by. */
export function pulumiProjectName(programDir: string): string | undefined {
    const file = ["Pulumi.yaml", "Pulumi.yml"].map((f) => path.join(programDir, f)).find((f) => fs.existsSync(f));
    if (!file) return undefined;
    const project = yaml.load(fs.readFileSync(file, "utf8")) as { name?: unknown } | undefined;
    return typeof project?.name === "string" ? project.name : undefined;
}
