// A package-lock.json for a fresh consumer project, cut from this repository's own lock, so that
// `npm ci --offline` installs the packed tarball and the SDKs from npm's local cache (the cache holds
// the tarballs `npm ci` fetched here, but no registry metadata, so npm cannot resolve versions offline).
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

interface LockEntry {
    version?: string;
    resolved?: string;
    integrity?: string;
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    [key: string]: unknown;
}

/** Where Node (and npm's tree) finds `name` from the package at `from`: nearest node_modules upward. */
function locate(packages: Record<string, LockEntry>, name: string, from: string): string | undefined {
    let dir = from;
    for (;;) {
        const candidate = `${dir ? `${dir}/` : ""}node_modules/${name}`;
        if (packages[candidate]) return candidate;
        if (!dir) return undefined;
        const cut = dir.lastIndexOf("/node_modules/");
        dir = cut < 0 ? "" : dir.slice(0, cut);
    }
}

export interface ConsumerManifest {
    name: string;
    version: string;
    dependencies: Record<string, string>;
    devDependencies?: Record<string, string>;
}

export interface PackedKeyrelay {
    /** The tarball's path relative to the project, as package.json names it after `file:`. */
    tarball: string;
    tarballFile: string;
    manifest: LockEntry & { version: string };
}

/**
 * The lock of a project with `manifest`, whose `keyrelay` dependency (if any) is the packed tarball;
 * every other package as this repository locks it.
 */
export function consumerLock(repoLockFile: string, manifest: ConsumerManifest, keyrelay?: PackedKeyrelay): object {
    const repo = JSON.parse(fs.readFileSync(repoLockFile, "utf8")).packages as Record<string, LockEntry>;
    const out: Record<string, LockEntry> = {
        "": { name: manifest.name, version: manifest.version, dependencies: manifest.dependencies, devDependencies: manifest.devDependencies },
    };
    const keyrelayEntry: LockEntry = keyrelay ? {
        version: keyrelay.manifest.version,
        resolved: `file:${keyrelay.tarball}`,
        integrity: `sha512-${crypto.createHash("sha512").update(fs.readFileSync(keyrelay.tarballFile)).digest("base64")}`,
        license: keyrelay.manifest.license,
        dependencies: keyrelay.manifest.dependencies,
        peerDependencies: keyrelay.manifest.peerDependencies,
        peerDependenciesMeta: keyrelay.manifest.peerDependenciesMeta,
        bin: keyrelay.manifest.bin,
        engines: keyrelay.manifest.engines,
    } : {};
    if (keyrelay) out["node_modules/keyrelay"] = keyrelayEntry;
    const queue: Array<[string, string]> = [];
    const want = (deps: Record<string, string> | undefined, from: string, meta?: LockEntry["peerDependenciesMeta"]) => {
        for (const name of Object.keys(deps ?? {})) if (!meta?.[name]?.optional) queue.push([name, from]);
    };
    want({ ...manifest.dependencies, ...manifest.devDependencies }, "");
    want(keyrelayEntry.dependencies, "node_modules/keyrelay");
    want(keyrelayEntry.peerDependencies, "node_modules/keyrelay", keyrelayEntry.peerDependenciesMeta);
    while (queue.length > 0) {
        const [name, from] = queue.shift()!;
        if (name === "keyrelay") continue;
        const at = locate(repo, name, from === "node_modules/keyrelay" ? "" : from);
        if (!at) throw new Error(`${name} (needed by ${from || "the project"}) is not in this repository's package-lock.json`);
        if (out[at]) continue;
        const { dev, peer, optional, devOptional, ...entry } = repo[at];
        void dev; void peer; void optional; void devOptional;
        out[at] = entry;
        want(entry.dependencies, at);
        want(entry.optionalDependencies, at);
        want(entry.peerDependencies, at, entry.peerDependenciesMeta);
    }
    return { name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages: out };
}

export function writeJson(file: string, value: unknown): void {
    fs.writeFileSync(file, JSON.stringify(value, null, 2) + "\n");
}

export function readJson<T = any>(file: string): T {
    return JSON.parse(fs.readFileSync(path.resolve(file), "utf8")) as T;
}
