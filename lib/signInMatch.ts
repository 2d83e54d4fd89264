// Which credential signed in when: service principal sign-ins (Graph beta auditLogs/signIns) matched
// to credential key ids. Pure: no network, no clock (the caller passes `now`).
// servicePrincipalCredentialKeyId: "The unique identifier of the key credential used by the service
// principal to authenticate" (https://learn.microsoft.com/graph/api/resources/signin?view=graph-rest-beta);
// the v1.0 signIn has no such property. Sign-ins are kept 30 days on Entra ID P1/P2
// (https://learn.microsoft.com/entra/identity/monitoring-health/reference-reports-data-retention) and
// appear after minutes, sometimes longer (https://learn.microsoft.com/entra/identity/monitoring-health/reference-reports-latency).
import { DateTime, Duration } from "luxon";
import { InputError } from "./errors";

/** The longest window the logs can answer: Entra keeps sign-ins 30 days (P1/P2). */
export const SIGN_IN_RETENTION_DAYS = 30;

/** One service principal sign-in, with the beta properties this reads. */
export interface ServicePrincipalSignIn {
    createdDateTime: string;
    appId?: string | null;
    servicePrincipalId?: string | null;
    servicePrincipalCredentialKeyId?: string | null;
    ipAddress?: string | null;
    resourceDisplayName?: string | null;
    resourceId?: string | null;
    status?: { errorCode?: number | null } | null;
}

/** The newest sign-in of one credential within the window. */
export interface LastSignIn {
    keyId: string;
    at: string;
    ipAddress: string | null;
    /** The resource it asked a token for (display name, else id). */
    resource: string | null;
    /** Sign-ins of this credential in the window. */
    count: number;
}

/** The window as a luxon Duration; P1D to P30D (the logs keep no more). */
export function parseSignInWindow(text: string, field = "--sign-ins"): Duration {
    const window = Duration.fromISO(text);
    if (!window.isValid) throw new InputError("keyrelay audit", field, `is "${text}", not an ISO-8601 duration: ${window.invalidExplanation ?? window.invalidReason}`, 'Write a window such as "P7D".');
    const days = window.as("days");
    if (days < 1 / 24 || days > SIGN_IN_RETENTION_DAYS) {
        throw new InputError("keyrelay audit", field, `is ${text}; sign-in logs answer from one hour up to ${SIGN_IN_RETENTION_DAYS} days back (their retention on Entra ID P1/P2)`, 'Choose a window such as "P7D" or "P30D".');
    }
    return window;
}

/**
 * The newest sign-in per credential key id (lower case), counting only sign-ins at or after
 * `since`; with `keyIds`, only those credentials. Failed sign-ins count too: a consumer still
 * presents the credential, which is what retiring it would break.
 */
export function lastSignInsByKey(signIns: readonly ServicePrincipalSignIn[], since: DateTime, keyIds?: readonly string[]): Map<string, LastSignIn> {
    const wanted = keyIds ? new Set(keyIds.map((k) => k.toLowerCase())) : undefined;
    const byKey = new Map<string, LastSignIn>();
    for (const signIn of signIns) {
        const keyId = signIn.servicePrincipalCredentialKeyId?.toLowerCase();
        if (!keyId || (wanted && !wanted.has(keyId))) continue;
        const at = DateTime.fromISO(signIn.createdDateTime, { zone: "utc" });
        if (!at.isValid || at < since) continue;
        const known = byKey.get(keyId);
        const newer = !known || at > DateTime.fromISO(known.at, { zone: "utc" });
        byKey.set(keyId, {
            keyId,
            at: newer ? at.toISO({ suppressMilliseconds: true })! : known!.at,
            ipAddress: newer ? signIn.ipAddress ?? null : known!.ipAddress,
            resource: newer ? signIn.resourceDisplayName || signIn.resourceId || null : known!.resource,
            count: (known?.count ?? 0) + 1,
        });
    }
    return byKey;
}

/** True when the credential has not signed in for the whole window ending at `now`. */
export function unusedThroughout(keyId: string, lastByKey: ReadonlyMap<string, LastSignIn>, now: DateTime, window: Duration): boolean {
    const last = lastByKey.get(keyId.toLowerCase());
    return !last || DateTime.fromISO(last.at, { zone: "utc" }) < now.minus(window);
}
