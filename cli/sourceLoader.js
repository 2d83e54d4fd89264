// Runs keyrelay's TypeScript sources in a clone of the repository without paying for the compiler
// at every start: each .ts file is transpiled once (TypeScript's transpileModule, the same
// transpile-only step ts-node takes) and kept in node_modules/.cache/keyrelay-ts, keyed by the file's
// path, size and modification time, the tsconfig and the compiler's version. A start whose files are
// all cached never loads TypeScript. The build writes to dist/, so no .js sits beside a source.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

function register(root) {
    const cacheDir = path.join(root, "node_modules", ".cache", "keyrelay-ts");
    const tsconfigFile = path.join(root, "tsconfig.json");
    const tsconfigText = fs.readFileSync(tsconfigFile, "utf8");
    const compilerVersion = JSON.parse(fs.readFileSync(require.resolve("typescript/package.json", { paths: [root] }), "utf8")).version;
    const salt = crypto.createHash("sha256").update(tsconfigText).update(compilerVersion).digest("hex");
    let compiler;
    let options;

    function transpile(source, filename) {
        if (!compiler) {
            compiler = require(require.resolve("typescript", { paths: [root] }));
            const parsed = compiler.parseConfigFileTextToJson(tsconfigFile, tsconfigText);
            options = compiler.convertCompilerOptionsFromJson(parsed.config.compilerOptions, root).options;
            Object.assign(options, { sourceMap: false, inlineSourceMap: true, inlineSources: false, declaration: false, noEmit: false });
            // One file to memory needs no rootDir or outDir; with them, a program outside this checkout
            // (keyrelay plan --program /elsewhere) is refused as "not under 'rootDir'".
            delete options.rootDir;
            delete options.outDir;
        }
        const output = compiler.transpileModule(source, { fileName: filename, compilerOptions: options, reportDiagnostics: true });
        const syntax = (output.diagnostics || []).filter((d) => d.category === compiler.DiagnosticCategory.Error);
        if (syntax.length > 0) {
            const d = syntax[0];
            const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
            throw new SyntaxError(`${filename}${where ? `(${where.line + 1},${where.character + 1})` : ""}: ${compiler.flattenDiagnosticMessageText(d.messageText, "\n")}`);
        }
        return output.outputText;
    }

    function load(module, filename) {
        const stat = fs.statSync(filename);
        const key = crypto.createHash("sha256").update(`${salt}\0${filename}\0${stat.size}\0${stat.mtimeMs}`).digest("hex");
        const cached = path.join(cacheDir, `${key}.js`);
        let code;
        try {
            code = fs.readFileSync(cached, "utf8");
        } catch {
            code = transpile(fs.readFileSync(filename, "utf8"), filename);
            try {
                fs.mkdirSync(cacheDir, { recursive: true });
                const partial = `${cached}.${process.pid}.tmp`;
                fs.writeFileSync(partial, code);
                fs.renameSync(partial, cached);
            } catch {
                // A read-only checkout still runs; it transpiles again next time.
            }
        }
        module._compile(code, filename);
    }

    require.extensions[".ts"] = load;
    process.setSourceMapsEnabled?.(true);
}

module.exports = { register };
