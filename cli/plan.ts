// keyrelay plan: a time-travel preview. Runs the Pulumi program under the mock runtime with the
// engine-playing harness, run after run across the horizon, checks the policy pack at every run,
// and reports each app's credentials. Nothing leaves the process: it is a plan, not a deployment.
import * as fs from "fs";
import * as path from "path";
import { DateTime, Settings } from "luxon";
import { TYPE_TOKENS } from "../components/typeTokens";
import { SERVES_UNTIL_MARKER, toRfc3339 } from "../components/schedule";
import { SimulatedEngine, TYPES, programFromFile, stackConfigFromFile, vaultKey } from "../simulation/engine";
import type { SimulatedResource } from "../simulation/engine";
import { CliContext } from "./context";
import { CliError, EXIT_CRITICAL, EXIT_OK, usageError } from "./exitCodes";
import { PolicyViolation, checkPolicies } from "../policies/lib/runInProcess";
import { formatTable } from "./table";
import { TimelineApp, renderTimelineSvg } from "./timeline";
import { DAILY_RUN_HOUR_UTC, parseFrom, parseHorizon, pulumiProjectName } from "./planOptions";

export { DAILY_RUN_HOUR_UTC };
export const REPOSITORY_ROOT = path.resolve(__dirname, "..");
const COMPONENT_TYPE = TYPE_TOKENS.rotatedAppRegistration;
export const PLAN_DISCLAIMER = "This is a PLAN: a simulation under Pulumi's mock runtime. Nothing was deployed; no Azure, Entra or Key Vault call was made.";

export interface PlanOptions {
    program?: string;
    stack?: string;
    from?: string;
    horizon?: string;
    svg?: string;
    daily?: boolean;
    json?: boolean;
}

export interface PlannedCredentialFacts {
    slot: string;
    validFrom: string;
    expires: string;
    /** The simulated run that created it. */
    issued: string;
    /** When Key Vault started pointing at it; undefined if it never served inside the horizon. */
    inServiceFrom: string | undefined;
    /** When the next credential replaced it in Key Vault; undefined if still in service at the horizon. */
    replaced: string | undefined;
    /** When the run deleted it from Entra; undefined if still there at the horizon. */
    removed: string | undefined;
}

export interface PlannedApp {
    name: string;
    secret: string | undefined;
    nextRotation: string | undefined;
    rotations: string[];
    credentials: PlannedCredentialFacts[];
}

export interface PlannedViolation extends PolicyViolation {
    firstSeen: string;
    lastSeen: string;
    runs: number;
}

export interface PlanResult {
    plan: true;
    disclaimer: string;
    from: string;
    until: string;
    runs: number;
    apps: PlannedApp[];
    violations: PlannedViolation[];
    svgFile: string;
    exitCode: number;
}

/** The first daily run (DAILY_RUN_HOUR_UTC) strictly after `at` and not before `notBefore`. */
export function nextDailyRun(at: DateTime, notBefore: DateTime = at): DateTime {
    let tick = at.toUTC().startOf("day").set({ hour: DAILY_RUN_HOUR_UTC });
    while (tick <= at || tick < notBefore) tick = tick.plus({ days: 1 });
    return tick;
}

/** The earliest instant after `at` at which some keyrelay credential changes role: a rotation, or a retiring credential's end. */
export function nextCredentialChange(resources: readonly SimulatedResource[], at: DateTime): DateTime | undefined {
    let next: number | undefined;
    for (const r of resources) {
        if (r.type !== TYPES.applicationPassword) continue;
        for (const text of [r.inputs.rotateWhenChanged?.[SERVES_UNTIL_MARKER], r.inputs.endDate]) {
            const t = typeof text === "string" ? DateTime.fromISO(text, { zone: "utc" }).toMillis() : NaN;
            if (t > at.toMillis() && (next === undefined || t < next)) next = t;
        }
    }
    return next === undefined ? undefined : DateTime.fromMillis(next, { zone: "utc" });
}

async function policiesOfRepository(): Promise<import("@pulumi/policy").Policies> {
    const { keyrelayPolicies } = await import("../policies/policies");
    return keyrelayPolicies;
}

