// Reads every credential of a tenant from Microsoft Graph v1.0 in one pass: each collection
// paged through @odata.nextLink at the largest page Graph allows, properties chosen with
// $select, owners known through one advanced query instead of a request per app.
import * as https from "https";
import type { TokenCredential } from "@azure/core-auth";
import { DateTime } from "luxon";
import { GraphError, isGraphError } from "../../lib/errors";
import { CliError, environmentError } from "../errors";
import { Deadline, DeadlineError } from "../../lib/deadline";
import { requireSameOrigin } from "../../lib/origin";
import { refuseRedirect } from "../../lib/redirects";
import { PageTrail } from "../../lib/pageTrail";
import { directoryAppOf, markDuplicateKeyIds, pageItems } from "./graphShape";
import { AppManagementPolicy, DirectoryApp, TenantAppManagementPolicy, TenantPolicies } from "./model";
import { TenantIdentity, readTenantIdentity, tenantIdOfToken } from "./tenantIdentity";

export const DEFAULT_GRAPH_URL = "https://graph.microsoft.com";
/** "$top ... Minimum value is 1 and maximum is 999" for directory objects (https://learn.microsoft.com/graph/paging, application-list). */
export const GRAPH_MAX_PAGE_SIZE = 999;
/** A Retry-After longer than this is not waited for: the run reports Graph as unreachable instead. */
export const MAX_RETRY_AFTER_MS = 60_000;
const MAX_ATTEMPTS_PER_REQUEST = 6;

const APP_SELECT = "id,appId,displayName,signInAudience,createdDateTime,passwordCredentials,keyCredentials";
// No createdDateTime: servicePrincipal v1.0 has none (microsoft-graph-docs-contrib api-reference/v1.0/resources/serviceprincipal.md),
// so lifetimePolicy.ts applies a restrictForAppsCreatedAfterDateTime to a service principal whose creation time is unknown.
const SERVICE_PRINCIPAL_SELECT = "id,appId,displayName,signInAudience,passwordCredentials,keyCredentials";

/** Least-privileged permission for each path (the Permissions tables of the List pages on learn.microsoft.com). */
function permissionFor(path: string): string {
    return path.startsWith("/v1.0/policies") ? "Policy.Read.All" : path.startsWith("/v1.0/organization") ? "Organization.Read.All" : "Application.Read.All";
}

export interface GraphReadOptions {
    graphUrl: string;
    credential: TokenCredential;
    /** Where tokens come from, for error messages. */
    authorityHost: string;
    deadline: Deadline;
    tlsCa?: string;
    onPage?: (collection: string, items: number) => void;
    /** Also read the organization's id and name (audit's report header; doctor does not need it). */
    identifyTenant?: boolean;
    /** Shortens waits in tests; Retry-After seconds are multiplied by it. */
    retryAfterScale?: number;
}

export interface GraphReadResult {
    apps: DirectoryApp[];
    policies: TenantPolicies;
    /** The tenant's id and name (cli/audit/tenantIdentity.ts), with identifyTenant. */
    tenant?: TenantIdentity;
    /** Every HTTP request sent to Graph, retries included. */
    requests: number;
    /** Pages received, by collection. */
    pages: Record<string, number>;
    throttled: number;
    /** What could not be read, and what that leaves out. */
    notes: string[];
    /** Why the policy check cannot run (Graph refused the policy endpoints), when it cannot. */
    policySkipped?: string;
}

interface GraphPage<T> {
    value?: T[];
    "@odata.nextLink"?: string;
}

export class GraphReader {
    private readonly agent: https.Agent;
    private readonly host: string;
    private token: { value: string; expiresOn: number } | undefined;
    /** The token request in flight: the collections are read in parallel, and they share one token. */
    private pendingToken: Promise<string> | undefined;
    requests = 0;
    throttled = 0;
    readonly pages: Record<string, number> = {};

    constructor(private readonly options: GraphReadOptions) {
        this.agent = new https.Agent({ keepAlive: true, maxSockets: 8, ...(options.tlsCa ? { ca: options.tlsCa } : {}) });
        this.host = new URL(options.graphUrl).host;
    }

    close(): void {
        this.agent.destroy();
    }

    /** The tid claim of the token this reader holds (after its first request). */
    tokenTenantId(): string | null {
        return tenantIdOfToken(this.token?.value);
    }

