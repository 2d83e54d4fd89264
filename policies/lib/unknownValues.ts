// Values the engine has not computed yet. During preview the engine sends each one as a
// sentinel string (one per Pulumi type); every sentinel is GUID-shaped, so a check that looks
// for GUIDs must rule them out first.
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string (also the SDK's generic unknown marker)
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
    "030794c1-ac77-496b-92df-f27374a8bd58", // asset
    "e48ece36-62e2-4504-bad9-02848725956a", // archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

export function isUnknown(value: unknown): boolean {
    return typeof value === "string" && UNKNOWN_SENTINELS.has(value);
}

/** The policy SDK wraps props in a proxy that throws on unknowns; this key hands back the plain object. */
const PROXY_TARGET_KEY = "__getSpecialProxyTarget";

/**
 * The resource's properties as plain data, unknowns left as sentinels. Reading through the SDK's
 * proxy would turn every unknown into an advisory "can't run policy during preview"; the checks
 * here skip unknowns themselves instead.
 */
export function plainProperties(props: Record<string, any>): Record<string, unknown> {
    const target: unknown = props[PROXY_TARGET_KEY];
    return target !== null && typeof target === "object" ? target as Record<string, unknown> : props;
}

export type PathRead =
    | { state: "missing" }
    | { state: "unknown" }
    | { state: "known"; value: unknown };

/** Reads a nested property, telling a missing value from one not known yet. */
export function readPath(props: Record<string, unknown>, path: readonly string[]): PathRead {
    let current: unknown = props;
    for (const key of path) {
        if (isUnknown(current)) return { state: "unknown" };
        if (current === null || typeof current !== "object") return { state: "missing" };
        current = (current as Record<string, unknown>)[key];
        if (current === undefined || current === null) return { state: "missing" };
    }
    return isUnknown(current) ? { state: "unknown" } : { state: "known", value: current };
}
