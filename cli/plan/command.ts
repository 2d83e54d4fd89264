// keyrelay plan: a time-travel preview of a daily scheduled `pulumi up`. By default the program runs
// once under the mock runtime and the rest is derived from the components' schedule (derivedPlan.ts);
// --simulate (or --daily) runs the program under the engine-playing harness run after run across the
// horizon, checking the policy pack at every run. Both report each app's credentials the same way.
// Nothing leaves the process: it is a plan, not a deployment.
import * as fs from "fs";
import * as path from "path";
import { DateTime } from "luxon";
import { toRfc3339 } from "../../components/schedule";
import { SimulatedEngine, programFromFile, stackConfigFromFile } from "../../simulation/engine";
import { CliContext } from "../context";
import { KeyrelayError } from "../../lib/errors";
import { CliError, EXIT_CRITICAL, EXIT_OK, usageError } from "../errors";
import { TimelineApp, renderTimelineSvg } from "../timeline";
import { parseFrom, parseHorizon } from "./options";
import { PulumiProgram, resolvePulumiProgram } from "./pulumiProject";
import { registerTypeScript } from "./typescriptPrograms";
import { hostTypeChecks, typeErrorsOf } from "./typeCheck";
import { PlanProgress } from "./progress";
import { appsWithoutDeclaredOwners, graphWrites } from "./fleetFacts";
import { collectGarbage } from "./collectGarbage";
import { FleetPlan, derivedPlan } from "./derivedPlan";
import { simulatedPlan } from "./simulatedPlan";
import { PLAN_DISCLAIMER, PLAN_SCHEMA, PlanMethod, PlanOptions, PlanResult, day, formatPlan } from "./report";

export { DAILY_RUN_HOUR_UTC } from "./options";
export { nextDailyRun } from "./fleetTimeline";
export type { PlannedApp, PlannedCredentialFacts, PlannedViolation } from "./derivedPlan";
export { nextCredentialChange, simulatedPlan } from "./simulatedPlan";
export { PLAN_DISCLAIMER, counted, describeRuns, formatPlan } from "./report";
export type { PlanMethod, PlanOptions, PlanResult } from "./report";

