import { isUnknown } from "./unknownValues";

const GUID_PATTERN = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;

/**
 * A GUID, as Entra shows a credential's Secret ID (keyId), allowing for the stray whitespace,
 * quotes or braces a copy-paste brings. The engine's unknown markers are GUID-shaped too and
 * never count.
 */
export function isGuidShaped(value: unknown): value is string {
    if (typeof value !== "string" || isUnknown(value)) return false;
    const trimmed = value.trim().replace(/^(["'`])(.*)\1$/s, "$2").trim();
    return !isUnknown(trimmed) && GUID_PATTERN.test(trimmed);
}

/** Canonical form for comparing Secret IDs: lower case, no braces, quotes or whitespace. */
export function normalizeGuid(value: string): string {
    return value.trim().replace(/^(["'`])(.*)\1$/s, "$2").trim().replace(/^\{(.*)\}$/, "$1").toLowerCase();
}
