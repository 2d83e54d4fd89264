// Walks a resource's properties down to their leaves, naming each leaf by the key that says
// what it holds. In name/value setting lists (App Service appSettings, container env, Container
// Apps secrets) the key of a `value` is the entry's `name`.
//
// The walk is iterative and has no depth limit: a value nested 10,000 levels deep is still found,
// and cannot overflow the stack. Paths are built only for the leaves returned, and capped, so a
// deep or huge-keyed property never makes a huge message.
import { isUnknown } from "./unknownValues";

export interface PropertyLeaf {
    /** Where the value sits, e.g. `siteConfig.appSettings[2].value` (long paths and keys shortened with "…"). */
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
/** Top-level keys the engine adds to a resource's inputs (a dynamic resource's serialized provider, a provider's defaults); never user data. */
export const ENGINE_KEYS: ReadonlySet<string> = new Set(["__provider", "__defaults"]);
/** Longest key a path quotes, and how many segments it shows at each end. */
export const MAX_PATH_KEY_LENGTH = 64;
export const MAX_PATH_SEGMENTS_EACH_END = 8;

function settingEntryName(entry: Record<string, unknown>): string | undefined {
    if (!ENTRY_VALUE_KEYS.some((k) => k in entry)) return undefined;
    for (const k of ENTRY_NAME_KEYS) {
        const name = entry[k];
        if (typeof name === "string" && !isUnknown(name)) return name;
    }
    return undefined;
}

/** A key as a path segment: `.name`, `["odd key"]` or `[3]`; a long key shortened. */
function segment(key: string | number, first: boolean): string {
    if (typeof key === "number") return `[${key}]`;
    const shown = key.length > MAX_PATH_KEY_LENGTH ? `${key.slice(0, MAX_PATH_KEY_LENGTH)}…` : key;
    return /^[A-Za-z_$][\w$]*$/.test(key) ? (first ? shown : `.${shown}`) : `[${JSON.stringify(shown)}]`;
}

interface Frame {
    readonly value: unknown;
    readonly parent: Frame | undefined;
    /** The property key or array index that led here; undefined at the root. */
    readonly step: string | number | undefined;
    readonly key: string;
    readonly inMetadata: boolean;
    readonly isRoot: boolean;
}

function pathOf(frame: Frame): string {
    const steps: (string | number)[] = [];
    for (let f: Frame | undefined = frame; f && f.step !== undefined; f = f.parent) steps.push(f.step);
    steps.reverse();
    const keep = MAX_PATH_SEGMENTS_EACH_END;
    const parts = steps.length > 2 * keep
        ? [...steps.slice(0, keep).map((s, i) => segment(s, i === 0)), ".…", ...steps.slice(-keep).map((s) => segment(s, false))]
        : steps.map((s, i) => segment(s, i === 0));
    return parts.join("");
}

/** Every known scalar leaf, depth first in property order. Unknown values and the engine's own keys are skipped. */
export function* propertyLeaves(props: Record<string, unknown>): Generator<PropertyLeaf> {
    const stack: Frame[] = [{ value: props, parent: undefined, step: undefined, key: "", inMetadata: false, isRoot: true }];
    while (stack.length > 0) {
        const frame = stack.pop()!;
        const { value } = frame;
        if (value === null || value === undefined || isUnknown(value)) continue;
        if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
            yield { path: pathOf(frame), key: frame.key, value, inMetadata: frame.inMetadata };
            continue;
        }
        if (typeof value !== "object") continue;
        const children: Frame[] = [];
        if (Array.isArray(value)) {
            for (let i = 0; i < value.length; i++) {
                children.push({ value: value[i], parent: frame, step: i, key: frame.key, inMetadata: frame.inMetadata, isRoot: false });
            }
        } else {
            const entry = value as Record<string, unknown>;
            // A resource's own top-level `name` and `value` (a Key Vault secret's) are not a setting entry.
            const entryName = frame.isRoot ? undefined : settingEntryName(entry);
            for (const childKey of Object.keys(entry)) {
                if (frame.isRoot && ENGINE_KEYS.has(childKey)) continue;
                const childIsValue = entryName !== undefined && ENTRY_VALUE_KEYS.includes(childKey);
                children.push({
                    value: entry[childKey], parent: frame, step: childKey, key: childIsValue ? entryName : childKey,
                    inMetadata: frame.inMetadata || METADATA_KEYS.has(childKey.toLowerCase()), isRoot: false,
                });
            }
        }
        for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    }
}
