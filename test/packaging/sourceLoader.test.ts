// The repository's bin runs the TypeScript sources through cli/sourceLoader.js: transpiled once and
// cached, and the compiler not even loaded when all is cached. (The build writes to dist/, so no
// compiled .js sits beside a source for the loader to weigh against it.)
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT, runOk, run, temporaryFolder } from "./staging";

const LOAD = `const root = process.argv[1];
require(${JSON.stringify(path.join(ROOT, "cli", "sourceLoader.js"))}).register(root);
const value = require(require("path").join(root, "answer")).answer;
const compilerLoaded = Object.keys(require.cache).some((f) => /node_modules[\\\\/]typescript[\\\\/]/.test(f));
process.stdout.write(JSON.stringify({ value, compilerLoaded }));`;

describe("cli/sourceLoader.js: the sources, transpiled once", () => {
    let root: string;
    before(() => {
        root = temporaryFolder("loader");
        fs.copyFileSync(path.join(ROOT, "tsconfig.json"), path.join(root, "tsconfig.json"));
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(root, "node_modules"), "dir");
        fs.writeFileSync(path.join(root, "answer.ts"), "const kind: string = \"source\";\nexport const answer = `${kind} ${[1, 2].map((n: number) => n * 21)[1]}`;\n");
    });
    after(() => { if (root) fs.rmSync(root, { recursive: true, force: true }); });

    it("runs the .ts; the second start uses the cache without loading TypeScript", () => {
        const first = JSON.parse(runOk(process.execPath, ["-e", LOAD, root], root));
        assert.deepEqual(first, { value: "source 42", compilerLoaded: true });
        const second = JSON.parse(runOk(process.execPath, ["-e", LOAD, root], root));
        assert.deepEqual(second, { value: "source 42", compilerLoaded: false });
    });

    it("an edited source is transpiled again", () => {
        const file = path.join(root, "answer.ts");
        fs.writeFileSync(file, "export const answer = \"edited\";\n");
        fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
        assert.equal(JSON.parse(runOk(process.execPath, ["-e", LOAD, root], root)).value, "edited");
    });

    it("a syntax error names the file, line and column", () => {
        fs.writeFileSync(path.join(root, "answer.ts"), "export const answer = ;\n");
        const failed = run(process.execPath, ["-e", LOAD, root], root);
        assert.notEqual(failed.status, 0);
        assert.match(failed.stderr, /answer\.ts\(1,\d+\): Expression expected/);
    });

    it("a program outside the checkout loads too (keyrelay plan --program /elsewhere): no 'not under rootDir'", () => {
        const elsewhere = temporaryFolder("elsewhere");
        try {
            fs.writeFileSync(path.join(elsewhere, "answer.ts"), "export const answer: string = \"from elsewhere\";\n");
            const script = `require(${JSON.stringify(path.join(ROOT, "cli", "sourceLoader.js"))}).register(process.argv[1]);
process.stdout.write(JSON.stringify(require(process.argv[2]).answer));`;
            assert.equal(JSON.parse(runOk(process.execPath, ["-e", script, root, path.join(elsewhere, "answer.ts")], root)), "from elsewhere");
        } finally {
            fs.rmSync(elsewhere, { recursive: true, force: true });
        }
    });
});
