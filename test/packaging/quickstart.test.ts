// Issue 17 §7, "Done when": the README's Quickstart, driven as written in a fresh folder: the install
// line, index.ts, the config line, `npx keyrelay plan --stack dev`, and the program's type check.
// The steps are read from README.md, never copied here. keyrelay is the packed tarball (the packaging
// tests' one `npm pack`), installed from npm's local cache, with no registry round trip when it can.
//
// There is no Pulumi CLI here, so the test writes what `pulumi new typescript --yes` writes, from the
// template in github.com/pulumi/templates (typescript/Pulumi.yaml, package.json, tsconfig.json at
// 65db26bf): Pulumi.yaml (name = the folder, runtime nodejs; `pulumi new` drops the `template:` section),
// package.json (main index.ts, @pulumi/pulumi, typescript and @types/node) and tsconfig.json, as below.
// One difference, for the offline cache: @types/node is the version this repository locks (20.x)
// rather than the template's ^18. `pulumi config set <key> <value>` on stack dev writes
// Pulumi.dev.yaml `config: { <project>:<key>: <value> }`, which the test writes in its place.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { consumerLock, readJson, writeJson } from "./offlineLock";
import { OFFLINE_NPM_ENV, ROOT, packedStage, run, runOk, temporaryFolder } from "./staging";

const PROJECT = "quickstart";
const VAULT_URL = "https://kv-quickstart.vault.azure.net";

interface Quickstart {
    /** The words of each shell command, in order (comments and `&&` split off). */
    commands: string[][];
    program: string;
}