    private async bearer(): Promise<string> {
        const now = DateTime.now().toMillis();
        if (this.token && this.token.expiresOn - 120_000 > now) return this.token.value;
        this.pendingToken ??= this.fetchToken().finally(() => { this.pendingToken = undefined; });
        return this.pendingToken;
    }

    private async fetchToken(): Promise<string> {
        const scope = `${this.options.graphUrl}/.default`;
        let token;
        try {
            token = await this.options.credential.getToken(scope, { abortSignal: this.options.deadline.signal });
        } catch (error) {
            if (this.options.deadline.expired) throw this.timedOut("the token endpoint");
            const message = ((error as Error).message ?? String(error)).split(/\r?\n/)[0].replace(/\.+$/, "");
            throw environmentError(`keyrelay audit: cannot get a token for Microsoft Graph (scope ${scope}) from ${new URL(this.options.authorityHost).host}: ${message}. Sign in with \`az login\`, or set AZURE_CLIENT_ID and AZURE_TENANT_ID for workload identity.`);
        }
        if (!token) throw environmentError(`keyrelay audit: no token for Microsoft Graph (scope ${scope}). Sign in with \`az login\`.`);
        this.token = { value: token.token, expiresOn: token.expiresOnTimestamp };
        return token.token;
    }

    private timedOut(what: string): DeadlineError {
        return this.options.deadline.timeoutError(what === "the token endpoint" ? new URL(this.options.authorityHost).host : this.host);
    }

    /** A Graph request that failed, as a GraphError (the CLI gives it the environment's exit code). */
    private failed(path: string, status: number | undefined, message: string, serviceCode?: string): GraphError {
        return new GraphError({ request: `GET ${path}`, graphUrl: this.options.graphUrl, status, serviceCode }, message);
    }

