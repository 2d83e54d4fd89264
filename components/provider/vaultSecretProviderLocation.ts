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
    /** The module's absolute path on the machine that declared the resource; "" when installed in node_modules. */
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
    const packageName = name ?? "keyrelay";
    // Installed as a package, the host finds it by name; the absolute path (stored twice in every
    // VaultSecret's state, and different on every machine) is needed only for a checkout.
    const installed = root.split(path.sep).slice(-packageName.split("/").length - 1).join("/") === `node_modules/${packageName}`;
    return { packageName, pathInPackage: path.relative(root, file).split(path.sep).join("/"), file: installed ? "" : file };
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
    // Short names on purpose: this text is stored twice in every VaultSecret's state.
    const call = (m: string, a: unknown[]): Promise<any> => {
        const p = require("path"), l = location;
        const f = [...require("module")._nodeModulePaths(process.cwd()).map((d: string) => p.join(d, l.packageName, l.pathInPackage)), l.file].find(require("fs").existsSync);
        if (!f) throw new Error(`keyrelay: install ${l.packageName} beside the program (no ${l.pathInPackage} from ${process.cwd()})`);
        return require(f).createVaultSecretProvider()[m](...a);
    };
    const methods = Object.keys(real).filter((name) => typeof (real as unknown as Record<string, unknown>)[name] === "function");
    return Object.fromEntries(methods.map((m) => [m, async (...a: unknown[]) => call(m, a)])) as unknown as pulumi.dynamic.ResourceProvider;
}
