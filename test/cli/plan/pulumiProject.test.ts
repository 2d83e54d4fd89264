// keyrelay plan finds the program and the stack as `pulumi up` would (pulumi's getPwdMain, the
// Node.js host's cmd/run/run.js), plans only that program, and writes nothing beside it unasked.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resolvePulumiProgram } from "../../../cli/plan/pulumiProject";
import { isCliError } from "../../../cli/errors";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const BIN = path.join(ROOT, "cli", "keyrelay.js");

function write(dir: string, files: Record<string, string>): string {
    for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
}

function usageMessage(f: () => unknown): string {
    try {
        f();
    } catch (error) {
        assert.ok(isCliError(error) && error.exitCode === 3, String(error));
        return error.message;
    }
    assert.fail("no usage error");
}

/**
 * What the Pulumi Node.js host runs: the SDK's own cmd/run/run.js, started as the CLI starts it
 * (pwd and entry from pulumi's getPwdMain: a folder main becomes the pwd with entry "."; a file
 * main, its folder and its base name). Each candidate program prints its own path.
 */
const RUN_AS_THE_HOST = `
const path = require("path");
const [pwd, entry] = process.argv.slice(1);
const pulumi = require(require.resolve("@pulumi/pulumi", { paths: [${JSON.stringify(ROOT)}] }));
pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: () => ({}) }, "p", "dev", false);
process.env.PULUMI_NODEJS_TYPESCRIPT = "true";
process.env.PULUMI_NODEJS_TRANSPILE_ONLY = "true";
const runJs = require.resolve("@pulumi/pulumi/cmd/run/run.js", { paths: [${JSON.stringify(ROOT)}] });
const indexJs = path.join(path.dirname(runJs), "index.js");
require.cache[indexJs] = { id: indexJs, filename: indexJs, loaded: true, exports: { nodeJSProcessExitedAfterLoggingUserActionableMessage: 32 } };
require(runJs).run({ _: [entry], pwd }, () => {}, (e) => console.error(String(e)), () => false).then(() => setTimeout(() => process.exit(0), 200));
`;

