// The README's install line resolves with no flags against the newest @pulumi/* on the registry
// (issue 15, point 8). npm resolves a tree from manifests alone, so this packs keyrelay's
// package.json (no build needed for resolution) and runs exactly the README's command, with the
// tarball in keyrelay's place, as `npm install --dry-run`: registry metadata only (npm's cache
// first), no package downloaded, bounded in time. Needs the npm registry, as `npm ci` does.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT, run, runOk, temporaryFolder } from "./staging";

/** The published-form install line in the README's "Using keyrelay in your own program". */
function readmeInstallLine(): string[] {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const line = /^npm install keyrelay( @pulumi\/\S+)+$/m.exec(readme);
    assert.ok(line, "the README shows `npm install keyrelay @pulumi/...`");
    return line[0].split(" ").slice(2);
}

/** `npm install --dry-run` of `packages` in an empty project, with `manifest` packed as keyrelay. */
function resolveWith(manifest: object, packages: string[]): { status: number; output: string } {
    const work = temporaryFolder("install-line");
    try {
        fs.mkdirSync(path.join(work, "keyrelay"));
        fs.writeFileSync(path.join(work, "keyrelay", "package.json"), JSON.stringify(manifest));
        const tarball = JSON.parse(runOk("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], path.join(work, "keyrelay")))[0].filename;
        fs.mkdirSync(path.join(work, "app"));
        fs.writeFileSync(path.join(work, "app", "package.json"), JSON.stringify({ name: "app", version: "1.0.0" }));
        const args = packages.map((p) => (p === "keyrelay" ? path.join("..", tarball) : p));
        const result = run("npm", ["install", ...args, "--dry-run", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"], path.join(work, "app"), {}, 300_000);
        return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

describe("the README's install line, against the newest @pulumi/pulumi", function () {
    this.timeout(660_000);
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    let newest: string;
    before(() => {
        newest = runOk("npm", ["view", "@pulumi/pulumi", "version"], ROOT, {}, 120_000).trim();
    });

    it("typescript and ts-node are optional peers with @pulumi/pulumi's ranges, not dependencies", () => {
        assert.equal(manifest.dependencies.typescript, undefined);
        assert.equal(manifest.dependencies["ts-node"], undefined);
        const pulumi = JSON.parse(fs.readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8"));
        for (const name of ["typescript", "ts-node"]) {
            assert.equal(manifest.peerDependencies[name], pulumi.peerDependencies[name], name);
            assert.deepEqual(manifest.peerDependenciesMeta[name], { optional: true });
        }
    });

    it("resolves with no flags, with the newest @pulumi/pulumi and no typescript 7", () => {
        const resolved = resolveWith(manifest, readmeInstallLine());
        assert.equal(resolved.status, 0, resolved.output);
        assert.match(resolved.output, new RegExp(`add @pulumi/pulumi ${newest.replace(/\./g, "\\.")}\\b`));
        assert.doesNotMatch(resolved.output, /add typescript 7\./);
    });

    it("control: with typescript and ts-node as dependencies (0.1.0's manifest), the same line fails with ERESOLVE", () => {
        const { "ts-node": _tsNode, typescript: _typescript, ...peers } = manifest.peerDependencies;
        void _tsNode; void _typescript;
        const old = { ...manifest, dependencies: { ...manifest.dependencies, "ts-node": "^10.9.2", typescript: "^5.9.3" }, peerDependencies: peers, peerDependenciesMeta: undefined };
        const resolved = resolveWith(old, readmeInstallLine());
        assert.notEqual(resolved.status, 0);
        assert.match(resolved.output, /ERESOLVE/);
    });
});
