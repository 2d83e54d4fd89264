// Tying a vault secret to the credential it holds without reading its value: its `key-id` tag
// (keyrelay's VaultSecret writes the credential's keyId there) or, without one, its expiry (a
// secret stored with its credential's end date). Reading values needs "Key Vault Secrets User" on
// the whole vault; listing needs only the list permission, so this is the audit's default.
import { DateTime } from "luxon";
import { DAY_MS } from "../../components/schedule";
import { DirectoryApp, FindingCode, GraphPasswordCredential } from "./model";

/** The tag keyrelay writes with the credential's keyId (components/rotatedAppRegistration.ts). */
export const KEY_ID_TAG = "key-id";
/** A secret's expiry and its credential's end may differ by this much and still match. */
const EXPIRY_MATCH_MS = DAY_MS;

export type MatchedBy = "key-id tag" | "expiry" | "hint";

export type MetadataMatch =
    | { kind: "matched"; password: GraphPasswordCredential; by: MatchedBy }
    /** Neither tag nor expiry names a credential: no verdict without the value. */
    | { kind: "unmatched" }
    | { kind: "finding"; code: FindingCode; describe: (secretLabel: string, appLabel: string) => string; keyId?: string };

const time = (text: string | null | undefined) => {
    const parsed = text ? DateTime.fromISO(text, { zone: "utc" }) : undefined;
    return parsed?.isValid ? parsed : undefined;
};
const isLive = (p: GraphPasswordCredential, now: DateTime) => {
    const start = time(p.startDateTime);
    const end = time(p.endDateTime);
    return (!start || start <= now) && (!end || end > now);
};

export function matchByMetadata(
    reading: { keyIdTag?: string; expiresOn: Date | undefined },
    apps: readonly DirectoryApp[],
    ownerOfKeyId: ReadonlyMap<string, DirectoryApp>,
    now: DateTime,
): MetadataMatch {
    const passwords = apps.flatMap((a) => a.passwordCredentials);
    const tag = reading.keyIdTag?.trim().toLowerCase();
    if (tag) {
        const held = passwords.find((p) => p.keyId.toLowerCase() === tag);
        if (held && isLive(held, now)) return { kind: "matched", password: held, by: "key-id tag" };
        if (held) {
            return { kind: "finding", code: "secret-stale", keyId: held.keyId,
                describe: (secret, app) => `${secret} holds ${app}'s client secret ${held.keyId} (its key-id tag), which ended ${time(held.endDateTime)?.toISODate() ?? "already"}, so sign-in fails. Store the app's current client secret.` };
        }
        const other = ownerOfKeyId.get(tag);
        if (other && !apps.includes(other)) {
            return { kind: "finding", code: "secret-wrong-app",
                describe: (secret, app) => `${secret} is tagged for ${app}, but its key-id tag ${tag} is a client secret of app "${other.displayName}" (${other.appId}). Store a client secret of the tagged app, or fix the client-id tag.` };
        }
        return { kind: "finding", code: "secret-stale",
            describe: (secret, app) => `${secret} has key-id tag ${tag}, a client secret ${app} no longer has (removed or expired long ago), so sign-in fails. Store the app's current client secret.` };
    }
    if (!reading.expiresOn) return { kind: "unmatched" };
    const expires = reading.expiresOn.getTime();
    const byExpiry = passwords.filter((p) => isLive(p, now) && Math.abs((time(p.endDateTime)?.toMillis() ?? Number.NaN) - expires) <= EXPIRY_MATCH_MS)
        .sort((a, b) => (time(b.startDateTime)?.toMillis() ?? 0) - (time(a.startDateTime)?.toMillis() ?? 0));
    return byExpiry[0] ? { kind: "matched", password: byExpiry[0], by: "expiry" } : { kind: "unmatched" };
}