    /** One GET with Graph's retry rules; resolves with the parsed body of a 2xx answer. */
    async get<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
        // Before the token: a link from Graph may name any host (lib/origin.ts).
        requireSameOrigin(this.options.graphUrl, url, "a link", "audit");
        const path = new URL(url).pathname;
        for (let attempt = 1; ; attempt++) {
            const deadline = this.options.deadline;
            if (deadline.expired) throw this.timedOut(`GET ${path}`);
            const bearer = await this.bearer();
            this.requests++;
            let answer: { status: number; headers: import("http").IncomingHttpHeaders; body: string };
            try {
                answer = await this.send(url, { ...headers, authorization: `Bearer ${bearer}`, accept: "application/json" }, deadline.requestTimeoutMs());
            } catch (error) {
                const code = (error as { code?: string }).code;
                if (deadline.expired || code === "ETIMEDOUT") throw this.timedOut(`GET ${path}`);
                throw this.failed(path, undefined, `keyrelay audit: cannot reach Microsoft Graph at ${this.host}${code ? ` (${code})` : ""}. Check --graph-url and your network.`);
            }
            if (answer.status >= 200 && answer.status < 300) {
                try {
                    return JSON.parse(answer.body) as T;
                } catch {
                    throw this.failed(path, answer.status, `keyrelay audit: ${this.host} answered GET ${path} with something that is not JSON. Check --graph-url.`);
                }
            }
            const redirect = refuseRedirect(url, answer.status, answer.headers.location, "audit");
            if (redirect) throw redirect;
            let error: { code?: string; message?: string } = {};
            try { error = (JSON.parse(answer.body) as { error?: typeof error }).error ?? {}; } catch { error = {}; }
            // Graph's throttling guidance: wait the Retry-After seconds, else back off (https://learn.microsoft.com/graph/throttling).
            if ((answer.status === 429 || answer.status === 503 || answer.status === 504) && attempt < MAX_ATTEMPTS_PER_REQUEST) {
                if (answer.status === 429) this.throttled++;
                const retryAfter = Number(answer.headers["retry-after"]);
                const waitMs = (Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : 2 ** attempt * 1000) * (this.options.retryAfterScale ?? 1);
                if (waitMs > MAX_RETRY_AFTER_MS || waitMs >= deadline.remainingMs()) {
                    throw this.failed(path, answer.status, `keyrelay audit: Microsoft Graph at ${this.host} is throttling (HTTP ${answer.status}, Retry-After ${answer.headers["retry-after"] ?? "none"}) beyond what --timeout ${Math.round(deadline.totalMs / 1000)}s allows. Run the audit later, or raise --timeout.`);
                }
                await new Promise((resolve) => setTimeout(resolve, waitMs));
                continue;
            }
            if (answer.status === 403) {
                throw this.failed(path, answer.status, `keyrelay audit: Microsoft Graph denied GET ${path} (403 ${error.code ?? "Forbidden"}: ${error.message ?? "no message"}). `
                    + `Grant the identity you signed in with the ${permissionFor(path)} application permission (admin consent), or a directory role that includes it.`);
            }
            if (answer.status === 401) {
                throw this.failed(path, answer.status, `keyrelay audit: Microsoft Graph at ${this.host} did not accept the token (401 ${error.code ?? ""}: ${error.message ?? ""}). The token's scope is ${this.options.graphUrl}/.default: check --graph-url matches your cloud.`);
            }
            throw this.failed(path, answer.status, `keyrelay audit: Microsoft Graph answered GET ${path} with HTTP ${answer.status}${error.code ? ` ${error.code}` : ""}: ${error.message ?? "no message"}.`, error.code);
        }
    }

    private send(url: string, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number; headers: import("http").IncomingHttpHeaders; body: string }> {
        const done = this.options.deadline.track(url);
        return new Promise<{ status: number; headers: import("http").IncomingHttpHeaders; body: string }>((resolve, reject) => {
            const request = https.get(url, { agent: this.agent, headers, timeout: timeoutMs, signal: this.options.deadline.signal }, (response) => {
                const chunks: Buffer[] = [];
                response.on("data", (c: Buffer) => chunks.push(c));
                response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }));
                response.on("error", reject);
            });
            request.on("timeout", () => request.destroy(Object.assign(new Error(`no answer in ${timeoutMs} ms`), { code: "ETIMEDOUT" })));
            request.on("error", reject);
        }).finally(done);
    }

    /** Every item of a collection, following @odata.nextLink (the link carries the query options; https://learn.microsoft.com/graph/paging). */
    async list<T>(collection: string, firstUrl: string, headers: Record<string, string> = {}): Promise<T[]> {
        const items: T[] = [];
        const trail = new PageTrail(this.options.graphUrl, `${collection} at ${this.host}`, "@odata.nextLink", "audit", firstUrl);
        let url: string | undefined = firstUrl;
        while (url) {
            const page: GraphPage<T> = await this.get<GraphPage<T>>(url, headers);
            this.pages[collection] = (this.pages[collection] ?? 0) + 1;
            const pageValue = pageItems(page, `GET ${new URL(url).pathname}`, this.host) as T[];
            items.push(...pageValue);
            this.options.onPage?.(collection, pageValue.length);
            url = trail.next(page["@odata.nextLink"]);
        }
        return items;
    }
}

export async function readTenant(options: GraphReadOptions): Promise<GraphReadResult> {
    const reader = new GraphReader(options);
    const base = `${options.graphUrl}/v1.0`;
    const notes: string[] = [];
    const query = (params: Record<string, string>) => new URLSearchParams(params).toString();
    try {
        const [applications, ownerless, servicePrincipals, policies, tenant] = await Promise.all([
            reader.list<unknown>("applications", `${base}/applications?${query({ $select: APP_SELECT, $top: String(GRAPH_MAX_PAGE_SIZE) })}`),
            readOwnerless(reader, base, notes),
            reader.list<unknown>("servicePrincipals", `${base}/servicePrincipals?${query({ $select: SERVICE_PRINCIPAL_SELECT, $top: String(GRAPH_MAX_PAGE_SIZE) })}`),
            readPoliciesOrSkip(reader, base),
            options.identifyTenant ? readTenantIdentity(reader, base) : undefined,
        ]);
        const withoutOwner = new Set(ownerless ?? []);
        const read = (raws: unknown[], kind: DirectoryApp["kind"]): DirectoryApp[] => raws.flatMap((raw, i) => {
            const app = directoryAppOf(raw, kind, i + 1, notes);
            return app ? [{ ...app, ...(kind === "application" && ownerless ? { hasOwner: !withoutOwner.has(app.id) } : {}) }] : [];
        });
        const apps = [
            ...read(applications, "application"),
            // Service principals matter here only when they hold credentials of their own.
            ...read(servicePrincipals, "servicePrincipal").filter((s) => s.passwordCredentials.length + s.keyCredentials.length > 0),
        ];
        markDuplicateKeyIds(apps);
        if (policies.skipped) notes.push(`The app management policies could not be read (${policies.skipped}): credential-lifetime-over-policy was not checked. Grant Policy.Read.All to include it.`);
        return { apps, policies: policies.policies, ...(tenant ? { tenant } : {}), requests: reader.requests, pages: reader.pages, throttled: reader.throttled, notes, ...(policies.skipped ? { policySkipped: policies.skipped } : {}) };
    } finally {
        reader.close();
    }
}

