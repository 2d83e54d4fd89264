// Where the HTML report's "docs" links point: docs/audit.md of the keyrelay package that ran the
// audit (the docs/ folder ships in the package: package.json "files"), or, once package.json names
// a GitHub repository, that file at the released version's tag, which also opens where the
// report is read on another machine. Each finding code has a heading there, so #<code> is its section.
import * as fs from "fs";
import * as path from "path";
import { pathToFileURL } from "url";

/** The folder holding keyrelay's package.json, from this file's folder in the sources or in dist/. */
function packageRoot(from: string): string | undefined {
    for (let dir = from; ; dir = path.dirname(dir)) {
        try {
            if ((JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: string }).name === "keyrelay") return dir;
        } catch { /* no package.json here */ }
        if (path.dirname(dir) === dir) return undefined;
    }
}

export function auditDocsUrl(from: string = __dirname): string | undefined {
    const root = packageRoot(from);
    if (!root) return undefined;
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version?: string; repository?: string | { url?: string } };
    const repository = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url;
    const github = repository ? /github\.com[/:]([\w.-]+\/[\w.-]+?)(\.git)?$/.exec(repository) : null;
    if (github && pkg.version) return `https://github.com/${github[1]}/blob/v${pkg.version}/docs/audit.md`;
    const file = path.join(root, "docs", "audit.md");
    return fs.existsSync(file) ? pathToFileURL(file).href : undefined;
}
