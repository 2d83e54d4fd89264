// A local Microsoft Graph v1.0 over HTTPS: the part keyrelay audit reads, in the shapes Graph
// documents. Sources, by rule:
// - applications / servicePrincipals lists, $select, $top 1..999, default page 100:
//   https://learn.microsoft.com/graph/api/application-list, https://learn.microsoft.com/graph/paging
// - @odata.nextLink is an absolute URL that carries every query option of the first request
//   ("Microsoft Graph automatically encodes the specified query parameters into the @odata.nextLink"): graph/paging
// - $expand on directory objects returns at most 20 related objects and no nextLink for them, and a
//   page with $expand holds at most 100 objects: https://learn.microsoft.com/graph/query-parameters#expand-parameter
//   and the "$expand ... maximum of 20 objects" known issue (developer.microsoft.com/graph/known-issues/?search=13635)
// - owners/$count eq 0 is an advanced query: ConsistencyLevel: eventual and $count=true, else 400:
//   https://learn.microsoft.com/graph/aad-advanced-queries
// - passwordCredential {customKeyIdentifier, displayName, endDateTime, hint, keyId, secretText, startDateTime};
//   hint "Contains the first three characters of the password"; secretText only on addPassword:
//   https://learn.microsoft.com/graph/api/resources/passwordcredential
// - keyCredential: https://learn.microsoft.com/graph/api/resources/keycredential (key is null unless selected on a single object)
// - 429 with Retry-After and the TooManyRequests body: https://learn.microsoft.com/graph/throttling
// - 403 Authorization_RequestDenied "Insufficient privileges to complete the operation.": https://learn.microsoft.com/graph/errors
//   and https://learn.microsoft.com/graph/resolve-auth-errors
// - GET /policies/defaultAppManagementPolicy (tenantAppManagementPolicy), GET /policies/appManagementPolicies,
//   GET /policies/appManagementPolicies/{id}/appliesTo, all needing Policy.Read.All:
//   https://learn.microsoft.com/graph/api/tenantappmanagementpolicy-get, appmanagementpolicy-list, appmanagementpolicy-list-appliesto
// - GET /organization: a collection of exactly one organization, $select supported; application permission
//   Organization.Read.All (Directory.Read.All also), not Application.Read.All: https://learn.microsoft.com/graph/api/organization-list
// - GET /servicePrincipals/{id}/ownedObjects (Application.Read.All): serviceprincipal-list-ownedobjects; /me only with a delegated token
// Uncertain detail, designed not to matter: the exact code and text Graph sends for $top > 999
// (keyrelay never asks for more than 999); here a 400 in Graph's documented error shape.
import * as crypto from "crypto";
import * as https from "https";
import type { IncomingMessage, ServerResponse } from "http";
import { DateTime } from "luxon";
import { listenOnLoopback, trustedTls } from "../vault/tls";
import type { TokenServer } from "../vault/tokenServer";
import { SignInLogOptions, StandInSignIn, signInPage } from "./signInLogs";

export type GraphPermission = "Application.Read.All" | "Policy.Read.All" | "AuditLog.Read.All" | "Organization.Read.All";
export const ALL_PERMISSIONS: GraphPermission[] = ["Application.Read.All", "Policy.Read.All", "AuditLog.Read.All", "Organization.Read.All"];

export interface StandInPasswordCredential {
    keyId: string;
    displayName: string | null;
    /** The full value is kept only to derive the hint, as Entra does; it is never served. */
    secretValue: string;
    startDateTime: string;
    endDateTime: string;
}

export interface StandInKeyCredential {
    keyId: string;
    displayName: string | null;
    type: "AsymmetricX509Cert";
    usage: "Verify";
    startDateTime: string;
    endDateTime: string;
}

export interface StandInOwner {
    id: string;
    displayName: string;
    userPrincipalName: string;
}

