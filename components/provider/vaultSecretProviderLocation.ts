// What Pulumi serializes for a VaultSecret: not the provider's code (about 35 KB, stored twice in
// every VaultSecret's state) but a small provider that loads keyrelay's provider module in the
// engine's dynamic provider host. The host evaluates the `__provider` text with a `require` that
// resolves from its working directory, the program's directory (@pulumi/pulumi
// cmd/dynamic-provider/index.js: requireFromString(providerString), require-from-string builds the
// module's paths from path.dirname("")), so keyrelay installed beside the program is found by name;
// the file the program declared it from is the fallback (this repository, or a linked checkout).
import * as fs from "fs";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { KeyrelayError } from "../../lib/errors";

/** Where the provider module lives, captured when the program declares a VaultSecret. */
export interface ProviderModuleLocation {
    /** keyrelay's package name: the host requires "<packageName>/provider" (an entry of the package's `exports`). */
    readonly packageName: string;
    /** The module's absolute path on the machine that declared the resource, the fallback; "" when installed in node_modules. */
    readonly file: string;
}

/**
 * The location of ./vaultSecretProvider as loaded by this process: the compiled dist/ module, or for
 * the TypeScript sources (a clone), components/vaultSecretProvider.js, plain JavaScript that
 * compiles them on load (it is also the path state written by 0.1.0 names).
 * @internal
 */
export function providerModuleLocation(): ProviderModuleLocation {
    const source = require.resolve("./vaultSecretProvider");
    const file = source.endsWith(".ts") ? path.join(__dirname, "..", "vaultSecretProvider.js") : source;
    let root = path.dirname(file);
    while (!fs.existsSync(path.join(root, "package.json")) && path.dirname(root) !== root) root = path.dirname(root);
    const { name } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { name?: string };
    const packageName = name ?? "keyrelay";
    // Installed as a package, the host finds it by name; the absolute path (stored twice in every
    // VaultSecret's state, and different on every machine) is needed only for a checkout.
    const installed = root.split(path.sep).slice(-packageName.split("/").length - 1).join("/") === `node_modules/${packageName}`;
    return { packageName, file: installed ? "" : file };
}

/**
 * A provider with the same methods as `real` (the one createVaultSecretProvider builds), each of
 * which loads the real provider's module and calls it, in whatever process runs it. Only these
 * small functions and the two strings are serialized (Pulumi serializes function bodies with their
 * comments, so the comments stay out here). The host's `require` resolves from its working
 * directory, the program's: "<package>/provider" from the node_modules folders above it, else the
 * declaring file. The error is a plain Error: serialized code cannot import lib/errors.
 * @internal
 */
export function loadingVaultSecretProvider(location: ProviderModuleLocation, real: pulumi.dynamic.ResourceProvider): pulumi.dynamic.ResourceProvider {
    // Short names on purpose: this text is stored twice in every VaultSecret's state.
    const n = location.packageName, f = location.file;
    // One expression on one line: the compiler re-flows statements over indented lines, and every byte is stored twice.
    const l = (m: string, a: unknown[]): Promise<any> => Promise.resolve().then(() => require(n + "/provider")).catch((e) => (f ? require(f) : Promise.reject(Error(`keyrelay: install ${n} beside the program (${e})`)))).then((p) => p.createVaultSecretProvider()[m](...a));
    // Each method names itself in a literal rather than capturing the name: a captured variable costs
    // every method a line of serialized scope, twice per VaultSecret in state.
    const loading: Record<string, (...a: unknown[]) => Promise<any>> = {
        check: (...a) => l("check", a), diff: (...a) => l("diff", a), create: (...a) => l("create", a),
        update: (...a) => l("update", a), read: (...a) => l("read", a), delete: (...a) => l("delete", a),
    };
    const methods = Object.keys(real).filter((name) => typeof (real as unknown as Record<string, unknown>)[name] === "function");
    return Object.fromEntries(methods.map((m) => {
        if (!loading[m]) throw new KeyrelayError("InternalError", `keyrelay: the VaultSecret provider's method ${m} has no loader`);
        return [m, loading[m]];
    })) as unknown as pulumi.dynamic.ResourceProvider;
}