/** A query this Graph endpoint does not offer (400 Request_UnsupportedQuery, 404, 501): worth the other way; not 401/403/429. */
const isBadRequest = (error: unknown) => {
    const status = isGraphError(error) ? error.status ?? 0 : 0;
    return (status >= 400 && status < 500 && ![401, 403, 429].includes(status)) || status === 501;
};

/**
 * Object ids of the applications without an owner; undefined when Graph answers neither query.
 * First the advanced query (https://learn.microsoft.com/graph/aad-advanced-queries: owners/$count
 * needs ConsistencyLevel: eventual and $count=true): one pass at 999 per page, instead of
 * $expand=owners, which caps a page at 100 objects (https://learn.microsoft.com/graph/query-parameters#expand).
 * Where a Graph endpoint does not offer advanced queries, $expand=owners: more pages, same answer.
 */
async function readOwnerless(reader: GraphReader, base: string, notes: string[]): Promise<string[] | undefined> {
    try {
        const ownerless = await reader.list<{ id: string }>("applicationsWithoutOwners",
            `${base}/applications?${new URLSearchParams({ $filter: "owners/$count eq 0", $count: "true", $select: "id", $top: String(GRAPH_MAX_PAGE_SIZE) })}`, { ConsistencyLevel: "eventual" });
        return ownerless.filter((a) => typeof a?.id === "string").map((a) => a.id);
    } catch (error) {
        if (!isBadRequest(error)) throw error;
    }
    try {
        const expanded = await reader.list<{ id: string; owners?: unknown[] | null }>("applicationOwners",
            `${base}/applications?${new URLSearchParams({ $select: "id", $expand: "owners", $top: String(GRAPH_MAX_PAGE_SIZE) })}`);
        return expanded.filter((a) => typeof a?.id === "string" && (Array.isArray(a.owners) ? a.owners : []).length === 0).map((a) => a.id);
    } catch (error) {
        if (!isBadRequest(error)) throw error;
        notes.push("Graph answered neither owners/$count nor $expand=owners: apps without an owner are not reported.");
        return undefined;
    }
}

/** The policies, or why not: a 403 there (no Policy.Read.All) skips one check instead of the whole audit. */
async function readPoliciesOrSkip(reader: GraphReader, base: string): Promise<{ policies: TenantPolicies; skipped?: string }> {
    try {
        return { policies: await readPolicies(reader, base) };
    } catch (error) {
        if ((error as { status?: number }).status !== 403) throw error;
        return { policies: { tenantDefault: undefined, appPolicies: [] }, skipped: "Graph answered 403 to /v1.0/policies: no Policy.Read.All" };
    }
}

async function readPolicies(reader: GraphReader, base: string): Promise<TenantPolicies> {
    const tenantDefault = await reader.get<TenantAppManagementPolicy>(`${base}/policies/defaultAppManagementPolicy`);
    const listed = await reader.list<Omit<AppManagementPolicy, "appliesTo">>("appManagementPolicies", `${base}/policies/appManagementPolicies`);
    // One appliesTo listing per policy: a tenant has a handful of policies, not one per app.
    const appPolicies = await Promise.all(listed.filter((p) => typeof p?.id === "string").map(async (policy) => {
        const embedded = (policy as { appliesTo?: { id: string }[] }).appliesTo;
        const appliesTo = Array.isArray(embedded) ? embedded
            : await reader.list<{ id: string }>("appManagementPolicyAppliesTo", `${base}/policies/appManagementPolicies/${encodeURIComponent(policy.id)}/appliesTo?$select=id`);
        return { ...policy, appliesTo: appliesTo.filter((o) => typeof o?.id === "string").map((o) => o.id) };
    }));
    return { tenantDefault, appPolicies };
}
