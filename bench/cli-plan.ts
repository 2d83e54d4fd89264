// keyrelay plan for a fleet of apps over a horizon, on the reference program: one measurement per process.
//   npx ts-node --transpile-only bench/cli-plan.ts [apps=1000] [horizon=P2Y] [plan|simulate|daily|baseline]
// "baseline" is what the issue measures the plan against: one run of the program under the mock
// runtime for the same fleet, plus the pure schedule math (every app's runs and credential timeline).
// Prints one JSON line; bench/plan-fleet.ts runs the modes in fresh processes and compares them.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DateTime } from "luxon";

const FROM = "2027-01-01";

function writeFleet(apps: number): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-bench-plan-"));
    const root = path.resolve(__dirname, "..");
    fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: bench-fleet\nruntime: nodejs\n");
    fs.writeFileSync(path.join(dir, "index.ts"),
        `import { declareReferenceStack } from ${JSON.stringify(path.join(root, "examples", "reference-stack", "referenceStack"))};\nexport const nextRotation = declareReferenceStack().nextRotation;\n`);
    const lines = ["config:", "  keyrelay:vaultUrl: https://kv-bench.vault.azure.net", "  keyrelay:apps:"];
    for (let i = 0; i < apps; i++) lines.push(`    - name: svc-${String(i).padStart(5, "0")}`, `      every: P${[30, 90, 180][i % 3]}D`);
    fs.writeFileSync(path.join(dir, "Pulumi.bench.yaml"), lines.join("\n") + "\n");
    return dir;
}

async function baseline(dir: string, horizon: string) {
    const { SimulatedEngine, programFromFile, stackConfigFromFile } = await import("../simulation/engine");
    const { appRuns, appTimeline } = await import("../cli/plan/fleetTimeline");
    const { rotationSchedule } = await import("../components/schedule");
    const from = DateTime.fromISO(`${FROM}T03:00:00Z`, { zone: "utc" });
    const until = from.plus({ days: Math.round(DateTime.fromISO("2000-01-01").plus(require("luxon").Duration.fromISO(horizon)).diff(DateTime.fromISO("2000-01-01")).as("days")) });
    const config = stackConfigFromFile(path.join(dir, "Pulumi.bench.yaml"));
    const started = process.hrtime.bigint();
    const engine = new SimulatedEngine({ program: programFromFile(path.join(dir, "index.ts")), config, stack: "bench" });
    const report = await engine.run(from);
    if (report.errors.length > 0) throw report.errors[0];
    const programMs = Number(process.hrtime.bigint() - started) / 1e6;
    let credentials = 0;
    for (const app of config["keyrelay:apps"] as { name: string; every: string }[]) {
        const schedule = rotationSchedule(app.name, { every: app.every });
        credentials += appTimeline(schedule, appRuns(schedule, from, until)).credentials.length;
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return { resources: engine.resources().length, credentials, programRunMs: Math.round(programMs), scheduleMathMs: Math.round(ms - programMs), wallMs: Math.round(ms) };
}

async function main() {
    const apps = Number(process.argv[2] ?? 1000);
    const horizon = process.argv[3] ?? "P2Y";
    const mode = process.argv[4] ?? "plan";
    const dir = writeFleet(apps);
    try {
        if (mode === "baseline") {
            const measured = await baseline(dir, horizon);
            console.log(JSON.stringify({ mode, apps, horizon, ...measured, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
            return;
        }
        const { runPlan } = await import("../cli/plan/command");
        const started = process.hrtime.bigint();
        const result = await runPlan({ program: dir, stack: "bench", from: FROM, horizon, svg: path.join(dir, "plan.svg"), simulate: mode === "simulate", daily: mode === "daily" }, {
            // The plan alone: the type check pulumi up also makes (cli/plan/typeCheck.ts) is measured apart.
            stdout: () => undefined, stderr: () => undefined, isTTY: false, env: { PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
        });
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const credentials = result.apps.reduce((n, a) => n + a.credentials.length, 0);
        console.log(JSON.stringify({
            mode, apps: result.apps.length, horizon, method: result.method, runs: result.runs, programRuns: result.programRuns, credentials,
            violations: result.violations.length, svgBytes: fs.statSync(result.svgFile!).size, wallMs: Math.round(ms),
            peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), ...(result.note ? { note: result.note } : {}),
        }));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((error) => { console.error(error); process.exitCode = 1; });
