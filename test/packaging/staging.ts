// Copies of this repository's sources (never its build output) in a temporary folder, and the
// commands run there, bounded in time. The packaging tests build, pack and install from these copies.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..");
/** `npm run build` writes only here. */
const BUILD_OUTPUT = "dist";
const SKIPPED = new Set(["node_modules", ".git", "bin", "test", "bench", "keyrelay-plan.svg"]);

export function isBuildOutput(relative: string): boolean {
    return relative.split(path.sep)[0] === BUILD_OUTPUT;
}

export function temporaryFolder(label: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), `keyrelay-${label}-`));
}

/** The repository's sources in `dest` (as a clean clone has them), with the installed node_modules linked. */
export function stageRepository(dest: string): string {
    fs.cpSync(ROOT, dest, {
        recursive: true,
        filter: (source) => {
            const relative = path.relative(ROOT, source);
            if (relative === "") return true;
            if (SKIPPED.has(relative.split(path.sep)[0]) || relative.split(path.sep).includes("node_modules") || relative.endsWith(".tgz")) return false;
            return !isBuildOutput(relative);
        },
    });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dest, "node_modules"), "dir");
    return dest;
}

export interface Run {
    stdout: string;
    stderr: string;
    status: number;
}

/** npm settings that say where npm's cache and config live; every other npm_* variable describes the
 * npm command this suite runs under (npm test, npx -p node@22) and would redirect the nested ones. */
const KEPT_NPM_SETTINGS = new Set(["npm_config_cache", "npm_config_userconfig", "npm_config_globalconfig", "npm_config_registry", "npm_config_cafile"]);

export function commandEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_") || KEPT_NPM_SETTINGS.has(key.toLowerCase())));
    return { ...inherited, ...extra };
}

/** Runs a command to completion (bounded), never through a shell; returns its output and status. */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Run {
    const result = spawnSync(command, args, { cwd, env: commandEnv(env), encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
    if (result.error || result.status === null) {
        throw new Error(`${command} ${args.join(" ")} in ${cwd} did not finish: ${result.error?.message ?? result.signal}\n${result.stderr ?? ""}`);
    }
    return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

/** Like run, but a non-zero status fails with the command's output. */
export function runOk(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): string {
    const result = run(command, args, cwd, env, timeoutMs);
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} in ${cwd} exited with ${result.status}\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
}

/** npm without registry access: every install in the packaging tests is served from npm's local cache. */
export const OFFLINE_NPM_ENV = { npm_config_offline: "true", npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };

export interface PackedStage {
    /** Temporary folder holding the staged sources (`source/`) and the tarball. */
    work: string;
    source: string;
    tarball: string;
    /** `npm pack --json`'s report. */
    report: { filename: string; files: { path: string }[] }[];
    /** Seconds `npm pack` took, build included. */
    packSeconds: number;
}

let packed: PackedStage | undefined;

/**
 * A clean copy of the sources, packed once per test process with `npm pack` (whose prepare script
 * builds the package into that copy's dist/); the packaging tests share it. Removed when the process exits.
 */
export function packedStage(): PackedStage {
    if (packed) return packed;
    const work = temporaryFolder("package");
    process.on("exit", () => fs.rmSync(work, { recursive: true, force: true }));
    const source = stageRepository(path.join(work, "source"));
    const start = Date.now();
    // Scripts are asked for explicitly: `prepare` (which npm pack runs) is the build.
    const report = JSON.parse(runOk("npm", ["pack", "--json", "--ignore-scripts=false", "--pack-destination", work], source, OFFLINE_NPM_ENV, 300_000));
    packed = { work, source, tarball: path.join(work, report[0].filename), report, packSeconds: (Date.now() - start) / 1000 };
    return packed;
}
