// The companion secret a RotatedAppRegistration with `retire` keeps beside its client secret while the
// evidence gate keeps a retiring credential in use (components/inUseAlert.ts builds it): a JSON note
// whose expiry is the kept credential's end, so Key Vault's own events are the alert. It is an alert,
// not a credential, so credential-expiry-near leaves it alone; the shape here is the contract between
// the component and the pack (the pack may import nothing outside policies/).
//
// The exemption needs evidence, not a claim: tag and name can be typed on any secret, so the value
// must also be the note itself, with nothing in it shaped like a client secret, and the version must
// expire when the note says the credential ends.
import { DateTime } from "luxon";
import { isGuidShaped } from "./secretEncodings";
import { TYPE_TOKENS } from "./contract";
import { isUnknown } from "./unknownValues";

/** Appended to the client secret's name: `<secretName>-in-use`. */
export const IN_USE_SUFFIX = "-in-use";
/** Tag on the companion: `keyrelay-alert: retiring-in-use`. */
export const IN_USE_ALERT_TAG = "keyrelay-alert";
export const IN_USE_ALERT_TAG_VALUE = "retiring-in-use";
/** The note's `alert` field. */
export const IN_USE_NOTE_KIND = "keyrelay-retiring-in-use";
/** Longest text field of a note; the component cuts tenant text to 200 characters (printable()). */
export const MAX_NOTE_FIELD = 600;

/** What the companion secret holds: metadata about the kept credential, never its value. */
export interface InUseNote {
    alert: typeof IN_USE_NOTE_KIND;
    /** The RotatedAppRegistration's name. */
    app: string;
    /** Secret IDs of the kept credentials, lower case, sorted. */
    keyIds: string[];
    /** RFC 3339: the last sign-in the gate saw when this note was written. */
    lastSignIn: string;
    /** IP address and the resource it asked a token for. */
    consumer: string;
    /** RFC 3339: when the (latest) kept credential ends, and with it the companion version. */
    endDate: string;
    /** What to do. */
    action: string;
}

const NOTE_FIELDS = ["alert", "app", "keyIds", "lastSignIn", "consumer", "endDate", "action"] as const;

/**
 * Entra client secret values carry "Q~" after a three-character hint (e.g. `Tn48Q~...`, 40 characters);
 * a note's text never needs such a run.
 */
const CLIENT_SECRET_SHAPE = /[A-Za-z0-9_.~-]{3}\dQ~[A-Za-z0-9_.~-]{20,}/;

function isNoteText(value: unknown): value is string {
    return typeof value === "string" && value.length <= MAX_NOTE_FIELD && !CLIENT_SECRET_SHAPE.test(value);
}

/** The note a value holds, or undefined when it is anything else (not JSON, other fields, a secret-shaped run). */
export function parseInUseNote(value: unknown): InUseNote | undefined {
    if (typeof value !== "string" || isUnknown(value)) return undefined;
    let parsed: unknown;
    try {
        parsed = JSON.parse(value);
    } catch {
        return undefined;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
    const note = parsed as Record<string, unknown>;
    const keys = Object.keys(note);
    if (keys.length !== NOTE_FIELDS.length || !NOTE_FIELDS.every((f) => keys.includes(f))) return undefined;
    if (note.alert !== IN_USE_NOTE_KIND) return undefined;
    if (!Array.isArray(note.keyIds) || note.keyIds.length === 0 || !note.keyIds.every((k) => isGuidShaped(k) && /^[0-9a-f-]{36}$/.test(k))) return undefined;
    if (![note.app, note.lastSignIn, note.consumer, note.endDate, note.action].every(isNoteText)) return undefined;
    if (!DateTime.fromISO(note.endDate as string, { zone: "utc" }).isValid) return undefined;
    return note as unknown as InUseNote;
}

/**
 * A keyrelay VaultSecret that is the in-use alert: the marker tag, the `-in-use` name, a value that is
 * the note, and an expiry at the note's endDate.
 */
export function isInUseAlert(type: string, props: Record<string, unknown>): boolean {
    if (type !== TYPE_TOKENS.vaultSecret) return false;
    const tags = props.tags as Record<string, unknown> | undefined;
    if (tags === null || typeof tags !== "object" || tags[IN_USE_ALERT_TAG] !== IN_USE_ALERT_TAG_VALUE) return false;
    if (typeof props.name !== "string" || !props.name.toLowerCase().endsWith(IN_USE_SUFFIX)) return false;
    const note = parseInUseNote(props.value);
    if (!note || typeof props.expiresOn !== "string") return false;
    const expiresOn = DateTime.fromISO(props.expiresOn, { zone: "utc" });
    return expiresOn.isValid && expiresOn.toMillis() === DateTime.fromISO(note.endDate, { zone: "utc" }).toMillis();
}
