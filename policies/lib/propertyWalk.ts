// Walks a resource's properties down to their leaves, naming each leaf by the key that says
// what it holds. In name/value setting lists (App Service appSettings, container env, Container
// Apps secrets) the key of a `value` is the entry's `name`.
import { isUnknown } from "./unknownValues";

export interface PropertyLeaf {
    /** Where the value sits, e.g. `siteConfig.appSettings[2].value`. */
    readonly path: string;
    /** The key that names the value: the property key, or a setting entry's name. */
    readonly key: string;
    readonly value: string | number | boolean;
    /** Inside tags, labels or annotations: metadata, never a credential. */
    readonly inMetadata: boolean;
}

const METADATA_KEYS = new Set(["tags", "labels", "annotations"]);
const ENTRY_NAME_KEYS = ["name", "key", "Name", "Key"];
const ENTRY_VALUE_KEYS = ["value", "Value"];
/** Deeper nesting is not a resource shape we know; the bound keeps the walk finite on any input. */
const MAX_DEPTH = 32;

function settingEntryName(entry: Record<string, unknown>): string | undefined {
    if (!ENTRY_VALUE_KEYS.some((k) => k in entry)) return undefined;
    for (const k of ENTRY_NAME_KEYS) {
        const name = entry[k];
        if (typeof name === "string" && !isUnknown(name)) return name;
    }
    return undefined;
}

function joinPath(path: string, key: string): string {
    return /^[A-Za-z_$][\w$]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;
}

/** Every known scalar leaf. Unknown values and internal keys (`__provider`, ...) are skipped. */
export function* propertyLeaves(props: Record<string, unknown>): Generator<PropertyLeaf> {
    yield* walk(props, "", "", false, 0);
}

function* walk(value: unknown, path: string, key: string, inMetadata: boolean, depth: number): Generator<PropertyLeaf> {
    if (value === null || value === undefined || isUnknown(value) || depth > MAX_DEPTH) return;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
        yield { path, key, value, inMetadata };
        return;
    }
    if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) yield* walk(value[i], `${path}[${i}]`, key, inMetadata, depth + 1);
        return;
    }
    if (typeof value !== "object") return;
    const entry = value as Record<string, unknown>;
    // A resource's own top-level `name` and `value` (a Key Vault secret's) are not a setting entry.
    const entryName = depth === 0 ? undefined : settingEntryName(entry);
    for (const childKey of Object.keys(entry)) {
        if (childKey.startsWith("__")) continue;
        const childIsValue = entryName !== undefined && ENTRY_VALUE_KEYS.includes(childKey);
        yield* walk(entry[childKey], joinPath(path, childKey), childIsValue ? entryName : childKey,
            inMetadata || METADATA_KEYS.has(childKey.toLowerCase()), depth + 1);
    }
}