function day(t: DateTime | string | undefined): string {
    if (t === undefined) return "-";
    return (typeof t === "string" ? t : toRfc3339(t)).slice(0, 10);
}

export async function runPlan(options: PlanOptions, context: CliContext): Promise<PlanResult> {
    const cwd = context.cwd ?? process.cwd();
    const programDir = path.resolve(cwd, options.program ?? REPOSITORY_ROOT);
    const stack = options.stack ?? "example";
    const programFile = path.join(programDir, "index.ts");
    const configFile = path.join(programDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(programFile)) throw usageError(`keyrelay plan: no index.ts in ${programDir}. Pass --program <directory of a Pulumi TypeScript program>.`);
    if (!fs.existsSync(configFile)) throw usageError(`keyrelay plan: no Pulumi.${stack}.yaml in ${programDir}. Pass --stack <name> of an existing stack config file.`);
    const from = parseFrom(options.from);
    const until = from.plus(parseHorizon(options.horizon ?? "P2Y"));
    const today = DateTime.utc();
    const svgFile = path.resolve(cwd, options.svg ?? "keyrelay-plan.svg");

    const policies = await policiesOfRepository();
    const engine = new SimulatedEngine({ program: programFromFile(programFile), config: stackConfigFromFile(configFile), stack, project: pulumiProjectName(programDir) });
    const components = new Map<string, string>();
    const slotByKeyId = new Map<string, string>();
    const nextRotationByApp = new Map<string, string>();
    const violations = new Map<string, PlannedViolation>();
    const maxRuns = Math.ceil(until.diff(from).as("days")) + 2;
    let runs = 0;

    for (let at = from; at <= until && runs < maxRuns;) {
        const report = await engine.run(at);
        runs++;
        if (report.errors.length > 0) {
            const first = report.errors[0].message.split(/\r?\n/)[0];
            throw new CliError(`keyrelay plan: the program fails on the run of ${day(at)}: ${first}`, EXIT_CRITICAL);
        }
        const resources = engine.resources();
        for (const r of report.created) {
            if (r.type === TYPES.applicationPassword) slotByKeyId.set(r.outputs.keyId, r.name.slice(r.name.lastIndexOf("-") + 1));
        }
        for (const r of resources) if (r.type === COMPONENT_TYPE) components.set(r.urn, r.name);
        if (runs === 1) {
            for (const r of resources) {
                if (r.type === TYPES.vaultSecret && r.parent && components.has(r.parent)) {
                    const next = r.inputs.tags?.["next-rotation"];
                    if (typeof next === "string") nextRotationByApp.set(components.get(r.parent)!, next);
                }
            }
        }
        const pinned = at.toMillis();
        const previousNow = Settings.now;
        Settings.now = () => pinned;
        let found: PolicyViolation[];
        try { found = await checkPolicies(policies, resources); } finally { Settings.now = previousNow; }
        for (const v of found) {
            const key = `${v.policy}\u0000${v.urn ?? ""}`;
            const seen = violations.get(key);
            if (seen) { seen.lastSeen = toRfc3339(at); seen.runs++; } else violations.set(key, { ...v, firstSeen: toRfc3339(at), lastSeen: toRfc3339(at), runs: 1 });
        }
        const change = options.daily ? undefined : nextCredentialChange(resources, at);
        at = nextDailyRun(at, change ?? at);
    }

    const finalResources = engine.resources();
    const apps: PlannedApp[] = [...components.entries()].map(([urn, name]) => {
        const application = finalResources.find((r) => r.type === TYPES.application && r.parent === urn);
        const vaultSecret = finalResources.find((r) => r.type === TYPES.vaultSecret && r.parent === urn);
        const versions = vaultSecret ? engine.vault.get(vaultKey(vaultSecret.inputs.vaultUrl, vaultSecret.inputs.name)) ?? [] : [];
        const credentials = [...engine.directory.values()]
            .filter((c) => application !== undefined && c.applicationId === application.id)
            .sort((a, b) => a.startDate.localeCompare(b.startDate))
            .map((c): PlannedCredentialFacts => {
                const servedAt = versions.findIndex((v) => v.tags["key-id"] === c.keyId);
                const replacedBy = servedAt >= 0 ? versions.slice(servedAt + 1).find((v) => v.tags["key-id"] !== c.keyId) : undefined;
                return {
                    slot: slotByKeyId.get(c.keyId) ?? "?",
                    validFrom: c.startDate, expires: c.endDate, issued: toRfc3339(c.createdAt),
                    inServiceFrom: servedAt >= 0 ? toRfc3339(versions[servedAt].writtenAt) : undefined,
                    replaced: replacedBy ? toRfc3339(replacedBy.writtenAt) : undefined,
                    removed: c.deletedAt ? toRfc3339(c.deletedAt) : undefined,
                };
            });
        const rotations = versions.slice(1).filter((v, i) => v.tags["key-id"] !== versions[i].tags["key-id"]).map((v) => toRfc3339(v.writtenAt));
        return { name, secret: vaultSecret?.inputs.name, nextRotation: nextRotationByApp.get(name), rotations, credentials };
    });

    const timeline: TimelineApp[] = apps.map((app) => ({
        name: app.name,
        rotations: app.rotations.map((r) => DateTime.fromISO(r, { zone: "utc" })),
        credentials: app.credentials.map((c) => {
            const t = (s: string) => DateTime.fromISO(s, { zone: "utc" });
            const inServiceFrom = c.inServiceFrom ? t(c.inServiceFrom) : t(c.validFrom);
            return {
                label: `slot ${c.slot}`, start: t(c.validFrom), end: t(c.expires), inServiceFrom,
                inServiceUntil: c.inServiceFrom ? (c.replaced ? t(c.replaced) : until) : inServiceFrom,
            };
        }),
    }));
    fs.writeFileSync(svgFile, renderTimelineSvg({ from, to: until, today, apps: timeline, title: `keyrelay PLAN (not a deployment): ${path.basename(programDir)}, stack ${stack}` }));

    const plannedViolations = [...violations.values()];
    return {
        plan: true, disclaimer: PLAN_DISCLAIMER, from: toRfc3339(from), until: toRfc3339(until), runs, apps,
        violations: plannedViolations, svgFile,
        exitCode: plannedViolations.some((v) => v.enforcementLevel === "mandatory") ? EXIT_CRITICAL : EXIT_OK,
    };
}

