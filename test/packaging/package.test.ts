// keyrelay as a user gets it: `npm pack` (prepare builds), the tarball installed into a fresh project
// that has its own @pulumi/pulumi (from npm's local cache, no registry), and there: the file list,
// require("keyrelay"), a TypeScript program that type-checks, the bin, a plan, one SDK copy, and the
// policy pack loaded from node_modules/keyrelay/policies, the path the README and pipelines use (it forwards to dist/policies).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { DateTime } from "luxon";
import { ENFORCEMENT, RunningPack, analyzeRequest, diagnostics, emptyRequest, startPolicyPack, unary } from "../policies/analyzerProcess";
import { consumerLock, readJson, writeJson } from "./offlineLock";
import { OFFLINE_NPM_ENV, ROOT, packedStage, run, runOk } from "./staging";

const FIVE_APPS = `import * as pulumi from "@pulumi/pulumi";
import { RotatedAppRegistration } from "keyrelay";

const vaultUrl = new pulumi.Config().require("vaultUrl");
const apps = ["billing-api", "orders-worker", "reporting-portal", "identity-sync", "audit-export"].map((name, i) =>
    new RotatedAppRegistration(name, { displayName: name, rotation: { every: \`P\${30 * (i + 1)}D\` }, vault: { url: vaultUrl, secretName: \`\${name}-client-secret\` } }));
export const secretUris = Object.fromEntries(apps.map((app, i) => [i, app.secretUri]));
`;

