// keyrelay plan for a fleet of apps (default 100) over a horizon (default two years), reference program.
// Run: npx ts-node --transpile-only bench/cli-plan.ts [apps] [horizon] [--daily]
import * as fs from "fs";
import * as v8 from "v8";
import * as os from "os";
import * as path from "path";
import { runPlan } from "../cli/plan";

// As the keyrelay bin does (cli/keyrelay.js): a larger young generation for the many short-lived SDK promises.
v8.setFlagsFromString("--max-semi-space-size=64");

async function main() {
    const apps = Number(process.argv[2] ?? 100);
    const horizon = process.argv[3] ?? "P2Y";
    const daily = process.argv.includes("--daily");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-bench-plan-"));
    const root = path.resolve(__dirname, "..");
    fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
    fs.writeFileSync(path.join(dir, "index.ts"),
        `import { declareReferenceStack } from ${JSON.stringify(path.join(root, "referenceStack"))};\nexport const nextRotation = declareReferenceStack().nextRotation;\n`);
    const lines = ["config:", "  keyrelay:vaultUrl: https://kv-bench.vault.azure.net", "  keyrelay:apps:"];
    for (let i = 0; i < apps; i++) lines.push(`    - name: svc-${String(i).padStart(3, "0")}`, `      every: P${[30, 90, 180][i % 3]}D`);
    fs.writeFileSync(path.join(dir, "Pulumi.bench.yaml"), lines.join("\n") + "\n");
    const started = process.hrtime.bigint();
    const result = await runPlan({ program: dir, stack: "bench", from: "2027-01-01", horizon, svg: path.join(dir, "plan.svg"), daily }, {
        stdout: () => undefined, stderr: () => undefined, isTTY: false, env: {},
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const credentials = result.apps.reduce((n, a) => n + a.credentials.length, 0);
    console.log(JSON.stringify({ apps: result.apps.length, horizon, daily, runs: result.runs, credentials, violations: result.violations.length, svgBytes: fs.statSync(result.svgFile).size, wallMs: Math.round(ms) }));
    fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => { console.error(error); process.exitCode = 1; });
