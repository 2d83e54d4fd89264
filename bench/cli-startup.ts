// How fast `keyrelay --help`, `--version` and usage errors answer (issue bar: under 0.5 s), from the
// repository's sources (ts-node) and from the compiled package (what `npx keyrelay` runs once installed).
// Run: npx ts-node --transpile-only bench/cli-startup.ts [rounds]
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const rounds = Number(process.argv[2] ?? 5);
const COMMANDS = [["--help"], ["--version"], ["plan", "--from", "not-a-date"], ["status", "--warn-days", "x", "--vault", "https://kv.vault.azure.net"], ["verify", "--vault", "https://kv.vault.azure.net", "--secret", "bad name!", "--tenant", "t"], ["bogus"]];

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

function measure(label: string, bin: string): void {
    for (const args of COMMANDS) {
        const times: number[] = [];
        let status: number | null = null;
        for (let i = 0; i < rounds; i++) {
            const start = process.hrtime.bigint();
            status = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" }).status;
            times.push(Number(process.hrtime.bigint() - start) / 1e9);
        }
        console.log(`${label.padEnd(9)} keyrelay ${args.join(" ").padEnd(70)} exit ${status}  median ${median(times).toFixed(3)} s  max ${Math.max(...times).toFixed(3)} s`);
    }
}

// The compiled package: a copy of the sources built in place, node_modules linked.
const copy = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-startup-"));
for (const entry of ["components", "cli", "simulation", "policies", "package.json", "tsconfig.json", "tsconfig.build.json"]) {
    fs.cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true, filter: (f) => !/\.(js|d\.ts)$/.test(f) || f.endsWith(path.join("cli", "keyrelay.js")) || f.endsWith(path.join("cli", "sourceLoader.js")) });
}
fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(copy, "node_modules"), "dir");
spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: copy, stdio: "inherit" });
for (const f of fs.readdirSync(path.join(copy, "cli"))) if (f.endsWith(".ts") && !f.endsWith(".d.ts")) fs.rmSync(path.join(copy, "cli", f));

console.log(`node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}, ${rounds} rounds each`);
measure("package", path.join(copy, "cli", "keyrelay.js"));
measure("sources", path.join(ROOT, "cli", "keyrelay.js"));
fs.rmSync(copy, { recursive: true, force: true });
