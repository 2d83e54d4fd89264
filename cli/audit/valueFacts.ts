// Everything audit needs to know about a secret value, computed the moment it is read so the
// value itself can be dropped: its hint, its copy-paste problems, and whether it is a Secret ID.
import { isGuidShaped, normalizeGuid } from "../../policies/lib/secretEncodings";
import { HINT_MIN_LENGTH, secretValueProblems } from "../../policies/lib/hygieneProblems";

/** Zero-width space, non-joiner, joiner, word joiner and the byte-order mark: invisible in a portal text box. */
const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF]/;
const LEADING_ZERO_WIDTH = /^[\u200B-\u200D\u2060\uFEFF]/;
const TRAILING_ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF]$/;
/** How long Entra's hint is: "Contains the first three characters of the password" (passwordCredential, Graph v1.0). */
export const HINT_LENGTH = 3;

export interface SecretValueFacts {
    /**
     * The first three characters (code points, so never half a surrogate pair) of the value once
     * whitespace, quotes and zero-width characters are stripped: compared with Graph's hint, never printed.
     */
    hint: string;
    /** What audit may print of the value: `hint`, or "" for a value of 12 characters or fewer (as verify). */
    shownHint: string;
    /** Phrases such as "ends with a line break"; empty when the value is clean. */
    problems: string[];
    /** The value is a GUID: a Secret ID (keyId) stored where the Value belongs. */
    guidShaped: boolean;
    /** The keyId among `keyIds` the value equals, when it is one. */
    equalsKeyId: string | undefined;
}

/** The value without the wrapping a copy-paste adds: whitespace, quotes and zero-width characters at either end. */
export function strippedValue(value: string): string {
    let previous: string;
    let current = value;
    do {
        previous = current;
        current = current.replace(/^[\s\u200B-\u200D\u2060\uFEFF]+|[\s\u200B-\u200D\u2060\uFEFF]+$/g, "").replace(/^(["'`])(.*)\1$/s, "$2");
    } while (current !== previous);
    return current;
}

/** Never returns any part of `value` beyond its first three characters (the hint). */
export function secretValueFacts(value: string, keyIds: Iterable<string> = []): SecretValueFacts {
    const problems = secretValueProblems(value);
    if (LEADING_ZERO_WIDTH.test(value)) problems.push("starts with a zero-width character");
    if (TRAILING_ZERO_WIDTH.test(value)) problems.push("ends with a zero-width character");
    if (!LEADING_ZERO_WIDTH.test(value) && !TRAILING_ZERO_WIDTH.test(value) && ZERO_WIDTH.test(value)) problems.push("contains a zero-width character");
    const stripped = strippedValue(value);
    const guidShaped = isGuidShaped(stripped);
    let equalsKeyId: string | undefined;
    if (guidShaped) {
        const id = normalizeGuid(stripped);
        for (const keyId of keyIds) if (normalizeGuid(keyId) === id) equalsKeyId = keyId;
    }
    const hint = Array.from(stripped).slice(0, HINT_LENGTH).join("");
    return { hint, shownHint: Array.from(value).length < HINT_MIN_LENGTH ? "" : hint, problems, guidShaped, equalsKeyId };
}
