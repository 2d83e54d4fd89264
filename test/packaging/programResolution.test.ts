// Which program `pulumi up` runs here, resolved by the SDK's own cmd/run (run.js) after a build, as the
// Pulumi CLI's Node.js host starts it: the program argument is Pulumi.yaml's `main` when set, "." when
// not (run.js: "If there is no entrypoint set in Pulumi.yaml via the main option, look for an
// entrypoint defined in package.json"), under the mock runtime in a fresh process.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { ROOT, packedStage, runOk, stageRepository, temporaryFolder } from "./staging";

/** Starts run.js's run() in `dir` with the entry the host passes; prints the resource types declared. */
const RUN_AS_THE_HOST = `
const path = require("path");
const [dir, entry, configJson] = process.argv.slice(1);
const pulumi = require(require.resolve("@pulumi/pulumi", { paths: [dir] }));
const declared = [];
pulumi.runtime.setMocks({
    newResource: (args) => { declared.push(args.type); return { id: args.name + "-id", state: { ...args.inputs, keyId: args.name + "-key", value: "v", clientId: "c", objectId: "o" } }; },
    call: (args) => ({ objectId: "00000000-0000-4000-8000-00000000d3d1", clientId: "c", tenantId: "t" }),
}, "keyrelay", "example", false);
pulumi.runtime.setAllConfig(JSON.parse(configJson));
process.env.PULUMI_NODEJS_TYPESCRIPT = "true";
process.env.PULUMI_NODEJS_TRANSPILE_ONLY = "true";
// run.js requires its folder's index.js for one constant; that index parses argv and connects to an
// engine when loaded, so it is stood in for here (the mock runtime is the engine).
const runJs = require.resolve("@pulumi/pulumi/cmd/run/run.js", { paths: [dir] });
const indexJs = path.join(path.dirname(runJs), "index.js");
require.cache[indexJs] = { id: indexJs, filename: indexJs, loaded: true, exports: { nodeJSProcessExitedAfterLoggingUserActionableMessage: 32 } };
const { run } = require(runJs);
let last = -1, stable = 0;
run({ _: [entry], pwd: dir }, () => {}, (e) => { console.error(String(e)); }, () => false).then(async () => {
    for (let i = 0; i < 100 && stable < 5; i++) { await new Promise((r) => setTimeout(r, 100)); stable = declared.length === last ? stable + 1 : 0; last = declared.length; }
    process.stdout.write(JSON.stringify({ program: process.argv[1], declared }) + "\\n");
    process.exit(0);
});
`;

function entryOf(projectFile: string): string {
    const project = yaml.load(fs.readFileSync(projectFile, "utf8")) as { main?: string };
    return project.main ?? ".";
}

function stackConfig(dir: string): string {
    const config = (yaml.load(fs.readFileSync(path.join(dir, "Pulumi.example.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
    return JSON.stringify(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])));
}

const REFERENCE_STACK = path.join("examples", "reference-stack");

describe("the program `pulumi up` runs (Pulumi.yaml main), after a build", function () {
    this.timeout(180_000);
    let source: string;
    let resolvedBeforeBuild: string;
    const RESOLVE_UNDER_TS_NODE = `require("ts-node").register({ transpileOnly: true });
        try { process.stdout.write(require.resolve("keyrelay")); } catch (e) { process.stdout.write("not found: " + e.code + " " + e.message.split("\\n")[0]); }`;

    before(() => {
        const unbuilt = temporaryFolder("resolve");
        try {
            resolvedBeforeBuild = runOk(process.execPath, ["-e", RESOLVE_UNDER_TS_NODE], stageRepository(path.join(unbuilt, "source")));
        } finally {
            fs.rmSync(unbuilt, { recursive: true, force: true });
        }
        // The copy `npm pack` built (prepare runs `npm run build` into dist/), shared with the package test.
        source = packedStage().source;
        assert.ok(fs.existsSync(path.join(source, "dist", "components", "index.js")), "the build wrote the library's entry point");
    });

    const declaredBy = (dir: string, entry: string) => JSON.parse(runOk(process.execPath, ["-e", RUN_AS_THE_HOST, dir, entry, stackConfig(dir)], dir)).declared as string[];

    it("examples/reference-stack/Pulumi.yaml names index.ts: the reference program runs and declares every app", () => {
        const program = path.join(source, REFERENCE_STACK);
        assert.equal(entryOf(path.join(ROOT, REFERENCE_STACK, "Pulumi.yaml")), "index.ts");
        const declared = declaredBy(program, entryOf(path.join(program, "Pulumi.yaml")));
        const apps = (yaml.load(fs.readFileSync(path.join(program, "Pulumi.example.yaml"), "utf8")) as any).config["keyrelay:apps"].length;
        assert.equal(declared.filter((t) => t === "keyrelay:index:RotatedAppRegistration").length, apps);
        assert.ok(declared.some((t) => t === "azuread:index/applicationPassword:ApplicationPassword"));
    });

    it("the repository root is a package, not a program: no Pulumi.yaml or index.ts there", () => {
        assert.ok(!fs.existsSync(path.join(ROOT, "Pulumi.yaml")) && !fs.existsSync(path.join(ROOT, "index.ts")));
    });

    it("require(\"keyrelay\") from the built repository is the components in dist/", () => {
        assert.equal(runOk(process.execPath, ["-e", RESOLVE_UNDER_TS_NODE], source), path.join(source, "dist", "components", "index.js"));
    });

    it("under ts-node before a build, require(\"keyrelay\") fails loudly, naming the missing dist/ entry", () => {
        assert.match(resolvedBeforeBuild, /^not found: MODULE_NOT_FOUND .*dist[\\/]components[\\/]index\.js/);
    });
});
