// Which tenant an audit is about, for the report's header: the organization's id and display name
// from Graph, or, when Graph refuses that read, the tenant id the token was issued for.
//
// GET /v1.0/organization?$select=id,displayName "returns ... collection of organization objects.
// Only one object is returned"; permissions, least privileged first: delegated User.Read (which
// reads id, displayName and verifiedDomains only), application Organization.Read.All, then
// Directory.Read.All (https://learn.microsoft.com/graph/api/organization-list). Application.Read.All,
// all audit otherwise needs, does not include it: a pipeline identity without Organization.Read.All
// gets 403, and the header falls back to the token's `tid` claim ("the tenant that the user is
// signing in to": https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
import { isGraphError } from "../../lib/errors";

export interface TenantIdentity {
    /** The directory (tenant) id; null when neither Graph nor the token names one. */
    id: string | null;
    /** The organization's display name; null when Graph did not answer it. */
    displayName: string | null;
    /** Where the id came from: Graph's organization object, or the token's tid claim. */
    source: "organization" | "token";
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The tid claim of a JWT access token, when it is a GUID; the signature is Graph's business, not ours. */
export function tenantIdOfToken(token: string | undefined): string | null {
    const payload = token?.split(".")[1];
    if (!payload) return null;
    try {
        const tid = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { tid?: unknown }).tid;
        return typeof tid === "string" && GUID.test(tid) ? tid.toLowerCase() : null;
    } catch {
        return null;
    }
}

export interface OrganizationReader {
    get<T>(url: string): Promise<T>;
    /** The tid claim of the token the reader holds. */
    tokenTenantId(): string | null;
}

/** The organization's id and name; a refusal (4xx but 429) falls back to the token's tenant id. */
export async function readTenantIdentity(reader: OrganizationReader, base: string): Promise<TenantIdentity> {
    try {
        const page = await reader.get<{ value?: { id?: unknown; displayName?: unknown }[] }>(`${base}/organization?$select=id,displayName`);
        const organization = Array.isArray(page?.value) ? page.value[0] : undefined;
        if (organization && typeof organization.id === "string" && GUID.test(organization.id)) {
            return { id: organization.id.toLowerCase(), displayName: typeof organization.displayName === "string" ? organization.displayName : null, source: "organization" };
        }
    } catch (error) {
        // A refusal (403 without Organization.Read.All, or any other 4xx) falls back: the name is for the header only.
        // Throttling past the budget, 5xx and no answer fail the audit as they do for every other Graph read.
        const status = isGraphError(error) ? error.status ?? 0 : 0;
        if (!(status >= 400 && status < 500 && status !== 429)) throw error;
    }
    return { id: reader.tokenTenantId(), displayName: null, source: "token" };
}
