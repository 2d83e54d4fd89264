// What a plan reports, and how it reads on a terminal: the result's shape (also the --json
// schema) and its text form. Computed by command.ts's runPlan; nothing here runs a program.
import { DateTime } from "luxon";
import { toRfc3339 } from "../../components/schedule";
import { formatTable } from "../table";
import { paint } from "../colors";
import type { CliContext } from "../context";
import type { PlannedApp, PlannedViolation } from "./derivedPlan";
import { DAILY_RUN_HOUR_UTC } from "./options";
import type { GraphWrites } from "./fleetFacts";

export const PLAN_DISCLAIMER = "This is a PLAN: a simulation under Pulumi's mock runtime. Nothing was deployed; no Azure, Entra or Key Vault call was made.";

export interface PlanOptions {
    /** The folder to plan from, as Pulumi's --cwd; Pulumi.yaml is searched from there upward. */
    cwd?: string;
    /** The old name of --cwd. */
    program?: string;
    stack?: string;
    from?: string;
    horizon?: string;
    svg?: string;
    /** Run the program on every day of the horizon (implies simulate). */
    daily?: boolean;
    /** Run the program on every day something changes, instead of deriving the timeline from the schedule. */
    simulate?: boolean;
    json?: boolean;
}

/** How the plan was made: "derived" from the schedule, "simulated" on every day something changes, or "daily". */
export type PlanMethod = "derived" | "simulated" | "daily";

export const PLAN_SCHEMA = "keyrelay-plan/1";

export interface PlanResult {
    /** The JSON shape's name and version: schemas/keyrelay-plan-1.schema.json. */
    schema: typeof PLAN_SCHEMA;
    plan: true;
    disclaimer: string;
    /** The Pulumi project's name (Pulumi.yaml), else the program directory's. */
    project: string;
    stack: string;
    from: string;
    until: string;
    method: PlanMethod;
    /** The runs of the daily schedule the plan covers: the first, and each day on which something changes (every day with --daily). */
    runs: number;
    /** How many times the program ran under the mock runtime. */
    programRuns: number;
    /** Why a derived plan was simulated instead, when it was. */
    note?: string;
    apps: PlannedApp[];
    violations: PlannedViolation[];
    /** RotatedAppRegistrations with no declared owners (no `owners` arg, no keyrelay:owners config). */
    ownersUndeclared: string[];
    /** Microsoft Graph writes of the first run and of the busiest later day. */
    graphWrites: GraphWrites;
    /** Where the picture was written: only with --svg. */
    svgFile?: string;
    exitCode: number;
}

export function day(t: DateTime | string | undefined): string {
    if (t === undefined) return "-";
    return (typeof t === "string" ? t : toRfc3339(t)).slice(0, 10);
}

export function counted(count: number, noun: string): string {
    return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** What the header says about the runs: how many, on which days, and how the plan knows what they do. */
export function describeRuns(result: Pick<PlanResult, "runs" | "method" | "programRuns">): string {
    const hour = `${String(DAILY_RUN_HOUR_UTC).padStart(2, "0")}:00 UTC`;
    switch (result.method) {
        case "daily":
            return `${counted(result.runs, "simulated daily run")} at ${hour}, starting from an empty stack`;
        case "simulated":
            return `${counted(result.runs, "simulated run")} on the days something changes, at ${hour}, starting from an empty stack; the program ran at each`;
        case "derived":
            return `${counted(result.runs, "simulated run")} on the days something changes, at ${hour}, starting from an empty stack; `
                + `derived from the components' schedule, the program ran ${counted(result.programRuns, "time")} under the mock runtime`;
    }
}

export function formatPlan(result: PlanResult, colors: Pick<CliContext, "color"> = {}): string {
    const lines = [`keyrelay PLAN of ${result.project} (stack ${result.stack}) from ${day(result.from)} to ${day(result.until)} (${describeRuns(result)})`, result.disclaimer];
    if (result.note) lines.push(result.note);
    lines.push("");
    for (const app of result.apps) {
        lines.push(`${app.name}: secret ${app.secret ?? "-"}, next rotation ${day(app.nextRotation)}, ${counted(app.rotations.length, "rotation")} in the horizon`);
        lines.push(formatTable(["slot", "issued", "expires", "in service", "replaced", "removed"],
            app.credentials.map((c) => [c.slot, day(c.issued), day(c.endDateTime), c.inServiceFrom ? day(c.inServiceFrom) : "never", day(c.replaced), day(c.removed)])));
        for (const line of app.gate ?? []) lines.push(`  ${line}`);
        lines.push("");
    }
    if (result.apps.some((a) => a.credentials.some((c) => !c.inServiceFrom))) {
        lines.push(`in service "never": declared for an earlier period, it expires without Key Vault ever pointing at it.`, "");
    }
    const writes = result.graphWrites;
    lines.push(`Microsoft Graph writes: ${writes.firstRun} on the first run (${day(result.from)}); `
        + (writes.busiestDay ? `at most ${writes.busiestDay.writes} on a later day (${writes.busiestDay.day}).` : "none on later days.")
        + " Entra allows 3,000 writes per 150 s per deploying identity (docs/operations.md).");
    if (result.ownersUndeclared.length > 0) {
        const names = result.ownersUndeclared;
        lines.push(`${paint(colors, "warning", "Warning")}: ${counted(names.length, "app")} declare${names.length === 1 ? "s" : ""} no owners (${names.slice(0, 5).join(", ")}${names.length > 5 ? `, and ${names.length - 5} more` : ""}): `
            + "whoever runs the first pulumi up owns each (a later run adds its deployer and removes no one), so a first run by a person leaves the pipeline unable to rotate under Application.ReadWrite.OwnedBy. "
            + "Declare them (the pipeline's service principal first) with the owners arg or the keyrelay:owners stack config.");
    }
    if (result.violations.length === 0) {
        lines.push(`Policy pack: no violations in ${counted(result.runs, "run")}.`);
    } else {
        lines.push(`Policy pack: ${counted(result.violations.length, "violation")}:`);
        for (const v of result.violations) {
            lines.push(`  ${paint(colors, v.enforcementLevel === "mandatory" ? "critical" : "warning", `[${v.enforcementLevel}]`)} ${v.policy} (${day(v.firstSeen)} to ${day(v.lastSeen)}, ${counted(v.runs, "run")}): ${v.message}`);
        }
    }
    lines.push("", result.disclaimer);
    if (result.svgFile) lines.push(`Timeline written to ${result.svgFile}`);
    return lines.join("\n") + "\n";
}
