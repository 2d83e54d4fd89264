// What doctor reads from Microsoft Graph: the tenant default and the assigned app management
// policies and every app (audit's reader: one pass, largest pages), and the objects the signed-in
// principal owns. "List ownedObjects" (https://learn.microsoft.com/graph/api/user-list-ownedobjects,
// serviceprincipal-list-ownedobjects): /me/ownedObjects needs a delegated token (a person after
// az login); an app-only token (a pipeline) has no /me, so its service principal's ownedObjects,
// by the token's oid. A delegated token carries `scp`, an app-only token does not
// (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
import type { TokenCredential } from "@azure/core-auth";
import { Deadline } from "../../lib/deadline";
import { GraphReader, readTenant } from "../audit/graphReader";
import { TenantPolicies } from "../audit/model";
import { TenantApp } from "./tenantRules";

export interface TenantReading {
    apps: TenantApp[];
    policies: TenantPolicies;
    policySkipped?: string;
    /** The deployer's owned object ids; undefined when Graph would not list them. */
    owned: Set<string> | undefined;
    deployer: { kind: "user" | "servicePrincipal"; objectId: string };
    notes: string[];
    requests: number;
}

function claimsOf(token: string): { oid?: string; scp?: string } {
    try {
        return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
    } catch {
        return {};
    }
}

export async function readTenantRules(options: { graphUrl: string; credential: TokenCredential; authorityHost: string; deadline: Deadline; tlsCa?: string }): Promise<TenantReading> {
    const tenant = await readTenant(options);
    const token = await options.credential.getToken(`${options.graphUrl}/.default`, { abortSignal: options.deadline.signal });
    const claims = claimsOf(token?.token ?? "");
    const deployer = { kind: claims.scp ? "user" as const : "servicePrincipal" as const, objectId: claims.oid ?? "" };
    const path = deployer.kind === "user" ? "/v1.0/me/ownedObjects" : `/v1.0/servicePrincipals/${encodeURIComponent(deployer.objectId)}/ownedObjects`;
    const reader = new GraphReader(options);
    const notes = [...tenant.notes];
    let owned: Set<string> | undefined;
    try {
        const objects = await reader.list<{ id: string }>("ownedObjects", `${options.graphUrl}${path}?$select=id`);
        owned = new Set(objects.map((o) => o.id));
    } catch (error) {
        if ((error as { status?: number }).status !== 403) throw error;
        notes.push(`Graph answered 403 to GET ${path}: ownership was not checked.`);
    } finally {
        reader.close();
    }
    return {
        apps: tenant.apps.filter((a) => a.kind === "application"), policies: tenant.policies,
        ...(tenant.policySkipped ? { policySkipped: tenant.policySkipped } : {}),
        owned, deployer, notes, requests: tenant.requests + reader.requests,
    };
}
