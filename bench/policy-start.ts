// Spawn-to-ready time of the policy pack as the CLI starts it (run-policy-pack, port on stdout), from
// its TypeScript sources (type-checked at each start) and compiled as the npm package ships it.
// Run: npx ts-node --transpile-only bench/policy-start.ts [rounds]
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { startPolicyPack } from "../test/policies/analyzerProcess";

const ROOT = path.resolve(__dirname, "..");
const rounds = Number(process.argv[2] ?? 3);

async function startTimes(packDir: string): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
        const start = Date.now();
        const pack = await startPolicyPack(packDir, { startTimeoutMs: 120_000 });
        times.push((Date.now() - start) / 1000);
        await pack.stop();
    }
    return times;
}

async function main(): Promise<void> {
    // The compiled pack: the sources alone, built in place in a temporary copy, .ts removed (as in the tarball).
    const compiled = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-pack-"));
    fs.cpSync(path.join(ROOT, "policies"), compiled, { recursive: true, filter: (f) => !/\.(js|d\.ts)$/.test(f) && !f.includes("node_modules") });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(compiled, "node_modules"), "dir");
    const built = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.json", "--declaration", "false"], { cwd: compiled, stdio: "inherit" });
    if (built.status !== 0) throw new Error("tsc failed");
    const remove = (dir: string) => fs.readdirSync(dir, { withFileTypes: true }).forEach((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) { if (e.name !== "node_modules") remove(full); } else if (full.endsWith(".ts") || e.name === "tsconfig.json") fs.rmSync(full);
    });
    remove(compiled);
    console.log(`node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}, ${rounds} starts each`);
    for (const [label, dir] of [["compiled (package)", compiled], ["sources (type-checked)", path.join(ROOT, "policies")]] as const) {
        const times = await startTimes(dir);
        console.log(`${label.padEnd(24)} ${times.map((t) => t.toFixed(2)).join(" s, ")} s`);
    }
    fs.rmSync(compiled, { recursive: true, force: true });
}

main().catch((error) => { console.error(error); process.exitCode = 1; });
