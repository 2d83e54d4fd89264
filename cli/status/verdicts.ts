// Status verdicts for keyrelay's secrets, from what one listing page says about each secret
// (tags and attributes of its current version). Pure: the caller passes the clock.
import { DateTime } from "luxon";
import { DAY_MS } from "../../components/schedule";
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from "../../components/provider/vaultSecretDiff";
import { EXIT_CRITICAL, EXIT_OK, EXIT_WARNING } from "../errors";
import { printable } from "../../lib/terminalText";

export type Verdict = "ok" | "due" | "near expiry" | "expired" | "missing";

export const VERDICT_EXIT_CODES: Readonly<Record<Verdict, number>> = {
    ok: EXIT_OK,
    due: EXIT_WARNING,
    missing: EXIT_WARNING,
    "near expiry": EXIT_CRITICAL,
    expired: EXIT_CRITICAL,
};

export const DEFAULT_WARN_DAYS = 30;

/** The fields of a listed secret (SecretProperties) a verdict needs. */
export interface ListedSecret {
    readonly name: string;
    readonly enabled?: boolean;
    readonly expiresOn?: Date;
    readonly tags?: Record<string, string>;
}

export interface SecretStatus {
    readonly secret: string;
    readonly app: string | undefined;
    readonly clientId: string | undefined;
    /** The Entra credential the secret holds (its key-id tag): Graph's passwordCredential keyId. */
    readonly keyId: string | undefined;
    /** RFC 3339, or undefined when the version has no expiry: the credential's endDateTime, as Graph names it. */
    readonly endDateTime: string | undefined;
    /** Whole days until expiry (whole days since, negative, once expired). */
    readonly daysLeft: number | undefined;
    /** RFC 3339, from the next-rotation tag. */
    readonly nextRotation: string | undefined;
    readonly verdict: Verdict;
    /** Why, in words, when the verdict is not ok. */
    readonly reason: string | undefined;
}

export { MAX_PRINTED_LENGTH, printable } from "../../lib/terminalText";

function printableOrUndefined(text: string | undefined): string | undefined {
    return text === undefined ? undefined : printable(text);
}

export function isManagedByKeyrelay(secret: ListedSecret): boolean {
    return secret.tags?.[MANAGED_BY_TAG] === MANAGED_BY_VALUE;
}

function parseTagTime(text: string | undefined): DateTime | undefined {
    if (text === undefined) return undefined;
    const parsed = DateTime.fromISO(text, { zone: "utc" });
    return parsed.isValid ? parsed : undefined;
}

export function judgeSecret(secret: ListedSecret, now: DateTime, warnDays: number = DEFAULT_WARN_DAYS): SecretStatus {
    const tags = secret.tags ?? {};
    const expires = secret.expiresOn ? DateTime.fromJSDate(secret.expiresOn, { zone: "utc" }) : undefined;
    const nextRotation = parseTagTime(tags["next-rotation"]);
    const daysLeft = expires ? Math.trunc((expires.toMillis() - now.toMillis()) / DAY_MS) + 0 : undefined;
    const base = {
        secret: printable(secret.name),
        app: printableOrUndefined(tags.app),
        clientId: printableOrUndefined(tags["client-id"]),
        keyId: printableOrUndefined(tags["key-id"]),
        endDateTime: expires?.toISO({ suppressMilliseconds: true }) ?? undefined,
        daysLeft,
        nextRotation: nextRotation?.toISO({ suppressMilliseconds: true }) ?? undefined,
    };
    const missing: string[] = [];
    if (secret.enabled === false) missing.push("the current version is disabled");
    if (!expires) missing.push("no expiry date");
    if (!tags["client-id"]) missing.push("no client-id tag");
    if (!nextRotation) missing.push(tags["next-rotation"] ? `next-rotation tag "${printable(tags["next-rotation"])}" is not a date` : "no next-rotation tag");

    if (expires && expires <= now) {
        return { ...base, verdict: "expired", reason: `expired ${expires.toISODate()}: consumers are failing with AADSTS7000222; run pulumi up now` };
    }
    if (missing.length > 0) {
        return { ...base, verdict: "missing", reason: `${missing.join(", ")}: keyrelay cannot judge this secret; run pulumi up to rewrite it` };
    }
    if (daysLeft! < warnDays) {
        return { ...base, verdict: "near expiry", reason: `${daysLeft} days left (under ${warnDays}): scheduled runs have been missed; run pulumi up now` };
    }
    if (nextRotation! <= now) {
        return { ...base, verdict: "due", reason: `rotation was due ${nextRotation!.toISODate()}: the next scheduled run should issue a new credential` };
    }
    return { ...base, verdict: "ok", reason: undefined };
}

/** The worst exit code over all statuses; ok when there are none. */
export function statusExitCode(statuses: readonly SecretStatus[]): number {
    return statuses.reduce((worst, s) => Math.max(worst, VERDICT_EXIT_CODES[s.verdict]), EXIT_OK);
}

export function countByVerdict(statuses: readonly SecretStatus[]): Record<Verdict, number> {
    const counts: Record<Verdict, number> = { ok: 0, due: 0, "near expiry": 0, expired: 0, missing: 0 };
    for (const s of statuses) counts[s.verdict]++;
    return counts;
}
