// The policy pack on its own, as `pulumi policy publish policies` packages it: nothing it imports lies
// outside policies/, its package.json lists what it needs, and a copy of the folder alone, with those
// dependencies installed from npm's local cache (no registry), starts as the CLI starts it and
// analyzes a resource over gRPC. Its TypeScript sources are type-checked here, once, so the
// compiled pack the package ships need not type-check at each start.
import { strict as assert } from "assert";
import * as fs from "fs";
import { builtinModules } from "module";
import * as path from "path";
import { DateTime } from "luxon";
import { ENFORCEMENT, RunningPack, analyzeRequest, diagnostics, emptyRequest, startPolicyPack, unary } from "../policies/analyzerProcess";
import { consumerLock, readJson, writeJson } from "./offlineLock";
import { OFFLINE_NPM_ENV, ROOT, runOk, temporaryFolder } from "./staging";

const PACK = path.join(ROOT, "policies");

function sourcesOf(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === "node_modules" ? [] : sourcesOf(full);
        return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [full] : [];
    });
}

/** Every module specifier a source file imports or requires. */
function specifiersOf(file: string): string[] {
    const text = fs.readFileSync(file, "utf8");
    return [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*|import\s+)["']([^"']+)["']/g)].map((m) => m[1]);
}

function packageNameOf(specifier: string): string {
    const parts = specifier.split("/");
    return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Imports that reach outside `packDir`, or name a package its package.json does not list. */
function importProblems(packDir: string): string[] {
    const packManifest = readJson(path.join(packDir, "package.json"));
    const declared = new Set([...Object.keys(packManifest.dependencies ?? {}), ...Object.keys(packManifest.devDependencies ?? {})]);
    const problems: string[] = [];
    for (const file of sourcesOf(packDir)) {
        for (const specifier of specifiersOf(file)) {
            const where = `${path.relative(packDir, file)} imports "${specifier}"`;
            if (specifier.startsWith(".")) {
                const target = path.resolve(path.dirname(file), specifier);
                if (!target.startsWith(packDir + path.sep)) problems.push(`${where}, outside the pack`);
            } else if (!builtinModules.includes(specifier.replace(/^node:/, "")) && !declared.has(packageNameOf(specifier))) {
                problems.push(`${where}, which its package.json does not list`);
            }
        }
    }
    return problems;
}

describe("the policy pack, self-contained and publishable", function () {
    this.timeout(180_000);
    const manifest = readJson(path.join(PACK, "package.json"));

    it("imports nothing outside policies/, and every package it imports is in its package.json", () => {
        assert.deepEqual(importProblems(PACK), []);
        for (const runtime of ["@pulumi/policy", "@pulumi/pulumi", "luxon"]) assert.ok(manifest.dependencies[runtime], `${runtime} is a runtime dependency`);
    });

    it("the checker catches an import from outside the folder and an undeclared package", () => {
        const dir = temporaryFolder("pack-check");
        try {
            fs.mkdirSync(path.join(dir, "lib"));
            fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ dependencies: { "@pulumi/policy": "*" } }));
            fs.writeFileSync(path.join(dir, "lib", "x.ts"), `import { DAY_MS } from "../../components/schedule";\nimport { DateTime } from "luxon";\nimport { PolicyPack } from "@pulumi/policy";\nimport * as fs from "fs";\n`);
            assert.deepEqual(importProblems(dir), [
                `${path.join("lib", "x.ts")} imports "../../components/schedule", outside the pack`,
                `${path.join("lib", "x.ts")} imports "luxon", which its package.json does not list`,
            ]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("its TypeScript sources type-check (tsc --noEmit with the pack's own tsconfig)", () => {
        runOk(process.execPath, [require.resolve("typescript/bin/tsc"), "--noEmit", "-p", path.join(PACK, "tsconfig.json")], ROOT);
    });

    describe("policies/ copied alone into an empty folder, its dependencies installed offline", () => {
        let work: string;
        let pack: RunningPack | undefined;
        before(() => {
            work = temporaryFolder("pack");
            fs.cpSync(PACK, work, { recursive: true, filter: (f) => !f.includes("node_modules") });
            writeJson(path.join(work, "package-lock.json"), consumerLock(path.join(ROOT, "package-lock.json"), manifest));
            runOk("npm", ["ci", "--ignore-scripts"], work, OFFLINE_NPM_ENV);
        });
        after(async () => {
            await pack?.stop();
            if (work) fs.rmSync(work, { recursive: true, force: true });
        });

        it("the copy holds the sources only, and resolves every package from its own node_modules", () => {
            // index.js is only the forwarder for the installed package's old path; beside index.ts it loads the source.
            assert.ok(fs.existsSync(path.join(work, "index.ts")) && fs.readFileSync(path.join(work, "index.js"), "utf8").includes('require("../dist/policies/index.js")'));
            for (const name of ["@pulumi/policy", "@pulumi/pulumi", "luxon", "typescript", "ts-node"]) {
                assert.ok(require.resolve(`${name}/package.json`, { paths: [work] }).startsWith(path.join(work, "node_modules")), name);
            }
        });

        it("starts with run-policy-pack as the CLI does (type-checking its sources) and analyzes a resource over gRPC", async () => {
            pack = await startPolicyPack(work, { startTimeoutMs: 120_000 });
            const info: any = await unary(pack.client, "getAnalyzerInfo", emptyRequest());
            assert.equal(info.getName(), "keyrelay-credentials");
            assert.equal(info.getVersion(), manifest.version);
            const found = diagnostics(await unary(pack.client, "analyze", analyzeRequest({
                type: "azuread:index/servicePrincipalPassword:ServicePrincipalPassword", name: "sp-pw",
                urn: "urn:pulumi:prod::platform::azuread:index/servicePrincipalPassword:ServicePrincipalPassword::sp-pw",
                properties: { servicePrincipalId: "/servicePrincipals/x", endDate: DateTime.utc().plus({ days: 3 }).toISO() },
            })));
            assert.deepEqual(found.map((d) => [d.policyName, d.enforcementLevel]), [["credential-expiry-near", ENFORCEMENT.mandatory]]);
            assert.match(found[0].message, /ServicePrincipalPassword "sp-pw" expires on .*3 days from now/);
        });
    });
});
