// keyrelay plan: a time-travel preview of a daily scheduled `pulumi up`. By default the program runs
// once under the mock runtime and the rest is derived from the components' schedule (derivedPlan.ts);
// --simulate (or --daily) runs the program under the engine-playing harness run after run across the
// horizon, checking the policy pack at every run. Both report each app's credentials the same way.
// Nothing leaves the process: it is a plan, not a deployment.
import * as fs from "fs";
import * as path from "path";
import { DateTime } from "luxon";
import { toRfc3339 } from "../../components/schedule";
import { ownersWarnings } from "./ownerWarnings";
import { SimulatedEngine, programFromFile, stackConfigFromFile } from "../../simulation/engine";
import { CliContext } from "../context";
import { KeyrelayError } from "../../lib/errors";
import { CliError, EXIT_CRITICAL, EXIT_OK, usageError } from "../errors";
import { TimelineApp, renderTimelineSvg } from "../timeline";
import { parseFrom, parseHorizon, pulumiProjectName } from "./options";
import { collectGarbage } from "./collectGarbage";
import { FleetPlan, derivedPlan } from "./derivedPlan";
import { simulatedPlan } from "./simulatedPlan";
import { PLAN_DISCLAIMER, PlanMethod, PlanOptions, PlanResult, day, formatPlan } from "./report";

export { DAILY_RUN_HOUR_UTC } from "./options";
export { nextDailyRun } from "./fleetTimeline";
export type { PlannedApp, PlannedCredentialFacts, PlannedViolation } from "./derivedPlan";
export { nextCredentialChange, simulatedPlan } from "./simulatedPlan";
export { PLAN_DISCLAIMER, counted, describeRuns, formatPlan } from "./report";
export type { PlanMethod, PlanOptions, PlanResult } from "./report";
export const REPOSITORY_ROOT = path.resolve(__dirname, "..", "..");

async function policiesOfRepository(): Promise<import("@pulumi/policy").Policies> {
    const { keyrelayPolicies } = await import("../../policies/policies");
    return keyrelayPolicies;
}

/** The Pulumi project's name from Pulumi.yaml in `programDir`, else the directory's name. */
export function projectName(programDir: string): string {
    let name: string | undefined;
    try {
        name = pulumiProjectName(programDir);
    } catch {
        // Not YAML: the directory names the program.
    }
    return name && name.trim() !== "" ? name : path.basename(programDir);
}

/** The SVG goes into an existing, writable directory, and is not a directory itself: checked before any run. */
function checkSvgPath(svgFile: string, given: string): void {
    const dir = path.dirname(svgFile);
    const fix = "Pass --svg <file> in an existing, writable directory.";
    let stat: fs.Stats | undefined;
    try { stat = fs.statSync(dir); } catch { stat = undefined; }
    if (!stat?.isDirectory()) throw usageError(`keyrelay plan: --svg ${JSON.stringify(given)}: the directory ${dir} does not exist. ${fix}`);
    if (fs.existsSync(svgFile) && fs.statSync(svgFile).isDirectory()) throw usageError(`keyrelay plan: --svg ${JSON.stringify(given)} is a directory, not a file. ${fix}`);
    try { fs.accessSync(dir, fs.constants.W_OK); } catch { throw usageError(`keyrelay plan: --svg ${JSON.stringify(given)}: the directory ${dir} is not writable. ${fix}`); }
}

/** One line per problem: for a program that does not compile, each TypeScript diagnostic with its file and line. */
export function describeProgramError(error: Error, programDir: string): string {
    const diagnostics = (error as { diagnosticText?: string }).diagnosticText;
    if (error.name === "TSError" || typeof diagnostics === "string") {
        const lines = (diagnostics ?? error.message.replace(/^.*Unable to compile TypeScript:\s*/s, "")).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
        const located = lines.map((l) => (path.isAbsolute(l) ? l : path.join(programDir, l)));
        return `the program does not compile:\n  ${located.join("\n  ")}`;
    }
    return error.message.split(/\r?\n/)[0];
}

/**
 * Without --program: the working directory when it holds a Pulumi program (a user's project, where
 * keyrelay is installed), else this repository's reference stack (`npm start` here).
 */
