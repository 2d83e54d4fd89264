// The files a user expects in the repository and the package: LICENSE, CHANGELOG.md, CONTRIBUTING.md,
// a README that opens with a short quickstart, and one Node.js version everywhere.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
const packageJson = JSON.parse(read("package.json"));

/** The code lines (inside fences) of the README's first section, and its fenced blocks. */
function quickstart(): { heading: string; blocks: Array<{ lang: string; lines: string[] }> } {
    const readme = read("README.md");
    const first = readme.indexOf("\n## ");
    const next = readme.indexOf("\n## ", first + 1);
    const section = readme.slice(first + 1, next);
    const blocks = [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], lines: m[2].split("\n").filter((l) => l.trim() !== "") }));
    return { heading: section.split("\n")[0], blocks };
}

describe("the repository", () => {
    it("has an Apache-2.0 LICENSE, as package.json says, and the package ships it", () => {
        assert.equal(packageJson.license, "Apache-2.0");
        const license = read("LICENSE");
        assert.match(license, /^\s*Apache License\s+Version 2\.0, January 2004/);
        assert.match(license, /TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION/);
        assert.match(license, /END OF TERMS AND CONDITIONS/);
        // npm always packs LICENSE; --ignore-scripts skips the prepack build, which does not change the list of these files.
        const [pack] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, npm_config_loglevel: "silent" } }));
        const files = pack.files.map((f: { path: string }) => f.path);
        for (const shipped of ["LICENSE", "README.md", "docs/permissions.md", "docs/bootstrap.sh", "docs/consumers.md"]) assert.ok(files.includes(shipped), `${shipped} is not in the package`);
    });

    it("has a CHANGELOG whose first entry is the P90D to P89D default change", () => {
        const changelog = read("CHANGELOG.md");
        const firstEntry = changelog.slice(changelog.indexOf("\n### "), changelog.indexOf("\n### ", changelog.indexOf("\n### ") + 1));
        assert.match(firstEntry, /`P89D` \(was `P90D`\)/);
        assert.match(firstEntry, /rotation: \{ every: "P90D" \}/, "says how to keep the old schedule");
        assert.match(read("components/schedule.ts"), /export const DEFAULT_EVERY = "P89D";/, "the changelog describes the code");
    });

    it("has a CONTRIBUTING that says npm test needs Chromium, where the test looks for it, and Node 22", () => {
        const contributing = read("CONTRIBUTING.md");
        const chromium = /export const CHROMIUM = "([^"]+)"/.exec(read("test/cli/auditHtml.test.ts"))![1];
        assert.ok(contributing.includes(chromium), `CONTRIBUTING names ${chromium}`);
        assert.match(contributing, /apt-get install -y chromium/);
        assert.match(contributing, /\*\*Node\.js 22\*\*/);
        assert.match(contributing, /npm test/);
    });

    it("opens the README with a quickstart of at most 15 lines: install, a 10-line program, keyrelay plan, pulumi up", () => {
        const { heading, blocks } = quickstart();
        assert.equal(heading, "## Quickstart");
        const lines = blocks.flatMap((b) => b.lines);
        assert.ok(lines.length <= 15, `${lines.length} lines`);
        const program = blocks.find((b) => b.lang === "ts")!;
        assert.ok(program.lines.length <= 10, `the program has ${program.lines.length} lines`);
        const shell = blocks.filter((b) => b.lang === "sh").flatMap((b) => b.lines).join("\n");
        for (const step of [/npm install keyrelay /, /npx keyrelay plan/, /pulumi up --policy-pack node_modules\/keyrelay\/policies/]) assert.match(shell, step);
        const install = shell.split("\n").find((l) => l.includes("npm install keyrelay"))!;
        for (const peer of Object.keys(packageJson.peerDependencies).filter((p) => p !== "@pulumi/pulumi" && !packageJson.peerDependenciesMeta?.[p]?.optional)) assert.ok(install.includes(peer), `the install line lacks ${peer}`);
    });

    it("the quickstart program type-checks against keyrelay's own declarations", function () {
        this.timeout(180_000);
        const program = quickstart().blocks.find((b) => b.lang === "ts")!.lines.join("\n");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-quickstart-"));
        const file = path.join(dir, "index.ts");
        fs.writeFileSync(file, program);
        try {
            const checked = ts.createProgram([file], {
                strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, skipLibCheck: true,
                moduleResolution: ts.ModuleResolutionKind.Node10, esModuleInterop: true, types: [], baseUrl: ROOT,
                paths: { keyrelay: [path.join(ROOT, "components", "index.ts")], "*": [path.join(ROOT, "node_modules", "*")] },
            });
            const problems = ts.getPreEmitDiagnostics(checked).filter((d) => d.file?.fileName === file)
                .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
            assert.deepEqual(problems, []);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("says Node.js 22 everywhere it states a requirement", () => {
        assert.equal(packageJson.engines.node, ">=22");
        assert.equal(JSON.parse(read("examples/package.json")).engines.node, ">=22");
        const files = ["README.md", "CONTRIBUTING.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
        let stated = 0;
        for (const file of files) {
            for (const line of read(file).split("\n")) {
                for (const [, version] of line.matchAll(/\bNode(?:\.js)? (\d+)/g)) {
                    stated++;
                    // Another version only where a measurement is dated, or where it is called out of support.
                    if (version !== "22") assert.match(line, /\d{4}-\d{2}-\d{2}|out of support/, `${file}: ${line}`);
                }
            }
        }
        assert.ok(stated >= 5, `${stated} statements`);
    });
});
