// Text from a service (display names, secret names, tag values, error messages) made safe to put
// on a terminal: a tenant controls its app names and Graph's error text echoes input, so neither
// may move the cursor, recolour, retitle the window, hide text, reorder it, or start a new line.
// The one sanitiser of every command's output; `keyrelay status` applied it first.

// ANSI/VT escape sequences (CSI, OSC, and two-character ESC sequences, also in their 8-bit C1 forms),
// then every remaining C0 and C1 control character and the Unicode bidirectional overrides and
// isolates, which reorder what a terminal shows; line and paragraph separators end a line too.
const ESCAPE_SEQUENCES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x1b\x9c]*(?:\x07|\x9c)?/g;
const LINE_BREAKS = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/g;
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Longest piece of service text printed in a table cell or a message. */
export const MAX_PRINTED_LENGTH = 200;
/** Longest error line printed. */
export const MAX_ERROR_LENGTH = 2000;

/** One line with no escape sequences or control characters; line breaks become a space. */
export function oneLine(text: string): string {
    return text.replace(ESCAPE_SEQUENCES, "").replace(LINE_BREAKS, " ").replace(CONTROL_CHARACTERS, "");
}

function cut(text: string, max: number): string {
    if (text.length <= max) return text;
    // Never end inside a surrogate pair.
    const end = /[\uD800-\uDBFF]/.test(text[max - 1]) ? max - 1 : max;
    return `${text.slice(0, end)}…`;
}

/** A name or value from a service, safe for a terminal and at most MAX_PRINTED_LENGTH long. */
export function printable(text: unknown): string {
    const value = typeof text === "string" ? text : text === null || text === undefined ? "" : String(text);
    return cut(oneLine(value), MAX_PRINTED_LENGTH);
}

/** An error message (which may quote a service's text), as the one line a command prints. */
export function errorLine(message: string): string {
    return cut(oneLine(message), MAX_ERROR_LENGTH);
}

/**
 * A URL the user typed, for an error message: never its user-info, query string or fragment,
 * which may hold a password, a signature or a token (a Workflows webhook URL carries `sig=`).
 */
export function urlForMessage(text: string): string {
    try {
        const url = new URL(text);
        if (url.protocol === "http:" || url.protocol === "https:") return printable(`${url.protocol}//${url.host}${url.pathname}`);
    } catch {
        // not a URL: strip what looks like user-info, query and fragment by hand
    }
    return printable(text.replace(/^([a-z][a-z0-9+.-]*:\/*)[^/?#]*@/i, "$1").replace(/[?#].*$/s, ""));
}

// JSON.stringify escapes C0 controls but leaves DEL, C1 controls (U+009B is an 8-bit CSI), the
// bidirectional marks and U+2028/U+2029 as they are: escaped here, the document's data is the same.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `value` as a JSON document (2-space indent) that a terminal shows as written. */
export function jsonForTerminal(value: unknown): string {
    return JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * A message whose own line structure is deliberate (keyrelay plan's "one line per TypeScript
 * diagnostic" of the user's program, which no service writes): each line cleaned, the breaks kept.
 */
export function errorLines(message: string): string {
    return message.split(/\r?\n/).map((line) => cut(oneLine(line), MAX_ERROR_LENGTH)).join("\n");
}
