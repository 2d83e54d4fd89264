// Benchmark (issue 2): declaring 1,000 RotatedAppRegistrations under the mock runtime against a
// baseline program that declares the same resources with the same inputs by hand.
// Each measurement runs in a fresh process (so peak RSS is its own); modes alternate, and the
// median of the rounds is reported. Run: npm run bench:components [-- <apps> <rounds>]
import { execFileSync } from "child_process";
import * as path from "path";

interface Measurement { mode: string; registrations: number; elapsedMs: number; peakRssMiB: number }

const apps = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 2);
const script = path.join(__dirname, "declare-fleet.js");

function measure(mode: string): Measurement {
    const line = execFileSync(process.execPath, [script, mode, String(apps)], { encoding: "utf8" }).trim().split("\n").pop()!;
    return JSON.parse(line);
}

const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const results: Record<string, Measurement[]> = { baseline: [], components: [] };
for (let round = 0; round < rounds; round++) {
    for (const mode of ["baseline", "components"]) {
        const m = measure(mode);
        results[mode].push(m);
        console.log(`round ${round + 1} ${mode.padEnd(10)} ${m.registrations} registrations  ${m.elapsedMs} ms  peak RSS ${m.peakRssMiB} MiB`);
    }
}
const summary = (mode: string) => ({ ms: median(results[mode].map((m) => m.elapsedMs)), mib: median(results[mode].map((m) => m.peakRssMiB)) });
const base = summary("baseline");
const comp = summary("components");
console.log(`\n${apps} apps, median of ${rounds} rounds`);
console.log(`baseline:   ${base.ms} ms, peak RSS ${base.mib} MiB`);
console.log(`components: ${comp.ms} ms, peak RSS ${comp.mib} MiB`);
console.log(`ratio:      time ${(comp.ms / base.ms).toFixed(2)}x, memory ${(comp.mib / base.mib).toFixed(2)}x (bar: 1.30x)`);
