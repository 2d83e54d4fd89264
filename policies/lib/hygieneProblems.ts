// What a copy-paste does to a secret value. Entra compares client secrets byte for byte, so a
// stray space, a zero-width character from a web page, a line break from `echo` or the quotes of a
// JSON/YAML string (straight or typographic) all fail sign-in. One module for the policy pack and
// for `keyrelay verify`, so both say the same about a value.
import { isGuidShaped } from "./secretEncodings";

/**
 * Zero-width characters that a copy from a web page or chat brings along, invisible in most fonts:
 * zero-width space, non-joiner and joiner, word joiner (U+2060), the byte-order mark, and the soft
 * hyphen (U+00AD), which shows only at a line break. The same set as audit's value checks.
 */
const ZERO_WIDTH = ["\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD"];
const EDGE_JUNK = /^[\s\u200B\u200C\u200D\u2060\uFEFF\u00AD]+|[\s\u200B\u200C\u200D\u2060\uFEFF\u00AD]+$/g;
/** Straight quotes and backticks, and the typographic pairs word processors substitute. */
const QUOTE_PAIRS: readonly (readonly [string, string])[] = [['"', '"'], ["'", "'"], ["`", "`"], ["\u201C", "\u201D"], ["\u2018", "\u2019"], ["\u201E", "\u201C"], ["\u00AB", "\u00BB"]];

export interface HygieneOptions {
    /** PEM and similar values are multi-line by nature: line breaks and surrounding whitespace are fine. */
    multiLine?: boolean;
}

function codePoint(ch: string): string {
    return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

function edgeProblem(ch: string, edge: "starts" | "ends"): string | undefined {
    if (ZERO_WIDTH.includes(ch)) return `${edge} with a zero-width character (${codePoint(ch)})`;
    if (/[\r\n]/.test(ch)) return `${edge} with a line break`;
    if (/\s/.test(ch)) return `${edge} with whitespace`;
    return undefined;
}

/** Each problem as a phrase ("has a trailing line break"); empty when the value is clean. Never includes the value. */
export function secretValueProblems(value: string, options: HygieneOptions = {}): string[] {
    if (value.length === 0) return ["is empty"];
    const core = value.replace(EDGE_JUNK, "");
    if (core.length === 0) return ["is only whitespace"];
    const problems: string[] = [];
    const first = value[0];
    const last = value[value.length - 1];
    const firstProblem = edgeProblem(first, "starts");
    const lastProblem = edgeProblem(last, "ends");
    if (options.multiLine) {
        // Line breaks and whitespace belong to a PEM; zero-width characters never do.
        if (ZERO_WIDTH.includes(first)) problems.push(firstProblem!);
        if (ZERO_WIDTH.includes(last)) problems.push(lastProblem!);
    } else {
        if (firstProblem) problems.push(firstProblem);
        if (lastProblem) problems.push(lastProblem);
        if (/[\r\n]/.test(core)) problems.push("contains a line break");
    }
    if (core.length >= 2 && QUOTE_PAIRS.some(([open, close]) => core.startsWith(open) && core.endsWith(close))) {
        problems.push(/^[\u201C\u2018\u201E\u00AB]/.test(core) ? "is wrapped in typographic quotes" : "is wrapped in quotes");
    }
    return problems;
}

/** Content types whose values span lines. */
const MULTI_LINE_CONTENT_TYPES = ["application/x-pem-file", "application/x-pkcs12", "application/json"];

export function isMultiLineContentType(contentType: unknown): boolean {
    return typeof contentType === "string" && MULTI_LINE_CONTENT_TYPES.some((t) => contentType.toLowerCase().startsWith(t));
}

/**
 * Whether a value may span lines: its content type says so and the value is what the type says.
 * A client secret never spans lines, whatever its content type; a value labelled application/json
 * must parse as a JSON object or array, so a label cannot hide a secret's trailing line break.
 */
export function spansLinesByRight(contentType: unknown, value: string, clientSecret: boolean): boolean {
    if (clientSecret || !isMultiLineContentType(contentType)) return false;
    if (!String(contentType).toLowerCase().startsWith("application/json")) return true;
    try {
        const parsed: unknown = JSON.parse(value);
        return parsed !== null && typeof parsed === "object";
    } catch {
        return false;
    }
}

/** Values this long or shorter show no characters at all: a short value's hint would be most of it. */
export const HINT_MIN_LENGTH = 13;

/** At most the first three characters, and none for a value of 12 characters or fewer, so a person can recognise a value without seeing it. */
export function valueHint(value: string): string {
    return value.length < HINT_MIN_LENGTH ? "…" : `${[...value].slice(0, 3).join("")}…`;
}

/** What `keyrelay verify` notes about a value Entra refused: the same checks as the policy pack's. */
export function valueNotes(value: string): string[] {
    const notes: string[] = [];
    if (isGuidShaped(value)) notes.push("the value has the shape of a GUID: this is probably the Secret ID, not the secret's Value");
    for (const problem of secretValueProblems(value)) notes.push(`the value ${problem}`);
    return notes;
}