export function formatPlan(result: PlanResult): string {
    const lines = [`keyrelay PLAN from ${day(result.from)} to ${day(result.until)} (${result.runs} simulated daily runs at ${String(DAILY_RUN_HOUR_UTC).padStart(2, "0")}:00 UTC, starting from an empty stack)`, result.disclaimer, ""];
    for (const app of result.apps) {
        lines.push(`${app.name}: secret ${app.secret ?? "-"}, next rotation ${day(app.nextRotation)}, ${app.rotations.length} rotations in the horizon`);
        lines.push(formatTable(["slot", "valid from", "expires", "issued", "in service", "replaced", "removed"],
            app.credentials.map((c) => [c.slot, day(c.validFrom), day(c.expires), day(c.issued), day(c.inServiceFrom), day(c.replaced), day(c.removed)])));
        lines.push("");
    }
    if (result.violations.length === 0) {
        lines.push(`Policy pack: no violations in ${result.runs} runs.`);
    } else {
        lines.push(`Policy pack: ${result.violations.length} violations:`);
        for (const v of result.violations) {
            lines.push(`  [${v.enforcementLevel}] ${v.policy} (${day(v.firstSeen)} to ${day(v.lastSeen)}, ${v.runs} runs): ${v.message}`);
        }
    }
    lines.push(`Timeline written to ${result.svgFile}.`, "", result.disclaimer);
    return lines.join("\n") + "\n";
}

export async function planCommand(options: PlanOptions, context: CliContext): Promise<number> {
    const result = await runPlan(options, context);
    context.stdout(options.json ? JSON.stringify(result, null, 2) + "\n" : formatPlan(result));
    return result.exitCode;
}
