// The alert for a credential the evidence gate keeps in use (issue 18 §2): Key Vault raises its events
// only for a secret's current version, and a kept credential is no longer in Key Vault, so the component
// writes a companion secret, `<secretName>-in-use`, whose version expires when the kept credential ends.
// Key Vault then raises SecretNewVersionCreated now, SecretNearExpiry 30 days before that end and
// SecretExpired at it, and ExpiryAlerts delivers them. Pure: no Pulumi, no network, no clock.
import { InputError } from "../lib/errors";
import { printable } from "../lib/terminalText";
import { TYPE_TOKENS } from "../policies/lib/contract";
import {
    IN_USE_ALERT_TAG, IN_USE_ALERT_TAG_VALUE, IN_USE_NOTE_KIND, IN_USE_SUFFIX, InUseNote, parseInUseNote,
} from "../policies/lib/inUseAlert";
import type { RetirementDecision } from "./retirementGate";
import type { LastStateResource } from "./lastState";
import { canonicalVaultUrl } from "./provider/vaultSecretDiff";

export { IN_USE_SUFFIX } from "../policies/lib/inUseAlert";

/** Key Vault's longest secret name (^[0-9a-zA-Z-]{1,127}$). */
const MAX_SECRET_NAME = 127;
/** The longest `vault.secretName` that leaves room for the suffix. */
export const MAX_SECRET_NAME_WITH_ALERT = MAX_SECRET_NAME - IN_USE_SUFFIX.length;

export const IN_USE_CONTENT_TYPE = "application/json";

/** `<secretName>-in-use`. */
export function inUseAlertName(secretName: string): string {
    return `${secretName}${IN_USE_SUFFIX}`;
}

/** With `retire`, the companion's name must be a Key Vault name too: refused before anything is declared. */
export function checkInUseAlertName(resource: string, secretName: string): void {
    if (secretName.length <= MAX_SECRET_NAME_WITH_ALERT) return;
    throw new InputError(resource, "vault.secretName",
        `is ${secretName.length} characters; with retire set keyrelay also writes "<secretName>${IN_USE_SUFFIX}" (the alert for a credential kept in use), which must fit Key Vault's ${MAX_SECRET_NAME}`,
        `Use a secret name of at most ${MAX_SECRET_NAME_WITH_ALERT} characters, or leave retire out.`);
}

export interface InUseAlert {
    /** The secret's name: `<secretName>-in-use`. */
    name: string;
    /** The note, as JSON: what keyrelay knows about the kept credentials; never a secret value. */
    value: string;
    /** RFC 3339: the latest end of the credentials kept in use. */
    expiresOn: string;
    tags: Record<string, string>;
}

/** The decisions that call for the alert: kept because the logs show a sign-in. */
export function keptInUse(decisions: readonly RetirementDecision[]): RetirementDecision[] {
    return decisions.filter((d) => d.keep && d.answer === "in-use");
}

/**
 * The companion for this run's decisions, or undefined when no credential is kept in use (the component
 * then stops declaring it, and the engine deletes it).
 *
 * A new version is an alert (SecretNewVersionCreated), so the value changes only when the situation
 * does: while the same key ids are kept to the same end, the note written when they were first found
 * in use (`previous`, from the stack's last state) is written again unchanged, although the last sign-in
 * moves every day. Volatile fields cannot go to tags instead: a tag change writes a version too
 * (vaultSecretDiff.ts VAULT_SECRET_VERSION_FIELDS).
 */
export function inUseAlert(app: string, secretName: string, decisions: readonly RetirementDecision[], previous?: string): InUseAlert | undefined {
    const kept = keptInUse(decisions);
    if (kept.length === 0) return undefined;
    const keyIds = [...new Set(kept.flatMap((d) => d.keyIds.map((k) => printable(k).toLowerCase())))].sort();
    const latestEnd = kept.reduce((a, b) => (Date.parse(b.endDate) > Date.parse(a.endDate) ? b : a));
    const endDate = printable(latestEnd.endDate);
    const name = inUseAlertName(secretName);
    const before = parseInUseNote(previous);
    const note: InUseNote = before && sameSituation(before, keyIds, endDate) ? before : newNote(app, secretName, kept, keyIds, endDate);
    return {
        name,
        value: JSON.stringify(note),
        expiresOn: endDate,
        tags: { [IN_USE_ALERT_TAG]: IN_USE_ALERT_TAG_VALUE, app: printable(app), "key-id": keyIds.join(",") },
    };
}

function sameSituation(note: InUseNote, keyIds: readonly string[], endDate: string): boolean {
    return note.keyIds.join(",") === keyIds.join(",") && Date.parse(note.endDate) === Date.parse(endDate);
}

function newNote(app: string, secretName: string, kept: readonly RetirementDecision[], keyIds: string[], endDate: string): InUseNote {
    const latest = kept.filter((d) => d.lastSignIn !== undefined).sort((a, b) => Date.parse(b.lastSignIn!) - Date.parse(a.lastSignIn!))[0] ?? kept[0];
    const consumer = printable(latest.consumer ?? "an unknown consumer");
    return {
        alert: IN_USE_NOTE_KIND,
        app: printable(app),
        keyIds,
        lastSignIn: printable(latest.lastSignIn ?? "unknown"),
        consumer,
        endDate,
        action: `A consumer (${consumer}) still signs in with a credential that left Key Vault; it stops working at ${endDate}. `
            + `Make that consumer read the newest version of secret "${printable(secretName)}" (a versionless reference) before then.`,
    };
}

/** The value the stack's last state holds for the companion in this vault, if any. */
export function previousInUseNote(lastState: readonly LastStateResource[] | undefined, vaultUrl: string, name: string): string | undefined {
    const vault = canonicalVaultUrl(vaultUrl);
    const held = lastState?.find((r) => r.type === TYPE_TOKENS.vaultSecret
        && typeof r.outputs.name === "string" && r.outputs.name.toLowerCase() === name.toLowerCase()
        && typeof r.outputs.vaultUrl === "string" && canonicalVaultUrl(r.outputs.vaultUrl) === vault);
    return typeof held?.outputs.value === "string" ? held.outputs.value : undefined;
}
