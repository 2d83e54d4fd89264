// What a copy-paste does to a secret value. Entra compares client secrets byte for byte, so a
// stray space, a line break from `echo` or the quotes of a JSON/YAML string all fail sign-in.

const WRAPPING_QUOTES = /^(["'`]).*\1$/s;

export interface HygieneOptions {
    /** PEM and similar values are multi-line by nature: line breaks and surrounding whitespace are fine. */
    multiLine?: boolean;
}

/** Each problem as a phrase ("has a trailing line break"); empty when the value is clean. Never includes the value. */
export function secretValueProblems(value: string, options: HygieneOptions = {}): string[] {
    if (value.length === 0) return ["is empty"];
    if (value.trim().length === 0) return ["is only whitespace"];
    const problems: string[] = [];
    if (!options.multiLine) {
        if (/^\s/.test(value)) problems.push(/^[\r\n]/.test(value) ? "starts with a line break" : "starts with whitespace");
        if (/\s$/.test(value)) problems.push(/[\r\n]$/.test(value) ? "ends with a line break" : "ends with whitespace");
        if (/[\r\n]/.test(value.trim())) problems.push("contains a line break");
    }
    if (value.length >= 2 && WRAPPING_QUOTES.test(value.trim())) problems.push("is wrapped in quotes");
    return problems;
}

/** Content types whose values span lines. */
const MULTI_LINE_CONTENT_TYPES = ["application/x-pem-file", "application/x-pkcs12", "application/json"];

export function isMultiLineContentType(contentType: unknown): boolean {
    return typeof contentType === "string" && MULTI_LINE_CONTENT_TYPES.some((t) => contentType.toLowerCase().startsWith(t));
}

/** At most the first three characters, so a person can recognise a value without seeing it. */
export function valueHint(value: string): string {
    return `${value.slice(0, Math.min(3, Math.floor(value.length / 4)))}…`;
}
