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

/** Where the provider module lives, captured when the program declares a VaultSecret. */
export interface ProviderModuleLocation {
    /** keyrelay's package name, looked up in the node_modules folders above the host's working directory. */
    readonly packageName: string;
    /** The module's path inside the package, e.g. "components/vaultSecretProvider.js" (or "components/vaultSecretProviderEntry.js" from the sources). */
    readonly pathInPackage: string;
    /** The module's absolute path on the machine that declared the resource. */
    readonly file: string;
}

/**
 * The location of ./vaultSecretProvider as loaded by this process: the compiled .js, or for the
 * TypeScript sources, the plain JavaScript entry beside them that compiles them on load.
 */
export function providerModuleLocation(): ProviderModuleLocation {
    const source = require.resolve("./vaultSecretProvider");
    const file = source.endsWith(".ts") ? path.join(path.dirname(source), "vaultSecretProviderEntry.js") : source;
    let root = path.dirname(file);
    while (!fs.existsSync(path.join(root, "package.json")) && path.dirname(root) !== root) root = path.dirname(root);
    const { name } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { name?: string };
    return { packageName: name ?? "keyrelay", pathInPackage: path.relative(root, file).split(path.sep).join("/"), file };
}

/**
 * A provider with the same methods as `real` (the one createVaultSecretProvider builds), each of
 * which loads the real provider's module and calls it, in whatever process runs it. Only these
 * small functions and `location` are serialized (Pulumi serializes function bodies with their
 * comments, so the comments stay out here). Where the module is looked for, in order:
 * node_modules/<package>/<pathInPackage> in every node_modules folder above the host's working
 * directory (found without the package's `exports`, which need not list the module), then the
 * declaring file.
 */
export function loadingVaultSecretProvider(location: ProviderModuleLocation, real: pulumi.dynamic.ResourceProvider): pulumi.dynamic.ResourceProvider {
    const call = (method: string, args: unknown[]): Promise<any> => {
        const path = require("path"), at = location;
        const file = [...require("module")._nodeModulePaths(process.cwd()).map((d: string) => path.join(d, at.packageName, at.pathInPackage)), at.file].find(require("fs").existsSync);
        if (!file) throw new Error(`keyrelay: install ${at.packageName} beside the program: no ${at.pathInPackage} from ${process.cwd()}`);
        return require(file).createVaultSecretProvider()[method](...args);
    };
    const methods = Object.keys(real).filter((name) => typeof (real as unknown as Record<string, unknown>)[name] === "function");
    return Object.fromEntries(methods.map((method) => [method, async (...args: unknown[]) => call(method, args)])) as unknown as pulumi.dynamic.ResourceProvider;
}
