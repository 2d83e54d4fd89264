// Which program and stack `keyrelay plan` runs, found as the Pulumi CLI and its Node.js host find
// them: Pulumi.yaml searched upward from the working directory (or --cwd); its `main` (a file, or a
// folder resolved as the host's cmd/run/run.js does: package.json `exports`/`main`, then Node's
// index.js, index.ts); `runtime.options.typescript` and `tsconfig`; and the stack from --stack, then
// PULUMI_STACK, then the only Pulumi.<stack>.yaml. Pure file reads: nothing runs here.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { usageError } from "../errors";

export interface PulumiProgram {
    /** The folder holding Pulumi.yaml. */
    projectDir: string;
    /** Pulumi.yaml's `name`, else the folder's name. */
    project: string;
    stack: string;
    /** Pulumi.<stack>.yaml, in Pulumi.yaml's `stackConfigDir` when set. */
    configFile: string;
    /** The program's entry file. */
    entry: string;
    /** The folder the host runs the program in: `main`'s folder (or main's own, for a folder). */
    workDir: string;
    /** `runtime.options.typescript` (Pulumi's default: true). */
    typescript: boolean;
    /** The tsconfig the host compiles with: `runtime.options.tsconfig`, else tsconfig.json in workDir when there. */
    tsconfig: string | undefined;
    /** What the host would warn about (both index.js and index.ts). */
    warnings: string[];
}

interface ProjectFile {
    name?: unknown;
    main?: unknown;
    stackConfigDir?: unknown;
    runtime?: unknown;
}

const PROJECT_FILES = ["Pulumi.yaml", "Pulumi.yml"];

/** Pulumi.yaml in `dir` or the nearest folder above it, as `pulumi` finds its project. */
export function findProjectFile(dir: string): string | undefined {
    for (let at = path.resolve(dir); ; at = path.dirname(at)) {
        const found = PROJECT_FILES.map((f) => path.join(at, f)).find((f) => fs.existsSync(f));
        if (found) return found;
        if (path.dirname(at) === at) return undefined;
    }
}

function readProject(file: string): ProjectFile {
    try {
        const parsed = yaml.load(fs.readFileSync(file, "utf8"));
        return parsed && typeof parsed === "object" ? parsed as ProjectFile : {};
    } catch (error) {
        throw usageError(`keyrelay plan: ${file} is not YAML (${(error as Error).message.split("\n")[0]}). Fix the project file.`);
    }
}

/** The stacks that have a config file in `configDir`: Pulumi.<stack>.yaml. */
export function stacksIn(configDir: string): string[] {
    const names = fs.existsSync(configDir) ? fs.readdirSync(configDir) : [];
    return names.map((n) => /^Pulumi\.(.+)\.ya?ml$/.exec(n)?.[1]).filter((s): s is string => s !== undefined).sort();
}

function chooseStack(given: string | undefined, env: NodeJS.ProcessEnv, configDir: string): string {
    const chosen = given ?? (env.PULUMI_STACK || undefined);
    if (chosen !== undefined) return chosen;
    const stacks = stacksIn(configDir);
    if (stacks.length === 1) return stacks[0];
    if (stacks.length === 0) throw usageError(`keyrelay plan: no stack: no Pulumi.<stack>.yaml in ${configDir}, no --stack and no PULUMI_STACK. Pass --stack <name> with its Pulumi.<name>.yaml beside Pulumi.yaml.`);
    throw usageError(`keyrelay plan: ${stacks.length} stacks (${stacks.join(", ")}) and none chosen. Pass --stack <name> or set PULUMI_STACK.`);
}

/** The nearest package.json at or above `dir`, as run.js's npmPackageRootFromProgramPath finds it. */
function packageManifestAbove(dir: string): string | undefined {
    for (let at = dir; ; at = path.dirname(at)) {
        const file = path.join(at, "package.json");
        if (fs.existsSync(file)) return file;
        if (path.dirname(at) === at) return undefined;
    }
}

/** run.js for the entry ".": package.json's `exports` (".": default, require, import) or `main`, when that file exists. */
function packageEntry(folder: string): string | undefined {
    const manifest = packageManifestAbove(folder);
    if (!manifest) return undefined;
    let pkg: { exports?: unknown; main?: unknown };
    try { pkg = JSON.parse(fs.readFileSync(manifest, "utf8")); } catch { return undefined; }
    let entry: unknown;
    if (typeof pkg.exports === "string") entry = pkg.exports;
    else if (pkg.exports && typeof pkg.exports === "object") {
        const main = (pkg.exports as Record<string, unknown>)["."];
        entry = typeof main === "string" ? main : main && typeof main === "object" ? (main as Record<string, unknown>).default ?? (main as Record<string, unknown>).require ?? (main as Record<string, unknown>).import : undefined;
    } else entry = pkg.main;
    if (typeof entry !== "string") return undefined;
    const file = path.join(path.dirname(manifest), entry);
    return fs.existsSync(file) ? file : undefined;
}

