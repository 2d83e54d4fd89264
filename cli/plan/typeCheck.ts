// The type check `pulumi up` makes before it runs a TypeScript program: the Node.js host registers
// ts-node without transpileOnly unless PULUMI_NODEJS_TRANSPILE_ONLY=true or the tsconfig says
// `noCheck` (cmd/run/run.js), so a type error stops the run with its file and line. keyrelay plan
// runs the program transpile-only, and reports the same errors first, from the compiler's own
// program diagnostics over the user's files (never over node_modules or declaration files).
import * as fs from "fs";
import * as path from "path";
import type * as TS from "typescript";

/** The compiler Pulumi runs programs with: the project's typescript, else the one @pulumi/pulumi vendors (tsutils.js). */
function loadTypeScript(): typeof TS {
    const { typescriptRequire } = require("@pulumi/pulumi/tsutils").typeScriptRequireStrings() as { typescriptRequire: string };
    return require(typescriptRequire) as typeof TS;
}

/** Whether the host would type-check: not with PULUMI_NODEJS_TRANSPILE_ONLY=true, nor with `noCheck` in the tsconfig when that variable is unset. */
export function hostTypeChecks(env: NodeJS.ProcessEnv, tsconfig: string | undefined): boolean {
    const transpileOnly = env.PULUMI_NODEJS_TRANSPILE_ONLY;
    if (transpileOnly) return transpileOnly !== "true";
    if (!tsconfig) return true;
    try {
        const ts = loadTypeScript();
        const options = ts.parseConfigFileTextToJson(tsconfig, fs.readFileSync(tsconfig, "utf8")).config?.compilerOptions ?? {};
        return options.noCheck !== true;
    } catch {
        return true;
    }
}

const checked = new Map<string, string[]>();

/**
 * The type errors in the program rooted at `entry`, each as `file(line,col): error TSnnnn: message`,
 * under the compiler options of `tsconfig` (or Pulumi's defaults: strict, commonjs). Memoised per
 * entry, tsconfig and modification time of the entry within one process.
 */
export function typeErrorsOf(entry: string, tsconfig: string | undefined): string[] {
    const key = `${entry}\0${tsconfig ?? ""}\0${fs.statSync(entry).mtimeMs}`;
    const known = checked.get(key);
    if (known) return known;
    const ts = loadTypeScript();
    let options: TS.CompilerOptions = { strict: true, target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, esModuleInterop: true, skipLibCheck: true };
    if (tsconfig) {
        const read = ts.readConfigFile(tsconfig, (f) => fs.readFileSync(f, "utf8"));
        const parsed = ts.parseJsonConfigFileContent(read.config ?? {}, ts.sys, path.dirname(tsconfig), undefined, tsconfig);
        options = { ...parsed.options };
    }
    // The program is required from CommonJS whatever its tsconfig names, as keyrelay runs it; no output is written.
    options = { ...options, noEmit: true, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, skipLibCheck: true,
        declaration: false, composite: false, incremental: false, rootDir: undefined, outDir: undefined, tsBuildInfoFile: undefined };
    const program = ts.createProgram([entry], options);
    const own = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !f.fileName.split(/[\\/]/).includes("node_modules"));
    const diagnostics = own.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)])
        .filter((d) => d.category === ts.DiagnosticCategory.Error);
    const lines = diagnostics.map((d) => {
        const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
        if (!d.file || d.start === undefined) return `error TS${d.code}: ${message}`;
        const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
        return `${path.resolve(d.file.fileName)}(${line + 1},${character + 1}): error TS${d.code}: ${message}`;
    });
    checked.set(key, lines);
    return lines;
}
