// The type check `pulumi up` makes before it runs a TypeScript program: the Node.js host registers
// ts-node without transpileOnly unless PULUMI_NODEJS_TRANSPILE_ONLY=true or the tsconfig says
// `noCheck` (cmd/run/run.js), so a type error stops the run with its file and line. keyrelay plan
// runs the program transpile-only, and reports the same errors first, from the compiler's own
// program diagnostics over the user's files (never over node_modules or declaration files).
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
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

/** A file's identity for the cache: path, size and modification time; undefined once it is gone. */
function stamp(file: string): string | undefined {
    try {
        const stat = fs.statSync(file);
        return `${file}\0${stat.size}\0${stat.mtimeMs}`;
    } catch {
        return undefined;
    }
}

interface CachedCheck {
    stamps: string[];
    errors: string[];
}

/** Where a check's result is kept: the user's cache folder (XDG_CACHE_HOME, else ~/.cache), never beside the program. */
function cacheFile(entry: string, tsconfig: string | undefined, compilerVersion: string, env: NodeJS.ProcessEnv): string {
    const root = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    const key = crypto.createHash("sha256").update(`${entry}\0${tsconfig ?? ""}\0${compilerVersion}`).digest("hex");
    return path.join(root, "keyrelay", "typecheck", `${key}.json`);
}

/**
 * The type errors in the program rooted at `entry`, each as `file(line,col): error TSnnnn: message`,
 * under the compiler options of `tsconfig` (or Pulumi's defaults: strict, commonjs). A program that
 * imports @pulumi/azure-native makes the compiler read thousands of declaration files (about 20 s),
 * so a result is kept with the size and modification time of every file the check read outside
 * node_modules, the tsconfig and the lock file of node_modules, and reused while none has changed.
 */
export function typeErrorsOf(entry: string, tsconfig: string | undefined, env: NodeJS.ProcessEnv = {}): string[] {
    const ts = loadTypeScript();
    const cache = cacheFile(entry, tsconfig, ts.version, env);
    try {
        const cached = JSON.parse(fs.readFileSync(cache, "utf8")) as CachedCheck;
        if (cached.stamps.length > 0 && cached.stamps.every((s) => stamp(s.split("\0")[0]) === s)) return cached.errors;
    } catch {
        // No usable cache: check.
    }
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
    const lockFile = findUp(path.dirname(entry), path.join("node_modules", ".package-lock.json"));
    const stamps = [...own.map((f) => path.resolve(f.fileName)), ...(tsconfig ? [tsconfig] : []), ...(lockFile ? [lockFile] : [])].map(stamp).filter((s): s is string => s !== undefined);
    try {
        fs.mkdirSync(path.dirname(cache), { recursive: true });
        fs.writeFileSync(`${cache}.${process.pid}.tmp`, JSON.stringify({ stamps, errors: lines } satisfies CachedCheck));
        fs.renameSync(`${cache}.${process.pid}.tmp`, cache);
    } catch {
        // A read-only home still plans; it checks again next time.
    }
    return lines;
}

function findUp(dir: string, relative: string): string | undefined {
    for (let at = dir; ; at = path.dirname(at)) {
        if (fs.existsSync(path.join(at, relative))) return path.join(at, relative);
        if (path.dirname(at) === at) return undefined;
    }
}