export interface StandInDirectoryObject {
    id: string;
    appId: string;
    displayName: string;
    signInAudience: string;
    createdDateTime: string;
    passwordCredentials: StandInPasswordCredential[];
    keyCredentials: StandInKeyCredential[];
    owners: StandInOwner[];
    /** Applications only: federatedIdentityCredential {id, name, issuer, subject, audiences, description}. */
    federatedIdentityCredentials?: { id: string; name: string; issuer: string; subject: string; audiences: string[]; description: string | null }[];
}

export interface StandInRestriction {
    restrictionType: "passwordLifetime" | "passwordAddition" | "customPasswordAddition" | "symmetricKeyAddition" | "symmetricKeyLifetime" | "asymmetricKeyLifetime";
    maxLifetime: string | null;
    restrictForAppsCreatedAfterDateTime: string;
    state?: "enabled" | "disabled";
}

export interface StandInTenant {
    /** The organization's display name (its id is the token server's tenant id); default "Contoso". */
    organizationDisplayName?: string;
    applications: StandInDirectoryObject[];
    servicePrincipals: StandInDirectoryObject[];
    defaultAppManagementPolicy: {
        id: string; displayName: string; description: string; isEnabled: boolean;
        applicationRestrictions: { passwordCredentials: StandInRestriction[]; keyCredentials: StandInRestriction[] };
        servicePrincipalRestrictions: { passwordCredentials: StandInRestriction[]; keyCredentials: StandInRestriction[] };
    };
    /** Service principal sign-ins (Graph beta auditLogs/signIns). */
    signIns?: StandInSignIn[];
    appManagementPolicies: {
        id: string; displayName: string; description: string; isEnabled: boolean;
        restrictions: { passwordCredentials: StandInRestriction[]; keyCredentials: StandInRestriction[] };
        appliesTo: string[];
    }[];
}

export interface GraphRequest {
    method: string;
    path: string;
    query: Record<string, string>;
    status: number;
    oid?: string;
}

export interface ThrottleFault {
    /** Only requests whose path starts with this; default any. */
    pathPrefix?: string;
    count?: number;
    retryAfterSeconds?: number;
}

/** A hostile Graph: the nextLink of matching pages replaced (another host, an earlier page). */
export interface NextLinkRewrite {
    pathPrefix?: string;
    /** Only requests for which this holds (e.g. the ones with $expand). */
    when?: (url: URL) => boolean;
    /** The replacement, from the link Graph would send and the URL of the page being answered. */
    to: (link: string | undefined, requestUrl: string) => string | undefined;
}

/** A hostile Graph: answer matching requests with a redirect instead. */
export interface RedirectFault {
    pathPrefix?: string;
    location: string;
    status?: number;
}

export interface LocalGraph {
    /** https://127.0.0.1:PORT: --graph-url, and the token audience it accepts. */
    url: string;
    tenant: StandInTenant;
    grant(objectId: string, permissions: GraphPermission[]): void;
    throttle(fault: ThrottleFault): void;
    rewriteNextLink(rule: NextLinkRewrite): void;
    redirect(fault: RedirectFault): void;
    readonly requests: GraphRequest[];
    close(): Promise<void>;
}

const APPLICATION_PROPERTIES = ["id", "appId", "displayName", "signInAudience", "createdDateTime", "passwordCredentials", "keyCredentials", "publisherDomain", "tags", "notes"];
const SERVICE_PRINCIPAL_PROPERTIES = ["id", "appId", "displayName", "signInAudience", "passwordCredentials", "keyCredentials", "servicePrincipalType", "appOwnerOrganizationId", "tags", "notes"];
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 999;
const EXPAND_PAGE_SIZE = 100;
const EXPAND_MAX_RELATED = 20;

class GraphError extends Error {
    constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
        super(message);
    }
}

function passwordView(p: StandInPasswordCredential) {
    return {
        customKeyIdentifier: null, displayName: p.displayName, endDateTime: p.endDateTime,
        hint: p.secretValue.slice(0, 3), keyId: p.keyId, secretText: null, startDateTime: p.startDateTime,
    };
}

