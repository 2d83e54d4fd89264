// A GUID where a secret belongs, however it was written. A Secret ID (keyId) reaches a secret
// plainly, or through what a template, a URL, a JSON file or a copy-paste does to it: hex without
// hyphens, percent-encoding, JSON `\uXXXX` escapes, a `data:` URI, base64. Each form is decoded
// and checked for the GUID inside; a value that decodes to none is left alone.
import { isUnknown } from "./unknownValues";

const GUID_PATTERN = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;
/**
 * A version-4 GUID without hyphens. Entra issues keyIds as random (version 4) GUIDs; asking for the
 * version and variant digits keeps a 32-hex API key from another service (1 in 64 match) mostly out.
 */
const BARE_V4_GUID = /^\{?([0-9a-f]{8})([0-9a-f]{4})(4[0-9a-f]{3})([89ab][0-9a-f]{3})([0-9a-f]{12})\}?$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DATA_URI = /^data:([^,]*),(.*)$/is;
/** Deepest nesting of encodings followed (a data: URI of base64 of a percent-encoded GUID is 3). */
const MAX_DECODING_DEPTH = 3;
/** Longest value decoded: a GUID in any of these forms (every character JSON-escaped) is under 256; a PEM is not decoded. */
const MAX_ENCODED_LENGTH = 256;

function unwrapped(value: string): string {
    return value.trim().replace(/^(["'`])(.*)\1$/s, "$2").trim();
}

/**
 * A GUID, as Entra shows a credential's Secret ID (keyId), allowing for the stray whitespace,
 * quotes or braces a copy-paste brings. The engine's unknown markers are GUID-shaped too and
 * never count.
 */
export function isGuidShaped(value: unknown): value is string {
    if (typeof value !== "string" || isUnknown(value)) return false;
    const trimmed = unwrapped(value);
    return !isUnknown(trimmed) && GUID_PATTERN.test(trimmed);
}

/** Canonical form for comparing Secret IDs: lower case, hyphenated, no braces, quotes or whitespace. */
export function normalizeGuid(value: string): string {
    const text = unwrapped(value).replace(/^\{(.*)\}$/, "$1").toLowerCase();
    const bare = BARE_V4_GUID.exec(text);
    return bare ? bare.slice(1).join("-") : text;
}

/** @internal Text decoded from base64, or undefined when it is not base64 or not text. */
export function decodedBase64(value: string): string | undefined {
    if (value.length < 4 || !BASE64.test(value)) return undefined;
    const decoded = Buffer.from(value, "base64").toString("utf8");
    return decoded.includes("\uFFFD") || /[\u0000-\u0008\u000E-\u001F]/.test(decoded) ? undefined : decoded;
}

/** Each one-step decoding of `value` that applies, with the encoding's name. */
function decodings(value: string): [string, string][] {
    const text = unwrapped(value);
    const found: [string, string][] = [];
    if (/%[0-9a-f]{2}/i.test(text)) {
        try { found.push(["percent-encoded", decodeURIComponent(text)]); } catch { /* not percent-encoding after all */ }
    }
    if (/\\u[0-9a-f]{4}|\\[\\/"bfnrt]/i.test(text)) {
        try {
            const parsed: unknown = JSON.parse(`"${text.replace(/"/g, '\\"')}"`);
            if (typeof parsed === "string") found.push(["JSON-escaped", parsed]);
        } catch { /* not a JSON string body */ }
    }
    const dataUri = DATA_URI.exec(text);
    if (dataUri) {
        const [, mediaType, body] = dataUri;
        const decoded = /;base64$/i.test(mediaType) ? decodedBase64(body) : (() => { try { return decodeURIComponent(body); } catch { return undefined; } })();
        if (decoded !== undefined) found.push(["in a data: URI", decoded]);
    }
    const base64 = decodedBase64(text);
    if (base64 !== undefined) found.push(["base64-encoded", base64]);
    return found;
}

/** The GUID a value holds, and how it was encoded ("" when written plainly); undefined when none. */
export interface HiddenGuid {
    readonly guid: string;
    readonly encoding: string;
}

/** @internal */
export function guidInValue(value: unknown, depth = 0): HiddenGuid | undefined {
    if (typeof value !== "string" || isUnknown(value)) return undefined;
    const text = value as string;
    if (isGuidShaped(text as unknown)) return { guid: normalizeGuid(text), encoding: "" };
    if (BARE_V4_GUID.test(unwrapped(text))) return { guid: normalizeGuid(text), encoding: "hex without hyphens" };
    if (depth >= MAX_DECODING_DEPTH || text.length > MAX_ENCODED_LENGTH) return undefined;
    for (const [encoding, decoded] of decodings(text)) {
        if (decoded === text) continue;
        const inner = guidInValue(decoded, depth + 1);
        if (inner) return { guid: inner.guid, encoding: inner.encoding ? `${encoding}, ${inner.encoding}` : encoding };
    }
    return undefined;
}