/** What `require(folder)` loads under the host: the folder's package.json `main`, then index.js, then index.ts (ts-node's extension comes last). */
function folderEntry(folder: string, warnings: string[]): string | undefined {
    const own = path.join(folder, "package.json");
    if (fs.existsSync(own)) {
        try {
            const main = JSON.parse(fs.readFileSync(own, "utf8")).main;
            if (typeof main === "string") {
                const file = path.join(folder, main);
                for (const candidate of [file, `${file}.js`, `${file}.ts`, path.join(file, "index.js"), path.join(file, "index.ts")]) {
                    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
                }
            }
        } catch { /* Node ignores a manifest it cannot read here too. */ }
    }
    const [js, ts] = ["index.js", "index.ts"].map((f) => path.join(folder, f)).map((f) => (fs.existsSync(f) ? f : undefined));
    if (js && ts) warnings.push(`${folder} holds both index.js and index.ts; Pulumi runs index.js (set main: index.ts in Pulumi.yaml to run the TypeScript).`);
    return js ?? ts;
}

/** The program `pulumi up` would run from `dir`, and the stack it would use. Usage errors name what was looked for. */
export function resolvePulumiProgram(dir: string, stackOption: string | undefined, env: NodeJS.ProcessEnv): PulumiProgram {
    const projectFile = findProjectFile(dir);
    if (!projectFile) throw usageError(`keyrelay plan: no Pulumi.yaml in ${dir} or any folder above it. Run keyrelay plan in a Pulumi project, or pass --cwd <folder of Pulumi.yaml>.`);
    const projectDir = path.dirname(projectFile);
    const project = readProject(projectFile);
    const warnings: string[] = [];

    let entry: string | undefined;
    let workDir = projectDir;
    let lookedFor: string;
    if (project.main !== undefined) {
        // pulumi's getPwdMain: main is relative and inside the project; a folder becomes the host's pwd with entry ".".
        const main = String(project.main);
        const target = path.resolve(projectDir, main);
        if (path.isAbsolute(main) || path.relative(projectDir, target).startsWith("..")) {
            throw usageError(`keyrelay plan: ${projectFile} main: ${main} is outside the project. Set main to a path under ${projectDir}, as Pulumi requires.`);
        }
        if (!fs.existsSync(target)) throw usageError(`keyrelay plan: ${projectFile} main: ${main}, but ${target} does not exist. Set main to the program's file or folder.`);
        if (fs.statSync(target).isDirectory()) {
            workDir = target;
            const fromPackage = packageEntry(target);
            entry = fromPackage && fs.statSync(fromPackage).isDirectory() ? folderEntry(fromPackage, warnings) : fromPackage ?? folderEntry(target, warnings);
            lookedFor = `main: ${main} (package.json exports or main, index.js, index.ts in ${target})`;
        } else {
            workDir = path.dirname(target);
            entry = target;
            lookedFor = `main: ${main}`;
        }
    } else {
        const fromPackage = packageEntry(projectDir);
        entry = fromPackage && fs.statSync(fromPackage).isDirectory() ? folderEntry(fromPackage, warnings) : fromPackage ?? folderEntry(projectDir, warnings);
        lookedFor = `main in Pulumi.yaml, package.json exports or main, index.js and index.ts in ${projectDir}`;
    }
    if (!entry) throw usageError(`keyrelay plan: no Pulumi program in ${projectDir}: looked for ${lookedFor}. Set main: in Pulumi.yaml to the program's file (e.g. main: src/index.ts).`);

    const options = (project.runtime && typeof project.runtime === "object" ? (project.runtime as { options?: Record<string, unknown> }).options : undefined) ?? {};
    const typescript = options.typescript === undefined ? true : options.typescript === true || options.typescript === "true";
    let tsconfig: string | undefined;
    if (typeof options.tsconfig === "string") {
        // The host reads PULUMI_NODEJS_TSCONFIG_PATH relative to its pwd, and stops when the file is missing.
        tsconfig = path.resolve(workDir, options.tsconfig);
        if (!fs.existsSync(tsconfig)) throw usageError(`keyrelay plan: ${projectFile} runtime.options.tsconfig: ${options.tsconfig}, but ${tsconfig} does not exist. Fix the path (it is relative to ${workDir}).`);
    } else if (fs.existsSync(path.join(workDir, "tsconfig.json"))) {
        tsconfig = path.join(workDir, "tsconfig.json");
    }
    if (!typescript && /\.[cm]?ts$/.test(entry)) {
        throw usageError(`keyrelay plan: ${projectFile} sets runtime.options.typescript: false, but the program is ${entry}. Compile it first and set main: to the .js file, or remove typescript: false.`);
    }

    const configDir = typeof project.stackConfigDir === "string" ? path.resolve(projectDir, project.stackConfigDir) : projectDir;
    const stack = chooseStack(stackOption, env, configDir);
    // A fully qualified stack (org/project/stack) keeps its config under the stack's own name.
    const stackFileName = stack.split("/").pop()!;
    const configFile = ["yaml", "yml"].map((ext) => path.join(configDir, `Pulumi.${stackFileName}.${ext}`)).find((f) => fs.existsSync(f));
    if (!configFile) {
        const known = stacksIn(configDir);
        throw usageError(`keyrelay plan: no Pulumi.${stackFileName}.yaml in ${configDir} for stack ${stack}${known.length ? ` (stacks here: ${known.join(", ")})` : ""}. Pass --stack <name> of an existing stack config file.`);
    }
    const name = typeof project.name === "string" && project.name.trim() !== "" ? project.name : path.basename(projectDir);
    return { projectDir, project: name, stack, configFile, entry, workDir, typescript, tsconfig, warnings };
}
