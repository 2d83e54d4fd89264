// Reads service principal sign-ins from Graph beta auditLogs/signIns and answers, per credential key
// id, its newest sign-in in a window. Used by `keyrelay audit --sign-ins` and reusable by the
// component's retire gate: the caller brings the HTTP GET (with its token, retries and deadline).
// - List signIns (beta): $filter, $top (default and maximum 1,000), $skiptoken; newest first; needs
//   AuditLog.Read.All (and, a documented known issue, Directory.Read.All):
//   https://learn.microsoft.com/graph/api/signin-list?view=graph-rest-beta
// - Service principal sign-ins appear only with signInEventTypes/any(t: t eq 'servicePrincipal'); without
//   an event-type filter the list holds interactive user sign-ins only (same page and the sign-in log docs).
// - Sign-in logs need Entra ID P1 or P2; without them Graph answers 403
//   (https://learn.microsoft.com/entra/identity/monitoring-health/concept-sign-ins, licence requirements).
// - Paging: follow @odata.nextLink, an absolute URL (https://learn.microsoft.com/graph/paging); a link to
//   another origin is refused, so the token never leaves Graph.
// Uncertain, designed not to matter: whether Graph accepts $filter on servicePrincipalCredentialKeyId.
// The filter is only a narrowing: on a 400 the read repeats without it and matches key ids here.
import { DateTime, Duration } from "luxon";
import { LastSignIn, ServicePrincipalSignIn, lastSignInsByKey } from "./signInMatch";

export const SIGN_INS_PAGE_SIZE = 1000;
/** At most this many pages (a million sign-ins) in one read: every loop is bounded. */
export const MAX_SIGN_IN_PAGES = 1000;
/** At most this many key ids go into the $filter; more are matched locally. */
const MAX_KEY_IDS_IN_FILTER = 15;
const SELECT = "id,createdDateTime,appId,servicePrincipalId,servicePrincipalCredentialKeyId,ipAddress,resourceDisplayName,resourceId,status";

export interface SignInSource {
    /** Graph root, e.g. https://graph.microsoft.com; the read goes to {graphUrl}/beta. */
    graphUrl: string;
    /** One GET; resolves with the JSON of a 2xx answer, rejects otherwise (with `status` when Graph answered). */
    get<T>(url: string): Promise<T>;
    maxPages?: number;
}

export type SignInEvidence =
    | { available: true; byKey: Map<string, LastSignIn>; since: string; signIns: number; pages: number }
    | { available: false; reason: string };

interface SignInPage {
    value?: ServicePrincipalSignIn[];
    "@odata.nextLink"?: string;
}

/** The URL of the first page: service principal sign-ins since `since`, optionally of these key ids only. */
export function signInsUrl(graphUrl: string, since: DateTime, keyIds: readonly string[] = []): string {
    const clauses = ["signInEventTypes/any(t: t eq 'servicePrincipal')", `createdDateTime ge ${since.toUTC().toISO({ suppressMilliseconds: true })}`];
    if (keyIds.length > 0) clauses.push(`(${keyIds.map((k) => `servicePrincipalCredentialKeyId eq '${k.toLowerCase().replace(/'/g, "''")}'`).join(" or ")})`);
    const query = new URLSearchParams({ $filter: clauses.join(" and "), $select: SELECT, $top: String(SIGN_INS_PAGE_SIZE) });
    return `${graphUrl.replace(/\/+$/, "")}/beta/auditLogs/signIns?${query}`;
}

/**
 * The newest sign-in in the window ending `now` of each credential in `keyIds` (all credentials
 * when undefined). Never throws for Graph's answers: a refusal, a licence, a foreign link or too
 * many pages come back as `available: false` with the reason, so callers can fail closed.
 */
export async function lastSignIns(keyIds: readonly string[] | undefined, window: Duration, source: SignInSource, now: DateTime = DateTime.utc()): Promise<SignInEvidence> {
    const since = now.minus(window);
    const narrowed = keyIds !== undefined && keyIds.length > 0 && keyIds.length <= MAX_KEY_IDS_IN_FILTER;
    try {
        return await readAll(narrowed ? keyIds : [], since, keyIds, source);
    } catch (error) {
        if (narrowed && (error as { status?: number }).status === 400) {
            try { return await readAll([], since, keyIds, source); } catch (again) { return unavailable(again); }
        }
        return unavailable(error);
    }
}

async function readAll(filterKeyIds: readonly string[], since: DateTime, keyIds: readonly string[] | undefined, source: SignInSource): Promise<SignInEvidence> {
    const origin = new URL(source.graphUrl).origin;
    const signIns: ServicePrincipalSignIn[] = [];
    let url: string | undefined = signInsUrl(source.graphUrl, since, filterKeyIds);
    let pages = 0;
    while (url) {
        if (pages >= (source.maxPages ?? MAX_SIGN_IN_PAGES)) {
            return { available: false, reason: `the sign-in logs ran past ${pages} pages; narrow the window` };
        }
        const page: SignInPage = await source.get<SignInPage>(url);
        pages++;
        signIns.push(...(page.value ?? []));
        const next = page["@odata.nextLink"];
        if (next !== undefined && !sameOrigin(next, origin)) {
            return { available: false, reason: `Graph sent a next-page link to another origin (${safeHost(next)}); it was not followed, so no token left ${new URL(origin).host}` };
        }
        url = next;
    }
    return { available: true, byKey: lastSignInsByKey(signIns, since, keyIds), since: since.toUTC().toISO({ suppressMilliseconds: true })!, signIns: signIns.length, pages };
}

function sameOrigin(link: string, origin: string): boolean {
    try { return new URL(link).origin === origin; } catch { return false; }
}

function safeHost(link: string): string {
    try { return new URL(link).host.replace(/[^A-Za-z0-9.:-]/g, "?").slice(0, 80); } catch { return "an unparsable URL"; }
}

function unavailable(error: unknown): SignInEvidence {
    const status = (error as { status?: number }).status;
    if (status === 403) {
        return { available: false, reason: "Graph refused the sign-in logs (403): reading them needs the AuditLog.Read.All permission (with Directory.Read.All, a documented known issue) and an Entra ID P1 or P2 licence" };
    }
    const message = ((error as Error)?.message ?? String(error)).split(/\r?\n/)[0].slice(0, 300);
    return { available: false, reason: `the sign-in logs could not be read: ${message}` };
}