describe("the npm package, installed into a fresh project", function () {
    this.timeout(240_000);
    const repoManifest = readJson(path.join(ROOT, "package.json"));
    let work: string;
    let app: string;
    let files: string[];
    let pack: RunningPack | undefined;
    const seconds: Record<string, number> = {};
    const timed = <T>(label: string, fn: () => T): T => {
        const start = Date.now();
        try { return fn(); } finally { seconds[label] = (Date.now() - start) / 1000; }
    };

    before(() => {
        // `npm pack` runs prepare (the build) in a clean copy of the sources.
        const stage = packedStage();
        seconds["npm pack (build included)"] = stage.packSeconds;
        work = stage.work;
        const source = stage.source;
        files = stage.report[0].files.map((f) => f.path);
        const tarball = stage.report[0].filename;

        app = path.join(work, "app");
        fs.cpSync(path.join(ROOT, "examples"), app, { recursive: true, filter: (f) => !f.includes("node_modules") });
        fs.copyFileSync(path.join(work, tarball), path.join(app, tarball));
        const manifest = readJson(path.join(app, "package.json"));
        manifest.dependencies.keyrelay = `file:${tarball}`;
        writeJson(path.join(app, "package.json"), manifest);
        writeJson(path.join(app, "package-lock.json"), consumerLock(path.join(ROOT, "package-lock.json"), manifest, {
            tarball, tarballFile: path.join(app, tarball), manifest: readJson(path.join(source, "package.json")),
        }));
        timed("npm ci --offline", () => runOk("npm", ["ci", "--ignore-scripts"], app, OFFLINE_NPM_ENV));

        fs.mkdirSync(path.join(app, "five"));
        fs.writeFileSync(path.join(app, "five", "index.ts"), FIVE_APPS);
        fs.writeFileSync(path.join(app, "five", "Pulumi.yaml"), "name: five-apps\nruntime: nodejs\nmain: index.ts\n");
        fs.writeFileSync(path.join(app, "five", "Pulumi.example.yaml"), "config:\n  five-apps:vaultUrl: https://kv-fleet.vault.azure.net\n");
    });
    after(async () => {
        await pack?.stop();
        if (app) fs.rmSync(app, { recursive: true, force: true });
        console.log(`      packaging timings (s): ${JSON.stringify(seconds)}`);
    });

    it("the tarball holds compiled JavaScript, declarations and the pack, and no test, bench, fixture or source file", () => {
        for (const f of ["package.json", "README.md", "cli/keyrelay.js", "dist/cli/main.js", "dist/components/index.js", "dist/components/index.d.ts",
            "dist/components/provider/vaultSecretProvider.js", "components/vaultSecretProvider.js", "dist/policies/index.js", "dist/policies/policies.js",
            "dist/policies/policies.d.ts", "dist/policies/PulumiPolicy.yaml", "dist/policies/package.json", "policies/index.js", "policies/PulumiPolicy.yaml", "policies/package.json"]) {
            assert.ok(files.includes(f), `${f} is in the tarball`);
        }
        // Outside dist/: the bin, the module state written by 0.1.0 names, and prose only.
        assert.deepEqual(files.filter((f) => !f.startsWith("dist/") && !f.startsWith("docs/")).sort(),
            ["LICENSE", "README.md", "cli/keyrelay.js", "components/vaultSecretProvider.js", "package.json",
                "policies/PulumiPolicy.yaml", "policies/index.js", "policies/package.json", "policies/policy-config.json",
                "schemas/keyrelay-audit-1.schema.json", "schemas/keyrelay-plan-1.schema.json", "schemas/keyrelay-status-1.schema.json", "schemas/keyrelay-verify-1.schema.json"]);
        const unwanted = files.filter((f) => /(^|\/)(test|tests|bench|fixtures|examples|simulation\/fixtures)\//.test(f) || /\.test\.|\.spec\./.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts")));
        assert.deepEqual(unwanted, []);
        assert.ok(!files.some((f) => /(^|\/)(index|referenceStack|stackConfig)\.js$/.test(f) && !f.startsWith("dist/") && f !== "policies/index.js"), "the reference program is not shipped");
        // About 150 modules, each as .js and .d.ts, plus docs and schemas; a stray folder (node_modules, a build cache) would be thousands.
        assert.ok(files.length < 400, `${files.length} files`);
    });

    it("require(\"keyrelay\") is the components, from the installed package; keyrelay/policies is the pack's policies", () => {
        const script = `const k = require("keyrelay"); const p = require("keyrelay/policies");
            console.log(JSON.stringify({ at: require.resolve("keyrelay"), kinds: ["RotatedAppRegistration", "RotatingPassword", "VaultSecret", "ExpiryAlerts", "createAzureCredential"].map((n) => typeof k[n]),
                pack: p.POLICY_PACK_NAME, policies: p.keyrelayPolicies.map((x) => x.name).sort(), provider: typeof require("keyrelay/provider").createVaultSecretProvider,
                location: require(require("path").join(require.resolve("keyrelay"), "..", "provider", "vaultSecretProviderLocation.js")).providerModuleLocation(),
                deep: ["keyrelay/components/index.js", "keyrelay/policies/lib/guid.js", "keyrelay/dist/components/index.js"].map((m) => { try { require(m); return "loaded"; } catch (e) { return e.code; } }) }));`;
        const out = JSON.parse(runOk(process.execPath, ["-e", script], app));
        assert.equal(fs.realpathSync(out.at), fs.realpathSync(path.join(app, "node_modules", "keyrelay", "dist", "components", "index.js")));
        assert.deepEqual(out.kinds, ["function", "function", "function", "function", "function"]);
        assert.equal(out.pack, "keyrelay-credentials");
        assert.deepEqual(out.policies, ["credential-expiry-near", "credential-lifetime", "guid-shaped-secret", "password-stored-in-keyvault", "prefer-federated", "secret-id-not-value", "secret-value-hygiene"]);
        assert.equal(out.provider, "function");
        // What VaultSecret serializes: found by name beside the program, no machine's path in the state.
        assert.deepEqual(out.location, { packageName: "keyrelay", file: "" });
        // The declared entry points only (issue 19, point 7): no deep imports.
        assert.deepEqual(out.deep, ["ERR_PACKAGE_PATH_NOT_EXPORTED", "ERR_PACKAGE_PATH_NOT_EXPORTED", "ERR_PACKAGE_PATH_NOT_EXPORTED"]);
    });

    it("the example program (two apps, readers, alerts) type-checks against the package's declarations; a wrong argument does not", () => {
        timed("tsc example", () => runOk(process.execPath, [require.resolve("typescript/bin/tsc", { paths: [app] }), "-p", "."], app));
        fs.writeFileSync(path.join(app, "wrong.ts"), `import { RotatedAppRegistration } from "keyrelay";\nnew RotatedAppRegistration("x", { displayName: "x", rotation: { every: 90 }, vault: { url: "https://kv.vault.azure.net", secretName: "x" } });\n`);
        const wrong = run(process.execPath, [require.resolve("typescript/bin/tsc", { paths: [app] }), "--noEmit", "--strict", "--skipLibCheck", "--esModuleInterop", "--types", "node", "wrong.ts"], app);
        assert.notEqual(wrong.status, 0);
        assert.match(wrong.stdout, /wrong\.ts\(2,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
    });

    it("npx keyrelay --version prints the package's version, and --help answers", () => {
        assert.equal(runOk("npx", ["--no-install", "keyrelay", "--version"], app, OFFLINE_NPM_ENV).trim(), repoManifest.version);
        assert.match(runOk("npx", ["--no-install", "keyrelay", "--help"], app, OFFLINE_NPM_ENV), /Usage: keyrelay .*\n[\s\S]*plan[\s\S]*status[\s\S]*verify/);
    });

    it("--help, --version and usage errors load neither the Pulumi SDK, the Azure SDK nor ts-node; --json errors are JSON on stdout", () => {
        // Preloaded into the bin's process: on exit, lists the heavy packages that were loaded.
        const probe = path.join(work, "probe.js");
        fs.writeFileSync(probe, `process.on("exit", () => { const heavy = Object.keys(require.cache).map((f) => (/node_modules[\\/\\\\]((@pulumi|@azure)[\\/\\\\][^\\/\\\\]+|ts-node|typescript)[\\/\\\\]/.exec(f) || [])[1]).filter(Boolean); require("fs").writeSync(2, "LOADED " + JSON.stringify([...new Set(heavy)].sort()) + "\\n"); });`);
        const bin = path.join(app, "node_modules", "keyrelay", "cli", "keyrelay.js");
        const loaded = (args: string[]) => {
            const result = run(process.execPath, ["-r", probe, bin, ...args], app);
            return { ...result, heavy: JSON.parse(/LOADED (.*)/.exec(result.stderr)![1]) as string[] };
        };
        for (const args of [["--help"], ["--version"], ["plan", "--from", "not-a-date", "--json"], ["status", "--vault", "https://kv.vault.azure.net", "--warn-days", "x", "--json"],
            ["verify", "--vault", "https://kv.vault.azure.net", "--secret", "bad name!", "--tenant", "t", "--json"], ["bogus", "--json"]]) {
            const result = loaded(args);
            assert.deepEqual(result.heavy, [], `keyrelay ${args.join(" ")} loaded ${result.heavy.join(", ")}`);
            if (args.includes("--json")) {
                assert.equal(result.status, 3, args.join(" "));
                const error = JSON.parse(result.stdout);
                assert.deepEqual(Object.keys(error).sort(), ["error", "exitCode"]);
                assert.equal(error.exitCode, 3);
                assert.match(error.error, /^keyrelay/);
                assert.ok(result.stderr.includes(error.error.replace(/^keyrelay: /, "")), "the message stays on stderr too");
            }
        }
        // Control: the probe sees the SDK when a command does load it.
        assert.ok(loaded(["plan", "--program", "five", "--from", DateTime.utc().toISODate()!, "--horizon", "P1D", "--svg", path.join(work, "p.svg")]).heavy.includes("@pulumi/pulumi"));
    });

    it("npx keyrelay plan --program . plans a program with five apps, and the example program", () => {
        const from = DateTime.utc().toISODate()!;
        const five = JSON.parse(timed("plan five apps", () =>
            runOk("npx", ["--no-install", "keyrelay", "plan", "--program", ".", "--json", "--from", from, "--horizon", "P100D", "--svg", "plan.svg"], path.join(app, "five"), OFFLINE_NPM_ENV)));
        assert.deepEqual(five.apps.map((a: { name: string }) => a.name).sort(), ["audit-export", "billing-api", "identity-sync", "orders-worker", "reporting-portal"]);
        for (const planned of five.apps) assert.ok(planned.credentials.length >= 2, `${planned.name} has its credentials planned`);
        assert.equal(five.apps.find((a: { name: string }) => a.name === "billing-api").rotations.length >= 3, true, "every 30 days over 100 days");
        assert.deepEqual(five.violations, []);
        assert.ok(fs.existsSync(path.join(app, "five", "plan.svg")));

        const example = JSON.parse(timed("plan example", () =>
            runOk("npx", ["--no-install", "keyrelay", "plan", "--program", ".", "--json", "--from", from, "--horizon", "P40D", "--svg", "plan.svg"], app, OFFLINE_NPM_ENV)));
        assert.deepEqual(example.apps.map((a: { name: string }) => a.name).sort(), ["billing-api", "orders-worker"]);
        assert.deepEqual(example.violations, []);
    });

    it("npm ls @pulumi/pulumi shows one copy: the project's own, which keyrelay and the providers share", () => {
        const tree = runOk("npm", ["ls", "@pulumi/pulumi", "--all"], app, OFFLINE_NPM_ENV);
        const versions = [...tree.matchAll(/@pulumi\/pulumi@(\S+)(.*)/g)];
        assert.ok(versions.length >= 3, tree);
        assert.equal(versions.filter(([, , rest]) => !rest.includes("deduped")).length, 1, tree);
        assert.ok(tree.includes("keyrelay@"), tree);
        const copies: string[] = [];
        const walk = (dir: string) => {
            for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
                if (!entry.isDirectory()) continue;
                const full = path.join(dir, entry.name);
                if (full.endsWith(path.join("@pulumi", "pulumi"))) copies.push(path.relative(app, full));
                else if (entry.name === "node_modules" || entry.name.startsWith("@") || path.basename(dir) === "node_modules" || path.basename(path.dirname(dir)) === "node_modules") walk(full);
            }
        };
        walk(path.join(app, "node_modules"));
        assert.deepEqual(copies, [path.join("node_modules", "@pulumi", "pulumi")]);
    });

    it("the policy pack starts from node_modules/keyrelay/policies (forwarding to dist/policies) as the CLI starts it, compiled, and analyzes a resource over gRPC", async () => {
        const started = Date.now();
        pack = await startPolicyPack(path.join(app, "node_modules", "keyrelay", "policies"), { startTimeoutMs: 60_000 });
        seconds["pack start (installed)"] = (Date.now() - started) / 1000;
        const info: any = await unary(pack.client, "getAnalyzerInfo", emptyRequest());
        assert.equal(info.getName(), "keyrelay-credentials");
        const found = diagnostics(await unary(pack.client, "analyze", analyzeRequest({
            type: "azuread:index/servicePrincipalPassword:ServicePrincipalPassword", name: "sp-pw",
            urn: "urn:pulumi:example::platform-secrets::azuread:index/servicePrincipalPassword:ServicePrincipalPassword::sp-pw",
            properties: { servicePrincipalId: "/servicePrincipals/x", endDate: DateTime.utc().plus({ days: 3 }).toISO() },
        })));
        assert.deepEqual(found.map((d) => [d.policyName, d.enforcementLevel]), [["credential-expiry-near", ENFORCEMENT.mandatory]]);
        assert.doesNotMatch(pack.stderr(), /TSError|error TS/);
    });
});
