// The local Graph's beta auditLogs/signIns, service principal sign-ins only. Sources, by rule:
// - GET /beta/auditLogs/signIns with $filter, $top (default and maximum 1,000), $skiptoken; newest first;
//   AuditLog.Read.All: https://learn.microsoft.com/graph/api/signin-list?view=graph-rest-beta
// - without signInEventTypes/any(t: t eq 'servicePrincipal') the list holds interactive user sign-ins
//   only (same page); this stand-in holds no user sign-ins, so such a request gets an empty page
// - servicePrincipalCredentialKeyId, ipAddress, resourceDisplayName, resourceId, createdDateTime:
//   https://learn.microsoft.com/graph/api/resources/signin?view=graph-rest-beta (not on v1.0)
// - no Entra ID P1/P2: 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant, as tenants report it
//   (not on a Learn page; keyrelay treats every 403 alike, so the exact code cannot matter)
// Uncertain, designed not to matter: whether real Graph filters on servicePrincipalCredentialKeyId;
// keyrelay falls back to an unfiltered read on a 400, and the stand-in can refuse it (`keyIdFilter: false`).
import { DateTime } from "luxon";

export interface StandInSignIn {
    id: string;
    createdDateTime: string;
    appId: string;
    appDisplayName: string;
    servicePrincipalId: string;
    servicePrincipalCredentialKeyId: string | null;
    ipAddress: string;
    resourceDisplayName: string;
    resourceId: string;
    status: { errorCode: number; failureReason: string | null };
}

export interface SignInLogOptions {
    /** Entra ID P1/P2 in the tenant; default true. */
    premium?: boolean;
    /** Accept $filter on servicePrincipalCredentialKeyId; default true. */
    keyIdFilter?: boolean;
}

const MAX_PAGE = 1000;
const EVENT_TYPE = "signInEventTypes/any(t: t eq 'servicePrincipal')";
type Fail = (status: number, code: string, message: string) => never;

/** The page body for one request, or a call to `fail` with Graph's status and code. */
export function signInPage(url: URL, signIns: readonly StandInSignIn[], base: string, options: SignInLogOptions, fail: Fail): object {
    if (options.premium === false) fail(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", "Neither tenant is B2C or tenant doesn't have premium license");
    const raw = url.searchParams.get("$top");
    const top = raw === null ? MAX_PAGE : Number(raw);
    if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE) fail(400, "Request_BadRequest", `Invalid page size specified: '${raw}'.`);
    let items = [...signIns];
    let servicePrincipals = false;
    for (const clause of splitAnd(url.searchParams.get("$filter") ?? "")) {
        if (clause === EVENT_TYPE) { servicePrincipals = true; continue; }
        const since = /^createdDateTime (ge|gt|le|lt) (\S+)$/.exec(clause);
        if (since) {
            const at = DateTime.fromISO(since[2], { zone: "utc" });
            if (!at.isValid) fail(400, "Request_BadRequest", `Invalid filter clause: '${clause}'.`);
            const cmp = { ge: (d: DateTime) => d >= at, gt: (d: DateTime) => d > at, le: (d: DateTime) => d <= at, lt: (d: DateTime) => d < at }[since[1] as "ge"];
            items = items.filter((s) => cmp(DateTime.fromISO(s.createdDateTime, { zone: "utc" })));
            continue;
        }
        const keyIds = /^\((servicePrincipalCredentialKeyId eq '[0-9a-f-]+'( or servicePrincipalCredentialKeyId eq '[0-9a-f-]+')*)\)$/i.exec(clause);
        if (keyIds && options.keyIdFilter !== false) {
            const wanted = new Set([...keyIds[1].matchAll(/'([0-9a-f-]+)'/gi)].map((m) => m[1].toLowerCase()));
            items = items.filter((s) => s.servicePrincipalCredentialKeyId !== null && wanted.has(s.servicePrincipalCredentialKeyId.toLowerCase()));
            continue;
        }
        fail(400, "Request_UnsupportedQuery", `Unsupported or invalid query filter clause specified: '${clause}'.`);
    }
    if (!servicePrincipals) items = [];
    items.sort((a, b) => b.createdDateTime.localeCompare(a.createdDateTime));
    const select = url.searchParams.get("$select")?.split(",").map((p) => p.trim());
    const views = items.map((s) => (select ? Object.fromEntries(select.map((p) => [p, (s as unknown as Record<string, unknown>)[p] ?? null])) : s));
    const skip = Number(Buffer.from(url.searchParams.get("$skiptoken") ?? "", "base64url").toString() || "0");
    const next = new URL(url.toString());
    next.searchParams.set("$skiptoken", Buffer.from(String(skip + top)).toString("base64url"));
    return {
        "@odata.context": `${base}/beta/$metadata#auditLogs/signIns`,
        ...(skip + top < views.length ? { "@odata.nextLink": next.toString() } : {}),
        value: views.slice(skip, skip + top),
    };
}

/** Top-level " and " clauses; parentheses keep an or-group whole. */
function splitAnd(filter: string): string[] {
    const clauses: string[] = [];
    let depth = 0;
    let current = "";
    for (let i = 0; i < filter.length; i++) {
        const c = filter[i];
        if (c === "(") depth++;
        if (c === ")") depth--;
        if (depth === 0 && filter.startsWith(" and ", i)) { clauses.push(current.trim()); current = ""; i += 4; continue; }
        current += c;
    }
    if (current.trim()) clauses.push(current.trim());
    return clauses;
}