export function defaultProgramDir(cwd: string): string {
    const isProgram = (dir: string) => fs.existsSync(path.join(dir, "Pulumi.yaml")) && fs.existsSync(path.join(dir, "index.ts"));
    return isProgram(cwd) || !isProgram(REPOSITORY_ROOT) ? cwd : REPOSITORY_ROOT;
}

export async function runPlan(options: PlanOptions, context: CliContext): Promise<PlanResult> {
    const cwd = context.cwd ?? process.cwd();
    const programDir = path.resolve(cwd, options.program ?? defaultProgramDir(cwd));
    const stack = options.stack ?? "example";
    const programFile = path.join(programDir, "index.ts");
    const configFile = path.join(programDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(programFile)) throw usageError(`keyrelay plan: no index.ts in ${programDir}. Pass --program <directory of a Pulumi TypeScript program>.`);
    if (!fs.existsSync(configFile)) throw usageError(`keyrelay plan: no Pulumi.${stack}.yaml in ${programDir}. Pass --stack <name> of an existing stack config file.`);
    const from = parseFrom(options.from);
    const until = from.plus(parseHorizon(options.horizon ?? "P2Y"));
    const today = DateTime.utc();
    const svgFile = path.resolve(cwd, options.svg ?? "keyrelay-plan.svg");
    checkSvgPath(svgFile, options.svg ?? "keyrelay-plan.svg");
    const project = projectName(programDir);

    const policies = await policiesOfRepository();
    let lastEngine: SimulatedEngine | undefined;
    const newEngine = () => (lastEngine = new SimulatedEngine({ program: programFromFile(programFile), config: stackConfigFromFile(configFile), stack, project }));
    const onProgramError = (at: DateTime, error: Error): never => {
        throw new CliError(new KeyrelayError("ProgramFailed", `keyrelay plan: the program fails on the run of ${day(at)}: ${describeProgramError(error, programDir)}`, { cause: error }), EXIT_CRITICAL);
    };
    let method: PlanMethod = options.daily ? "daily" : options.simulate ? "simulated" : "derived";
    let fleet: FleetPlan;
    let note: string | undefined;
    if (method === "derived") {
        // The program's module keeps every resource of its run alive through its exports; the plan needs none of them afterwards.
        const afterLearning = () => {
            delete require.cache[require.resolve(programFile)];
            collectGarbage();
        };
        const outcome = await derivedPlan({ engine: newEngine(), policies, from, until, onProgramError, afterLearning });
        if ("plan" in outcome) {
            fleet = outcome.plan;
        } else {
            note = `Simulated run by run: the timeline could not be derived from the schedule (${outcome.simulate}).`;
            method = "simulated";
            fleet = await simulatedPlan(newEngine(), policies, from, until, false, onProgramError);
        }
    } else {
        fleet = await simulatedPlan(newEngine(), policies, from, until, method === "daily", onProgramError);
    }

    const timeline: TimelineApp[] = fleet.apps.map((app) => ({
        name: app.name,
        rotations: app.rotations.map((r) => DateTime.fromISO(r, { zone: "utc" })),
        credentials: app.credentials.map((c) => {
            const t = (s: string) => DateTime.fromISO(s, { zone: "utc" });
            return {
                slot: c.slot, start: t(c.validFrom), end: t(c.expires),
                inService: c.inServiceFrom ? { from: t(c.inServiceFrom), until: c.replaced ? t(c.replaced) : until } : undefined,
            };
        }),
    }));
    fs.writeFileSync(svgFile, renderTimelineSvg({ from, to: until, today, apps: timeline, title: `${project} (stack ${stack}): keyrelay PLAN, not a deployment` }));

    return {
        plan: true, disclaimer: PLAN_DISCLAIMER, project, stack, from: toRfc3339(from), until: toRfc3339(until), method,
        runs: fleet.runs, programRuns: fleet.programRuns, ...(note ? { note } : {}), warnings: ownersWarnings(lastEngine?.resources() ?? []), apps: fleet.apps,
        violations: fleet.violations, svgFile,
        exitCode: fleet.violations.some((v) => v.enforcementLevel === "mandatory") ? EXIT_CRITICAL : EXIT_OK,
    };
}

export async function planCommand(options: PlanOptions, context: CliContext): Promise<number> {
    const result = await runPlan(options, context);
    context.stdout(options.json ? JSON.stringify(result, null, 2) + "\n" : formatPlan(result));
    return result.exitCode;
}
