// Benchmark (issue 12, §1): keyrelay plan over a fleet against its own floor, each in a fresh process.
//   npx ts-node --transpile-only bench/plan-fleet.ts [apps=1000] [horizon=P2Y]
// Bars: the plan under 20 s for 1,000 apps over two years, within 10x the baseline (one run of the
// program under the mock runtime plus the pure schedule math), peak RSS under 1 GiB.
import { execFileSync } from "child_process";
import * as path from "path";

const apps = process.argv[2] ?? "1000";
const horizon = process.argv[3] ?? "P2Y";

function measure(mode: string): Record<string, number | string> {
    const started = process.hrtime.bigint();
    const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "cli-plan.ts"), apps, horizon, mode], {
        encoding: "utf8", cwd: path.resolve(__dirname, ".."), env: process.env, maxBuffer: 16 * 1024 * 1024,
    });
    const processMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    return { ...JSON.parse(out.trim().split("\n").pop()!), processMs };
}

const baseline = measure("baseline");
console.log(JSON.stringify(baseline));
const plan = measure("plan");
console.log(JSON.stringify(plan));
const ratio = Number(plan.wallMs) / Number(baseline.wallMs);
// The time and memory bars are set for 1,000 apps; other fleet sizes print their figures only.
const verdict = (met: boolean) => (apps !== "1000" ? "n/a for this fleet" : met ? "met" : "NOT met");
console.log(`${apps} apps over ${horizon}: plan ${(Number(plan.wallMs) / 1000).toFixed(1)} s (${(Number(plan.processMs) / 1000).toFixed(1)} s with start-up; bar 20 s for 1,000 apps: ${verdict(Number(plan.processMs) < 20_000)}), `
    + `peak RSS ${plan.peakRssMiB} MiB (bar 1,024: ${verdict(Number(plan.peakRssMiB) < 1024)}); `
    + `baseline ${(Number(baseline.wallMs) / 1000).toFixed(1)} s (program run ${(Number(baseline.programRunMs) / 1000).toFixed(1)} s + schedule math ${(Number(baseline.scheduleMathMs) / 1000).toFixed(1)} s), peak RSS ${baseline.peakRssMiB} MiB; `
    + `ratio ${ratio.toFixed(2)}x (bar 10x: ${ratio <= 10 ? "met" : "NOT met"})`);