function keyView(k: StandInKeyCredential) {
    return { customKeyIdentifier: null, displayName: k.displayName, endDateTime: k.endDateTime, key: null, keyId: k.keyId, startDateTime: k.startDateTime, type: k.type, usage: k.usage };
}

export interface LocalGraphOptions {
    tokenServer: TokenServer;
    tenant: StandInTenant;
    defaultPermissions?: GraphPermission[];
    /** An Azure AD B2C tenant: "$count: Not supported in Azure AD B2C tenants" (Graph known issues), so no owners/$count. */
    b2c?: boolean;
    signInLogs?: SignInLogOptions;
}

export async function startLocalGraph(options: LocalGraphOptions): Promise<LocalGraph> {
    const tls = await trustedTls();
    const { tokenServer, tenant } = options;
    const permissions = new Map<string, GraphPermission[]>();
    const defaultPermissions = options.defaultPermissions ?? ALL_PERMISSIONS;
    const throttles: (ThrottleFault & { remaining: number })[] = [];
    const requests: GraphRequest[] = [];
    const rewrites: NextLinkRewrite[] = [];
    const redirects: RedirectFault[] = [];
    let base = "";

    function objectView(o: StandInDirectoryObject, kind: "application" | "servicePrincipal", select: string[] | undefined, expandOwners: boolean) {
        const full: Record<string, unknown> = {
            id: o.id, appId: o.appId, displayName: o.displayName, signInAudience: o.signInAudience,
            ...(kind === "application" ? { createdDateTime: o.createdDateTime, publisherDomain: "contoso.example", notes: null } : { servicePrincipalType: "Application", appOwnerOrganizationId: tokenServer.tenantId, notes: null }),
            tags: [],
            passwordCredentials: o.passwordCredentials.map(passwordView),
            keyCredentials: o.keyCredentials.map(keyView),
        };
        const view: Record<string, unknown> = select ? Object.fromEntries(select.map((p) => [p, full[p] ?? null])) : full;
        if (expandOwners) view.owners = o.owners.slice(0, EXPAND_MAX_RELATED).map((u) => ({ "@odata.type": "#microsoft.graph.user", ...u }));
        return view;
    }

    function parseSelect(raw: string | null, allowed: string[], type: string): string[] | undefined {
        if (raw === null) return undefined;
        const props = raw.split(",").map((p) => p.trim()).filter(Boolean);
        const unknown = props.find((p) => !allowed.includes(p));
        if (unknown) throw new GraphError(400, "Request_BadRequest", `Parsing OData Select and Expand failed: Could not find a property named '${unknown}' on type 'microsoft.graph.${type}'.`);
        return props;
    }

    function pageSize(url: URL, cap: number): number {
        const raw = url.searchParams.get("$top");
        if (raw === null) return Math.min(DEFAULT_PAGE_SIZE, cap);
        const top = Number(raw);
        if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE_SIZE) {
            throw new GraphError(400, "Request_BadRequest", `Invalid page size specified: '${raw}'. Must be between 1 and ${MAX_PAGE_SIZE} inclusive.`);
        }
        return Math.min(top, cap);
    }

    function paged(items: unknown[], url: URL, size: number, context: string, extra: Record<string, unknown> = {}) {
        const skip = Number(Buffer.from(url.searchParams.get("$skiptoken") ?? "", "base64url").toString() || "0");
        const value = items.slice(skip, skip + size);
        const next = new URL(url.toString());
        next.searchParams.set("$skiptoken", Buffer.from(String(skip + size)).toString("base64url"));
        return {
            "@odata.context": `${base}/v1.0/$metadata#${context}`,
            ...extra,
            ...(skip + size < items.length ? { "@odata.nextLink": next.toString() } : {}),
            value,
        };
    }

    function require(oid: string, permission: GraphPermission) {
        if (!(permissions.get(oid) ?? defaultPermissions).includes(permission)) {
            throw new GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
        }
    }

    function listDirectory(req: IncomingMessage, url: URL, kind: "application" | "servicePrincipal") {
        const collection = kind === "application" ? tenant.applications : tenant.servicePrincipals;
        const select = parseSelect(url.searchParams.get("$select"), kind === "application" ? APPLICATION_PROPERTIES : SERVICE_PRINCIPAL_PROPERTIES, kind);
        const expand = url.searchParams.get("$expand");
        // application resource: "federatedIdentityCredentials ... Supports $expand" (https://learn.microsoft.com/graph/api/resources/application).
        const expandsCredentials = kind === "application" && expand !== null && /^federatedIdentityCredentials(\(\$select=[\w,]+\))?$/.test(expand);
        if (expand !== null && !expandsCredentials && !/^owners(\(\$select=[\w,]+\))?$/.test(expand)) {
            throw new GraphError(400, "Request_BadRequest", `Could not find a navigation property named '${expand}' on type 'microsoft.graph.${kind}'.`);
        }
        const filter = url.searchParams.get("$filter");
        let items = collection;
        let extra: Record<string, unknown> = {};
        if (filter !== null) {
            // owners and, on applications, federatedIdentityCredentials support $filter /$count eq|ne (application resource page).
            const match = /^(owners|federatedIdentityCredentials)\/\$count (eq|ne) (\d+)$/.exec(filter.trim());
            if (options.b2c && url.searchParams.has("$count")) throw new GraphError(400, "Request_UnsupportedQuery", "$count is not supported in Azure AD B2C tenants.");
            if (!match || (match[1] === "federatedIdentityCredentials" && kind !== "application")) throw new GraphError(400, "Request_UnsupportedQuery", `Unsupported or invalid query filter clause specified for property '${filter.split(" ")[0]}' of resource '${kind}'.`);
            if (String(req.headers.consistencylevel ?? "").toLowerCase() !== "eventual" || url.searchParams.get("$count") !== "true") {
                throw new GraphError(400, "Request_UnsupportedQuery", `Filter on ${match[1]}/$count requires the ConsistencyLevel header set to eventual and $count=true (advanced query).`);
            }
            const n = Number(match[3]);
            const related = (o: StandInDirectoryObject) => (match[1] === "owners" ? o.owners.length : (o.federatedIdentityCredentials ?? []).length);
            items = collection.filter((o) => (match[2] === "eq" ? related(o) === n : related(o) !== n));
            extra = { "@odata.count": items.length };
        }
        const size = pageSize(url, expand !== null ? EXPAND_PAGE_SIZE : MAX_PAGE_SIZE);
        const credentialSelect = expandsCredentials ? /\(\$select=([\w,]+)\)/.exec(expand!)?.[1]?.split(",") : undefined;
        const views = items.map((o) => {
            const view = objectView(o, kind, select, expand !== null && !expandsCredentials);
            if (expandsCredentials) {
                view.federatedIdentityCredentials = (o.federatedIdentityCredentials ?? []).slice(0, EXPAND_MAX_RELATED)
                    .map((f) => (credentialSelect ? Object.fromEntries(credentialSelect.map((p) => [p, (f as Record<string, unknown>)[p] ?? null])) : f));
            }
            return view;
        });
        return paged(views, url, size, `${kind === "application" ? "applications" : "servicePrincipals"}${select ? `(${select.join(",")})` : ""}`, extra);
    }

    function route(req: IncomingMessage, url: URL, oid: string): object {
        const path = url.pathname.replace(/\/+$/, "");
        if (path === "/v1.0/applications") {
            require(oid, "Application.Read.All");
            return listDirectory(req, url, "application");
        }
        // Get application (https://learn.microsoft.com/graph/api/application-get): by object id, $select;
        // 404 Request_ResourceNotFound for an unknown id. Application.Read.All here (OwnedBy reads owned apps too).
        const oneApp = /^\/v1\.0\/applications\/([^/]+)$/.exec(path);
        if (oneApp) {
            require(oid, "Application.Read.All");
            const app = tenant.applications.find((a) => a.id === decodeURIComponent(oneApp[1]));
            if (!app) throw new GraphError(404, "Request_ResourceNotFound", `Resource '${oneApp[1]}' does not exist or one of its queried reference-property objects are not present.`);
            const select = parseSelect(url.searchParams.get("$select"), APPLICATION_PROPERTIES, "application");
            return { "@odata.context": `${base}/v1.0/$metadata#applications/$entity`, ...objectView(app, "application", select, false) };
        }
        if (path === "/v1.0/servicePrincipals") {
            require(oid, "Application.Read.All");
            return listDirectory(req, url, "servicePrincipal");
        }
        if (path === "/v1.0/policies/defaultAppManagementPolicy") {
            require(oid, "Policy.Read.All");
            return { "@odata.context": `${base}/v1.0/$metadata#policies/defaultAppManagementPolicy/$entity`, ...tenant.defaultAppManagementPolicy };
        }
        if (path === "/v1.0/policies/appManagementPolicies") {
            require(oid, "Policy.Read.All");
            const views = tenant.appManagementPolicies.map(({ appliesTo: _omit, ...policy }) => policy);
            return paged(views, url, pageSize(url, MAX_PAGE_SIZE), "policies/appManagementPolicies");
        }
        const appliesTo = /^\/v1\.0\/policies\/appManagementPolicies\/([^/]+)\/appliesTo$/.exec(path);
        if (appliesTo) {
            require(oid, "Policy.Read.All");
            const policy = tenant.appManagementPolicies.find((p) => p.id === decodeURIComponent(appliesTo[1]));
            if (!policy) throw new GraphError(404, "Request_ResourceNotFound", `Resource '${appliesTo[1]}' does not exist or one of its queried reference-property objects are not present.`);
            const objects = policy.appliesTo.map((id) => {
                const app = tenant.applications.find((a) => a.id === id);
                const sp = tenant.servicePrincipals.find((s) => s.id === id);
                return app ? { "@odata.type": "#microsoft.graph.application", id, appId: app.appId, displayName: app.displayName }
                    : { "@odata.type": "#microsoft.graph.servicePrincipal", id, appId: sp?.appId ?? null, displayName: sp?.displayName ?? null };
            });
            const select = url.searchParams.get("$select")?.split(",");
            const views = select ? objects.map((o) => Object.fromEntries(Object.entries(o).filter(([k]) => k === "@odata.type" || select.includes(k)))) : objects;
            return paged(views, url, pageSize(url, MAX_PAGE_SIZE), "directoryObjects");
        }
        if (path === "/v1.0/organization") {
            require(oid, "Organization.Read.All");
            const organization: Record<string, unknown> = { id: tokenServer.tenantId, displayName: tenant.organizationDisplayName ?? "Contoso", verifiedDomains: [{ name: "contoso.example", isDefault: true }], tenantType: "AAD" };
            const select = parseSelect(url.searchParams.get("$select"), Object.keys(organization), "organization");
            return { "@odata.context": `${base}/v1.0/$metadata#organization`, value: [select ? Object.fromEntries(select.map((p) => [p, organization[p]])) : organization] };
        }
        if (path === "/beta/auditLogs/signIns") {
            require(oid, "AuditLog.Read.All");
            return signInPage(url, tenant.signIns ?? [], base, options.signInLogs ?? {}, (status, code, message) => { throw new GraphError(status, code, message); });
        }
        // List ownedObjects of a service principal (https://learn.microsoft.com/graph/api/serviceprincipal-list-ownedobjects):
        // Application.Read.All; the apps and service principals whose owners include it, as directoryObjects.
        const ownedBy = /^\/v1\.0\/servicePrincipals\/([^/]+)\/ownedObjects$/.exec(path);
        if (ownedBy) {
            require(oid, "Application.Read.All");
            const owner = decodeURIComponent(ownedBy[1]);
            const objects = [
                ...tenant.applications.filter((a) => a.owners.some((o) => o.id === owner)).map((a) => ({ "@odata.type": "#microsoft.graph.application", id: a.id, appId: a.appId, displayName: a.displayName })),
                ...tenant.servicePrincipals.filter((x) => x.owners.some((o) => o.id === owner)).map((x) => ({ "@odata.type": "#microsoft.graph.servicePrincipal", id: x.id, appId: x.appId, displayName: x.displayName })),
            ];
            const select = url.searchParams.get("$select")?.split(",");
            const views = select ? objects.map((o) => Object.fromEntries(Object.entries(o).filter(([k]) => k === "@odata.type" || select.includes(k)))) : objects;
            return paged(views, url, pageSize(url, MAX_PAGE_SIZE), "directoryObjects");
        }
        // /me needs a signed-in user; this stand-in's tokens are all app-only (client credentials),
        // and Graph answers those 400 "/me request is only valid with delegated authentication flow."
        if (path.startsWith("/v1.0/me/") || path === "/v1.0/me") {
            throw new GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.");
        }
        throw new GraphError(400, "BadRequest", `Resource not found for the segment '${path.split("/").pop()}'.`);
    }

    async function handle(req: IncomingMessage, res: ServerResponse) {
        const url = new URL(req.url ?? "/", base);
        const log: GraphRequest = { method: req.method ?? "GET", path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0 };
        requests.push(log);
        const requestId = crypto.randomUUID();
        const send = (status: number, body: object, headers: Record<string, string> = {}) => {
            log.status = status;
            res.writeHead(status, { "content-type": "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8", "request-id": requestId, ...headers });
            res.end(JSON.stringify(body));
        };
        try {
            const header = req.headers.authorization;
            if (!header || !/^Bearer /i.test(header)) throw new GraphError(401, "InvalidAuthenticationToken", "Access token is empty.");
            let oid: string;
            try {
                oid = tokenServer.verifyAccessToken(header.slice(7).trim(), base).oid;
            } catch (e) {
                throw new GraphError(401, "InvalidAuthenticationToken", `Access token validation failure: ${(e as Error).message}.`);
            }
            log.oid = oid;
            const fault = throttles.find((t) => t.remaining > 0 && (!t.pathPrefix || url.pathname.startsWith(t.pathPrefix)));
            if (fault) {
                fault.remaining--;
                throw new GraphError(429, "TooManyRequests", "Please retry again later.", { "Retry-After": String(fault.retryAfterSeconds ?? 1) });
            }
            if (req.method !== "GET") throw new GraphError(405, "Request_BadRequest", "Only GET is served by this stand-in.");
            const redirect = redirects.find((r) => !r.pathPrefix || url.pathname.startsWith(r.pathPrefix));
            if (redirect) {
                log.status = redirect.status ?? 302;
                res.writeHead(log.status, { location: redirect.location, "content-length": "0" });
                res.end();
                return;
            }
            const body = route(req, url, oid) as Record<string, unknown>;
            const rewrite = rewrites.find((r) => (!r.pathPrefix || url.pathname.startsWith(r.pathPrefix)) && (!r.when || r.when(url)));
            if (rewrite) {
                const link = rewrite.to(body["@odata.nextLink"] as string | undefined, url.toString());
                delete body["@odata.nextLink"];
                if (link !== undefined) body["@odata.nextLink"] = link;
            }
            send(200, body);
        } catch (e) {
            const error = e instanceof GraphError ? e : new GraphError(500, "InternalServerError", (e as Error).message);
            send(error.status, {
                error: {
                    code: error.code, message: error.message,
                    innerError: { date: DateTime.utc().toISO({ suppressMilliseconds: true }), "request-id": requestId, "client-request-id": requestId },
                },
            }, error.headers);
        }
    }

    const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
        req.resume();
        req.on("end", () => void handle(req, res));
    });
    const listening = await listenOnLoopback(server);
    base = listening.url;
    return {
        url: base,
        tenant,
        grant: (objectId, granted) => void permissions.set(objectId, granted),
        throttle: (fault) => void throttles.push({ ...fault, remaining: fault.count ?? 1 }),
        rewriteNextLink: (rule) => void rewrites.push(rule),
        redirect: (fault) => void redirects.push(fault),
        requests,
        close: listening.close,
    };
}