/** The README's first section's fenced blocks: its shell commands and its TypeScript program. */
function readmeQuickstart(): Quickstart {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const start = readme.indexOf("\n## Quickstart\n");
    assert.ok(start >= 0, "the README has a Quickstart section");
    const section = readme.slice(start + 1, readme.indexOf("\n## ", start + 1));
    const blocks = [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));
    const commands = blocks.filter((b) => b.lang === "sh").flatMap((b) => b.text.split("\n"))
        .map((line) => line.replace(/\s+#.*$/, "").trim()).filter((line) => line !== "")
        .flatMap((line) => line.split("&&").map((command) => command.trim().split(/\s+/)));
    const programs = blocks.filter((b) => b.lang === "ts");
    assert.equal(programs.length, 1, "the Quickstart has one TypeScript block, index.ts");
    return { commands, program: programs[0].text };
}

function command(quickstart: Quickstart, ...prefix: string[]): string[] {
    const found = quickstart.commands.find((words) => prefix.every((word, i) => words[i] === word));
    assert.ok(found, `the Quickstart runs \`${prefix.join(" ")} ...\`; it runs ${JSON.stringify(quickstart.commands.map((c) => c.join(" ")))}`);
    return found;
}

describe("the README's Quickstart, run as written in a fresh folder", function () {
    this.timeout(420_000);
    const quickstart = readmeQuickstart();
    const seconds: Record<string, number> = {};
    let dir: string;
    let work: string;
    let installedFrom = "npm's cache only (--offline)";

    before(function () {
        const started = Date.now();
        const stage = packedStage();
        seconds["npm pack (shared, build included)"] = stage.packSeconds;
        work = temporaryFolder("quickstart");
        dir = path.join(work, PROJECT);
        fs.mkdirSync(dir);
        // What `pulumi new typescript --yes` writes (see the header).
        assert.deepEqual(command(quickstart, "pulumi", "new").slice(2), ["typescript", "--yes"]);
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${PROJECT}\ndescription: A minimal TypeScript Pulumi program\nruntime: nodejs\n`);
        const repoLock = readJson(path.join(ROOT, "package-lock.json")).packages;
        const template = {
            name: PROJECT, main: "index.ts",
            devDependencies: { "@types/node": `^${repoLock["node_modules/@types/node"].version}`, typescript: "^5.0.0" },
            dependencies: { "@pulumi/pulumi": "^3.113.0" },
        };
        writeJson(path.join(dir, "package.json"), template);
        writeJson(path.join(dir, "tsconfig.json"), {
            compilerOptions: {
                strict: true, outDir: "bin", target: "es2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: true, experimentalDecorators: true,
                pretty: true, noFallthroughCasesInSwitch: true, noImplicitReturns: true, forceConsistentCasingInFileNames: true,
            },
            files: ["index.ts"],
        });

        // The README's install line, keyrelay being the tarball. `pulumi new` would have installed the template's
        // packages; the lock (this repository's versions, npm's cache holds their tarballs) lets one install do both offline.
        const install = command(quickstart, "npm", "install");
        const tarball = path.basename(stage.tarball);
        fs.copyFileSync(stage.tarball, path.join(dir, tarball));
        const packages = install.slice(2);
        assert.ok(packages.includes("keyrelay"), install.join(" "));
        const locked = Object.fromEntries(packages.filter((p) => p !== "keyrelay").map((p) => [p, `^${repoLock[`node_modules/${p}`].version}`]));
        writeJson(path.join(dir, "package-lock.json"), consumerLock(path.join(ROOT, "package-lock.json"),
            { name: PROJECT, version: "1.0.0", dependencies: { ...template.dependencies, ...locked, keyrelay: `file:${tarball}` }, devDependencies: template.devDependencies },
            { tarball, tarballFile: path.join(dir, tarball), manifest: readJson(path.join(stage.source, "package.json")) }));
        const args = ["install", ...packages.map((p) => (p === "keyrelay" ? `./${tarball}` : p)), "--ignore-scripts"];
        let installed = run("npm", args, dir, OFFLINE_NPM_ENV, 300_000);
        // Package names resolve through registry metadata; when npm's cache lacks it, ask the registry once.
        if (installed.status !== 0 && /ENOTCACHED/.test(installed.stderr)) {
            installedFrom = "npm's cache and the registry (--prefer-offline)";
            installed = run("npm", [...args, "--prefer-offline"], dir, { ...OFFLINE_NPM_ENV, npm_config_offline: "false" }, 300_000);
        }
        assert.equal(installed.status, 0, `npm ${args.join(" ")}\n${installed.stdout}\n${installed.stderr}`);

        fs.writeFileSync(path.join(dir, "index.ts"), quickstart.program);
        const [, , , key, value] = command(quickstart, "pulumi", "config", "set");
        assert.match(value, /^https:\/\/<your-vault>\.vault\.azure\.net$/);
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), `config:\n  ${PROJECT}:${key}: ${value.replace("<your-vault>", new URL(VAULT_URL).hostname.split(".")[0])}\n`);
        seconds["set-up and npm install"] = (Date.now() - started) / 1000;
    });

    after(() => {
        if (work) fs.rmSync(work, { recursive: true, force: true });
        console.log(`      quickstart timings (s): ${JSON.stringify(seconds)}; installed from ${installedFrom}`);
    });

    it("installs keyrelay and the packages the README names into the project", () => {
        const manifest = readJson(path.join(dir, "package.json"));
        for (const name of command(quickstart, "npm", "install").slice(2)) {
            assert.ok(manifest.dependencies[name], `package.json depends on ${name}`);
            assert.ok(fs.existsSync(path.join(dir, "node_modules", name, "package.json")), `${name} is installed`);
        }
        assert.ok(fs.existsSync(path.join(dir, "node_modules", ".bin", "keyrelay")), "npx finds the keyrelay bin");
    });

    it("`npx keyrelay plan --stack dev`, exactly as written, plans the app from the stack's config and exits 0", () => {
        const plan = command(quickstart, "npx", "keyrelay", "plan");
        assert.deepEqual(plan, ["npx", "keyrelay", "plan", "--stack", "dev"]);
        const before = new Set(fs.readdirSync(dir));
        const started = Date.now();
        const result = run(plan[0], plan.slice(1), dir, OFFLINE_NPM_ENV, 180_000);
        seconds["npx keyrelay plan"] = (Date.now() - started) / 1000;
        assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
        // The heading names the project and the stack the config came from (config.require("vaultUrl") would have failed without it).
        assert.match(result.stdout, new RegExp(`^keyrelay PLAN of ${PROJECT} \\(stack dev\\)`, "m"));
        assert.match(result.stdout, /^billing-api: secret billing-api-client-secret, next rotation \d{4}-\d\d-\d\d/m);
        assert.match(result.stdout, /Policy pack: no violations/);
        assert.deepEqual(fs.readdirSync(dir).filter((f) => !before.has(f)), [], "plan writes nothing beside the program unasked");
    });

    it("control: without the config line's value in Pulumi.dev.yaml, the same plan fails on the missing vaultUrl", () => {
        const config = path.join(dir, "Pulumi.dev.yaml");
        const kept = fs.readFileSync(config, "utf8");
        fs.writeFileSync(config, "config: {}\n");
        try {
            const plan = command(quickstart, "npx", "keyrelay", "plan");
            const result = run(plan[0], plan.slice(1), dir, OFFLINE_NPM_ENV, 180_000);
            assert.notEqual(result.status, 0, result.stdout);
            assert.match(result.stderr, /vaultUrl/);
        } finally {
            fs.writeFileSync(config, kept);
        }
    });

    it("the program type-checks with the template's tsconfig.json (tsc --noEmit)", () => {
        const started = Date.now();
        const checked = run(process.execPath, [path.join(dir, "node_modules", "typescript", "bin", "tsc"), "--noEmit"], dir, {}, 180_000);
        seconds["tsc --noEmit"] = (Date.now() - started) / 1000;
        assert.equal(checked.status, 0, `${checked.stdout}\n${checked.stderr}`);
    });

    it("control: the same type check fails on a wrong argument, so it does check keyrelay's declarations", () => {
        fs.writeFileSync(path.join(dir, "index.ts"), quickstart.program.replace('secretName: "billing-api-client-secret"', "secretName: 42"));
        try {
            const checked = run(process.execPath, [path.join(dir, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "--pretty", "false"], dir, {}, 180_000);
            assert.notEqual(checked.status, 0);
            assert.match(checked.stdout, /index\.ts.*error TS2322/);
        } finally {
            fs.writeFileSync(path.join(dir, "index.ts"), quickstart.program);
        }
    });
});