async function policiesOfRepository(): Promise<import("@pulumi/policy").Policies> {
    const { keyrelayPolicies } = await import("../../policies/policies");
    return keyrelayPolicies;
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

/** The folder `plan` starts from: --cwd (alias --program), relative to the working directory. */
function startDir(options: Pick<PlanOptions, "cwd" | "program">, cwd: string, command: string): string {
    const given = options.cwd ?? options.program;
    const dir = path.resolve(cwd, given ?? ".");
    if (given !== undefined && !(fs.existsSync(dir) && fs.statSync(dir).isDirectory())) {
        throw usageError(`keyrelay ${command}: --cwd ${JSON.stringify(given)}: ${dir} is not a folder. Pass --cwd <folder of a Pulumi project>.`);
    }
    return dir;
}

/**
 * The Pulumi program and stack a command was pointed at (--cwd/--program, --stack), found as Pulumi
 * finds them, with TypeScript registered the way the host would compile it. plan and doctor share it.
 */
export function targetProgram(options: Pick<PlanOptions, "cwd" | "program" | "stack">, context: CliContext, command: string): PulumiProgram {
    const target = resolvePulumiProgram(startDir(options, context.cwd ?? process.cwd(), command), options.stack, context.env);
    for (const warning of target.warnings) context.stderr(`keyrelay ${command}: warning: ${warning}\n`);
    if (target.typescript) registerTypeScript(target.workDir, target.tsconfig);
    return target;
}

export async function runPlan(options: PlanOptions, context: CliContext): Promise<PlanResult> {
    const cwd = context.cwd ?? process.cwd();
    const target = targetProgram(options, context, "plan");
    const { stack, project, configFile, entry: programFile } = target;
    const from = parseFrom(options.from);
    const until = from.plus(parseHorizon(options.horizon ?? "P2Y"));
    const today = DateTime.utc();
    const svgFile = options.svg === undefined ? undefined : path.resolve(cwd, options.svg);
    if (svgFile) checkSvgPath(svgFile, options.svg!);
    if (target.typescript) {
        if (/\.[cm]?tsx?$/.test(programFile) && hostTypeChecks(context.env, target.tsconfig)) {
            const errors = typeErrorsOf(programFile, target.tsconfig, context.env);
            if (errors.length > 0) {
                // As pulumi up reports them; PULUMI_NODEJS_TRANSPILE_ONLY=true skips the check for both.
                throw new CliError(new KeyrelayError("ProgramFailed", `keyrelay plan: the program does not compile:\n  ${errors.join("\n  ")}`), EXIT_CRITICAL);
            }
        }
    }

    const policies = await policiesOfRepository();
    const config = stackConfigFromFile(configFile);
    const newEngine = () => new SimulatedEngine({ program: programFromFile(programFile), config, stack, project });
    const onProgramError = (at: DateTime, error: Error): never => {
        throw new CliError(new KeyrelayError("ProgramFailed", `keyrelay plan: the program fails on the run of ${day(at)}: ${describeProgramError(error, target.workDir)}`, { cause: error }), EXIT_CRITICAL);
    };
    let method: PlanMethod = options.daily ? "daily" : options.simulate ? "simulated" : "derived";
    let fleet: FleetPlan;
    let note: string | undefined;
    const progress = new PlanProgress(context, method === "derived" ? "checking apps" : "simulating days");
    const onProgress = (done: number, total: number) => progress.update(done, total);
    const engine = newEngine();
    try {
        if (method === "derived") {
            // The program's module keeps every resource of its run alive through its exports; the plan needs none of them afterwards.
            const afterLearning = () => {
                delete require.cache[require.resolve(programFile)];
                collectGarbage();
            };
            const outcome = await derivedPlan({ engine, policies, from, until, onProgramError, afterLearning, onProgress });
            if ("plan" in outcome) {
                fleet = outcome.plan;
            } else {
                note = `Simulated run by run: the timeline could not be derived from the schedule (${outcome.simulate}).`;
                method = "simulated";
                fleet = await simulatedPlan(newEngine(), policies, from, until, false, onProgramError, onProgress);
            }
        } else {
            fleet = await simulatedPlan(engine, policies, from, until, method === "daily", onProgramError, onProgress);
        }
    } finally {
        progress.end();
    }

    const timeline: TimelineApp[] = fleet.apps.map((app) => ({
        name: app.name,
        caption: [app.every ? `every ${app.every}` : undefined, app.nextRotation ? `next ${day(app.nextRotation)}` : undefined].filter(Boolean).join(", ") || undefined,
        rotations: app.rotations.map((r) => DateTime.fromISO(r, { zone: "utc" })),
        credentials: app.credentials.map((c) => {
            const t = (s: string) => DateTime.fromISO(s, { zone: "utc" });
            return {
                slot: c.slot, start: t(c.startDateTime), end: t(c.endDateTime),
                inService: c.inServiceFrom ? { from: t(c.inServiceFrom), until: c.replaced ? t(c.replaced) : until } : undefined,
            };
        }),
    }));
    if (svgFile) fs.writeFileSync(svgFile, renderTimelineSvg({ from, to: until, today, apps: timeline, title: `${project}, stack ${stack}: rotation plan (a simulation; nothing is deployed)` }));
    const ownersUndeclared = appsWithoutDeclaredOwners(fleet.firstRun, engine.deployingPrincipal, config);

    return {
        schema: PLAN_SCHEMA, plan: true, disclaimer: PLAN_DISCLAIMER, project, stack, from: toRfc3339(from), until: toRfc3339(until), method,
        runs: fleet.runs, programRuns: fleet.programRuns, ...(note ? { note } : {}), apps: fleet.apps,
        violations: fleet.violations, ownersUndeclared, graphWrites: graphWrites(fleet.firstRun, engine.deployingPrincipal, fleet.apps, toRfc3339(from)),
        ...(svgFile ? { svgFile } : {}),
        exitCode: fleet.violations.some((v) => v.enforcementLevel === "mandatory") ? EXIT_CRITICAL : EXIT_OK,
    };
}

export async function planCommand(options: PlanOptions, context: CliContext): Promise<number> {
    const result = await runPlan(options, context);
    context.stdout(options.json ? JSON.stringify(result, null, 2) + "\n" : formatPlan(result, context));
    return result.exitCode;
}