function hostRuns(projectDir: string): string {
    const main = (require("js-yaml").load(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { main?: string }).main;
    const target = main ? path.join(projectDir, main) : projectDir;
    const [pwd, entry] = !main ? [projectDir, "."] : fs.statSync(target).isDirectory() ? [target, "."] : [path.dirname(target), path.basename(target)];
    const run = spawnSync(process.execPath, ["-e", RUN_AS_THE_HOST, pwd, entry], { encoding: "utf8", cwd: pwd });
    return /RAN (\S+)/.exec(run.stdout)?.[1] ?? `nothing ran: ${run.stdout} ${run.stderr}`;
}

/** A user's program in src/, declaring one RotatedAppRegistration with no owners. */
const USER_PROGRAM = `import { RotatedAppRegistration } from ${JSON.stringify(path.join(ROOT, "components"))};
new RotatedAppRegistration("payments", { displayName: "payments", rotation: { every: "P30D" }, vault: { url: "https://kv-pay.vault.azure.net", secretName: "payments-secret" } });
`;

describe("keyrelay plan: the program and stack Pulumi would run", function () {
    this.timeout(120_000);
    let dir: string;
    beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-project-")); });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("Pulumi.yaml main: a file in src/, a folder through its package.json main, or a folder's index.ts", () => {
        write(dir, { "Pulumi.yaml": "name: pay\nruntime: nodejs\nmain: src/index.ts\n", "Pulumi.dev.yaml": "config: {}\n", "src/index.ts": "export {};\n" });
        const file = resolvePulumiProgram(dir, undefined, {});
        assert.deepEqual([file.entry, file.workDir, file.stack, file.project], [path.join(dir, "src", "index.ts"), path.join(dir, "src"), "dev", "pay"]);

        write(dir, { "Pulumi.yaml": "name: pay\nruntime: nodejs\nmain: app\n", "app/package.json": JSON.stringify({ main: "program.ts" }), "app/program.ts": "export {};\n", "app/index.ts": "export {};\n" });
        assert.equal(resolvePulumiProgram(dir, undefined, {}).entry, path.join(dir, "app", "program.ts"));
        fs.rmSync(path.join(dir, "app", "package.json"));
        assert.equal(resolvePulumiProgram(path.join(dir, "app"), undefined, {}).entry, path.join(dir, "app", "index.ts"), "found from a subfolder, as pulumi searches upward");

        // Without main: package.json's main when that file exists (run.js), else index.ts.
        write(dir, { "Pulumi.yaml": "name: pay\nruntime: nodejs\n", "package.json": JSON.stringify({ main: "bin/index.js" }), "index.ts": "export {};\n" });
        assert.equal(resolvePulumiProgram(dir, undefined, {}).entry, path.join(dir, "index.ts"));
    });

    it("resolves main as the SDK's run.js does, checked against run.js itself", () => {
        const says = (file: string) => `process.stdout.write("RAN " + __filename + "\\n");\nexport {};\n`;
        const layouts: Record<string, string>[] = [
            { "Pulumi.yaml": "name: a\nruntime: nodejs\nmain: src/index.ts\n", "src/index.ts": says("src/index.ts") },
            { "Pulumi.yaml": "name: b\nruntime: nodejs\nmain: app\n", "app/package.json": JSON.stringify({ main: "program.ts" }), "app/program.ts": says("app/program.ts"), "app/index.ts": says("app/index.ts") },
            { "Pulumi.yaml": "name: c\nruntime: nodejs\nmain: app\n", "app/index.ts": says("app/index.ts") },
            { "Pulumi.yaml": "name: d\nruntime: nodejs\n", "package.json": JSON.stringify({ main: "lib/run.ts" }), "lib/run.ts": says("lib/run.ts"), "index.ts": says("index.ts") },
            { "Pulumi.yaml": "name: e\nruntime: nodejs\n", "package.json": JSON.stringify({ main: "dist/index.js" }), "index.ts": says("index.ts") },
        ];
        for (const [i, files] of layouts.entries()) {
            const project = write(path.join(dir, `p${i}`), { ...files, "Pulumi.dev.yaml": "config: {}\n" });
            fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(project, "node_modules"), "dir");
            assert.equal(resolvePulumiProgram(project, undefined, {}).entry, fs.realpathSync(hostRuns(project)), JSON.stringify(files));
        }
    });

    it("runtime.options: typescript false refuses a .ts program; tsconfig names the compiler options, relative to main's folder", () => {
        write(dir, { "Pulumi.yaml": "name: pay\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: src/index.ts\n", "Pulumi.dev.yaml": "config: {}\n", "src/index.ts": "export {};\n" });
        assert.match(usageMessage(() => resolvePulumiProgram(dir, undefined, {})), /sets runtime\.options\.typescript: false, but the program is .*index\.ts\./);
        write(dir, { "Pulumi.yaml": "name: pay\nruntime:\n  name: nodejs\n  options:\n    tsconfig: tsconfig.pulumi.json\nmain: src/index.ts\n" });
        assert.match(usageMessage(() => resolvePulumiProgram(dir, undefined, {})), /runtime\.options\.tsconfig: tsconfig\.pulumi\.json, but .*src[\\/]tsconfig\.pulumi\.json does not exist/);
        write(dir, { "src/tsconfig.pulumi.json": "{}" });
        assert.equal(resolvePulumiProgram(dir, undefined, {}).tsconfig, path.join(dir, "src", "tsconfig.pulumi.json"));
    });

    it("the stack: --stack, then PULUMI_STACK, then the only Pulumi.<stack>.yaml; two with no choice is a usage error listing them", () => {
        write(dir, { "Pulumi.yaml": "name: pay\nruntime: nodejs\n", "index.ts": "export {};\n", "Pulumi.dev.yaml": "config: {}\n", "Pulumi.prod.yaml": "config: {}\n" });
        assert.match(usageMessage(() => resolvePulumiProgram(dir, undefined, {})), /^keyrelay plan: 2 stacks \(dev, prod\) and none chosen\. Pass --stack <name> or set PULUMI_STACK\.$/);
        assert.equal(resolvePulumiProgram(dir, undefined, { PULUMI_STACK: "prod" }).stack, "prod");
        assert.equal(resolvePulumiProgram(dir, "dev", { PULUMI_STACK: "prod" }).stack, "dev");
        assert.equal(resolvePulumiProgram(dir, "acme/pay/prod", {}).configFile, path.join(dir, "Pulumi.prod.yaml"));
    });

    it("a folder without a Pulumi program is a usage error naming what was looked for", () => {
        assert.match(usageMessage(() => resolvePulumiProgram(dir, undefined, {})), /no Pulumi\.yaml in .* or any folder above it/);
        write(dir, { "Pulumi.yaml": "name: pay\nruntime: nodejs\n", "Pulumi.dev.yaml": "config: {}\n" });
        assert.match(usageMessage(() => resolvePulumiProgram(dir, undefined, {})), /no Pulumi program in .*: looked for main in Pulumi\.yaml, package\.json exports or main, index\.js and index\.ts in .*\. Set main: in Pulumi\.yaml/);
        write(dir, { "Pulumi.yaml": "name: pay\nruntime: nodejs\nmain: src/main.ts\n" });
        assert.match(usageMessage(() => resolvePulumiProgram(dir, undefined, {})), /main: src\/main\.ts, but .*src[\\/]main\.ts does not exist/);
    });

    it("from the repository's bin, plans the user's src/ program, warns about undeclared owners, counts Graph writes, and writes nothing unasked", () => {
        write(dir, { "Pulumi.yaml": "name: payments\nruntime: nodejs\nmain: src/index.ts\n", "Pulumi.dev.yaml": "config: {}\n", "src/index.ts": USER_PROGRAM });
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
        const listing = () => [...fs.readdirSync(dir), ...fs.readdirSync(path.join(dir, "src")).map((f) => `src/${f}`)].sort();
        const before = listing();
        const run = spawnSync(process.execPath, [BIN, "plan", "--horizon", "P60D", "--from", "2027-01-01"], { cwd: dir, encoding: "utf8", env: { ...process.env, PULUMI_STACK: "" } });
        assert.equal(run.status, 0, run.stderr + run.stdout);
        assert.match(run.stdout, /^keyrelay PLAN of payments \(stack dev\)/);
        assert.match(run.stdout, /^payments: secret payments-secret, next rotation/m);
        assert.doesNotMatch(run.stdout, /billing-api/, "never the repository's reference stack");
        // First run: Application, ServicePrincipal and the passwords it declares; later: one added and one removed per rotation.
        const passwords = run.stdout.split("\n").filter((l) => /^[abc]\s/.test(l) && l.split(/\s+/)[1] === "2027-01-01").length;
        assert.ok(passwords >= 1);
        const laterDays = new Map<string, number>();
        for (const row of run.stdout.split("\n").filter((l) => /^[abc]\s/.test(l))) {
            for (const at of [row.split(/\s+/)[1], row.split(/\s+/)[5]]) if (/^\d/.test(at) && at !== "2027-01-01") laterDays.set(at, (laterDays.get(at) ?? 0) + 1);
        }
        const busiest = Math.max(...laterDays.values());
        assert.match(run.stdout, new RegExp(`^Microsoft Graph writes: ${2 + passwords} on the first run \\(2027-01-01\\); at most ${busiest} on a later day \\(\\d{4}-\\d\\d-\\d\\d\\)\\.`, "m"));
        assert.match(run.stdout, /^Warning: 1 app declares no owners \(payments\): whoever runs the first pulumi up owns each \(a later run adds its deployer and removes no one\).*Declare them \(the pipeline's service principal first\) with the owners arg or the keyrelay:owners stack config\.$/m);
        assert.doesNotMatch(run.stdout, /Timeline written/);
        assert.deepEqual(listing(), before, "nothing written beside the program");
        assert.equal(run.stderr, "", "no progress when piped");
    });

    it("declared owners (keyrelay:owners, or an owner besides the deployer) silence the warning", () => {
        write(dir, { "Pulumi.yaml": "name: payments\nruntime: nodejs\nmain: src/index.ts\n", "Pulumi.dev.yaml": "config:\n  keyrelay:owners:\n    - 5f1b2c3d-0000-4000-a000-00000000d3b1\n    - 7d1b0c3e-0000-4000-a000-000000000001\n", "src/index.ts": USER_PROGRAM });
        // The first owner is the plan's simulated deployer: declared owners are exact, and without it the run would get 403 under OwnedBy.
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
        const run = spawnSync(process.execPath, [BIN, "plan", "--horizon", "P10D", "--json"], { cwd: dir, encoding: "utf8" });
        const plan = JSON.parse(run.stdout);
        assert.equal(plan.schema, "keyrelay-plan/1");
        assert.deepEqual(plan.ownersUndeclared, []);
        assert.equal(typeof plan.graphWrites.firstRun, "number");
    });

    it("a type error in the program: file, line and message, exit 2, before anything runs", () => {
        write(dir, { "Pulumi.yaml": "name: typo\nruntime: nodejs\nmain: src/index.ts\n", "Pulumi.dev.yaml": "config: {}\n",
            "src/index.ts": `import { days } from "./days";\nexport const total: number = days;\n`, "src/days.ts": `export const days: string = "thirty";\n` });
        const run = spawnSync(process.execPath, [BIN, "plan", "--svg", "out.svg"], { cwd: dir, encoding: "utf8" });
        assert.equal(run.status, 2, run.stderr);
        assert.match(run.stderr, /^keyrelay plan: the program does not compile:\n  .*src[\\/]index\.ts\(2,14\): error TS2322: Type 'string' is not assignable to type 'number'\.\n$/);
        assert.ok(!fs.existsSync(path.join(dir, "out.svg")));
        // Like pulumi up with PULUMI_NODEJS_TRANSPILE_ONLY=true, the check is skipped and the program runs.
        const unchecked = spawnSync(process.execPath, [BIN, "plan", "--horizon", "P1D"], { cwd: dir, encoding: "utf8", env: { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: "true" } });
        assert.equal(unchecked.status, 0, unchecked.stderr);
        // The check's result is kept (in XDG_CACHE_HOME) only while the files it read are unchanged.
        const cacheHome = path.join(dir, "cache");
        const env = { ...process.env, XDG_CACHE_HOME: cacheHome };
        assert.equal(spawnSync(process.execPath, [BIN, "plan", "--horizon", "P1D"], { cwd: dir, encoding: "utf8", env }).status, 2);
        assert.equal(fs.readdirSync(path.join(cacheHome, "keyrelay", "typecheck")).length, 1);
        fs.writeFileSync(path.join(dir, "src", "days.ts"), "export const days: number = 30;\n");
        const fixed = spawnSync(process.execPath, [BIN, "plan", "--horizon", "P1D"], { cwd: dir, encoding: "utf8", env });
        assert.equal(fixed.status, 0, fixed.stderr);
    });
});
