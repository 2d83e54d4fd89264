// Loading a program as each `pulumi up` would start it afresh, and running it under the SDK's mock
// runtime without the diagnostics only the real engine reads.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";

/**
 * Turns off, until the returned function is called, two diagnostics the SDK keeps for every resource
 * and promise, which only the real engine reads. Without them a 1,000-app run of the reference
 * program allocates less and peaks at 909 MiB of RSS instead of 1,224 (bench/plan-fleet.ts).
 *  - `Resource.callsites` (node_modules/@pulumi/pulumi/resource.js) raises Error.stackTraceLimit to
 *    Infinity and parses the whole stack into the registration's sourcePosition and stackTrace: the
 *    mock monitor (runtime/mocks.js registerResource) reads neither.
 *  - `debuggablePromise` (runtime/debuggable.js) tags each promise with an id, a context string and a
 *    stack, keeps it in a leak-candidate set and chains two more promises on it, for the message
 *    printed when a program exits with promises pending. The SDK calls it through its module's
 *    exports (`debuggable_1.debuggablePromise(...)`), so the identity function stands in for it.
 */
export function withoutSdkDiagnostics(): () => void {
    const resource = pulumi.Resource as unknown as { callsites?: () => unknown[] };
    const debuggable = sdkDebuggableModule();
    // Runs that overlap (each engine's own) share one saved pair: the last to finish puts it back.
    // An SDK without either function (another version) runs with what it has.
    if (sdkDiagnosticsOff++ === 0) {
        savedSdkDiagnostics = { callsites: resource.callsites, debuggablePromise: debuggable?.debuggablePromise };
        if (typeof resource.callsites === "function") resource.callsites = () => [];
        if (typeof debuggable?.debuggablePromise === "function") debuggable.debuggablePromise = (p) => p;
    }
    let restored = false;
    return () => {
        if (restored) return;
        restored = true;
        if (--sdkDiagnosticsOff === 0 && savedSdkDiagnostics) {
            if (savedSdkDiagnostics.callsites) resource.callsites = savedSdkDiagnostics.callsites;
            if (debuggable && savedSdkDiagnostics.debuggablePromise) debuggable.debuggablePromise = savedSdkDiagnostics.debuggablePromise;
            savedSdkDiagnostics = undefined;
        }
    };
}
type DebuggablePromise = <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
let sdkDiagnosticsOff = 0;
let savedSdkDiagnostics: { callsites?: () => unknown[]; debuggablePromise?: DebuggablePromise } | undefined;

function sdkDebuggableModule(): { debuggablePromise?: DebuggablePromise } | undefined {
    try {
        return require("@pulumi/pulumi/runtime/debuggable");
    } catch {
        return undefined;
    }
}

/** The output's value, or its failure: `apply` alone would wait forever on a failed resource. */
export function settle<T>(output: pulumi.Output<T>): Promise<T> {
    return (output as unknown as { promise(): Promise<T> }).promise();
}

/**
 * A program given as a file: re-required on every run, as each `pulumi up` starts it afresh.
 * Only the modules the program itself brought in are reloaded; packages, keyrelay's components
 * and whatever was loaded before it (the caller's own code) stay as they are.
 */
export function programFromFile(file: string): () => unknown {
    const entry = require.resolve(path.resolve(file));
    return () => {
        for (const cached of [entry, ...(modulesOfProgram.get(entry) ?? [])]) delete require.cache[cached];
        const before = new Set(Object.keys(require.cache));
        try {
            return require(entry);
        } finally {
            // Node lists every loaded copy as a child of this module; each copy's exports hold its run's resources.
            module.children = module.children.filter((child) => child.id !== entry);
            const added = Object.keys(require.cache).filter((m) => !before.has(m) && !isLibraryModule(m));
            modulesOfProgram.set(entry, [...new Set([...(modulesOfProgram.get(entry) ?? []), ...added])]);
        }
    };
}

/** Packages, and keyrelay's own components, stay loaded like any library a program uses. */
function isLibraryModule(file: string): boolean {
    return file.includes(`${path.sep}node_modules${path.sep}`) || file.startsWith(KEYRELAY_COMPONENTS_DIR);
}
const KEYRELAY_COMPONENTS_DIR = path.resolve(__dirname, "..", "components") + path.sep;

/** Per program entry file, the modules it loaded itself: reloaded on each of its runs, in any engine. */
const modulesOfProgram = new Map<string, string[]>();

/** The `config:` map of a Pulumi.<stack>.yaml file. */
export function stackConfigFromFile(file: string): Record<string, unknown> {
    const parsed = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | undefined;
    return parsed?.config ?? {};
}
