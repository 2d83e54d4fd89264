// The Graph stand-in holds to Graph's documented rules, so a client that breaks one fails here
// as it would against Graph (sources in localGraph.ts's header).
import { strict as assert } from "assert";
import { DateTime } from "luxon";
import { LocalGraph, startLocalGraph } from "./localGraph";
import { findingsTenant } from "./tenants";
import { trustedTls } from "../vault/tls";
import { TokenServer, startTokenServer } from "../vault/tokenServer";

const CLIENT = { clientId: "3c3c3c3c-1111-4222-8333-444444444444", secret: "stand-in-test-client-secret-value-000" };

describe("local Microsoft Graph stand-in", function () {
    this.timeout(30_000);
    let tokenServer: TokenServer;
    let graph: LocalGraph;
    let ca: string;
    let token: string;

    before(async () => {
        ca = (await trustedTls()).ca;
        tokenServer = await startTokenServer({ clients: [{ clientId: CLIENT.clientId, secrets: [{ value: CLIENT.secret }] }] });
        const fixture = findingsTenant(DateTime.utc());
        // More owners than $expand returns, for the expand rule.
        fixture.tenant.applications[0].owners = Array.from({ length: 25 }, (_, i) => ({ id: `owner-${i}`, displayName: `Owner ${i}`, userPrincipalName: `o${i}@contoso.example` }));
        graph = await startLocalGraph({ tokenServer, tenant: fixture.tenant });
        token = await getToken(`${graph.url}/.default`);
    });
    after(async () => {
        await graph?.close();
        await tokenServer?.close();
    });

    async function getToken(scope: string): Promise<string> {
        const response = await fetchJson(`${tokenServer.authorityHost}/${tokenServer.tenantId}/oauth2/v2.0/token`, {
            method: "POST", body: new URLSearchParams({ client_id: CLIENT.clientId, client_secret: CLIENT.secret, scope, grant_type: "client_credentials" }).toString(),
            headers: { "content-type": "application/x-www-form-urlencoded" },
        });
        return (response.body as { access_token: string }).access_token;
    }

    function fetchJson(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }> {
        const https = require("https") as typeof import("https");
        return new Promise((resolve, reject) => {
            const request = https.request(url, { method: init.method ?? "GET", headers: init.headers, ca }, (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) }));
            });
            request.on("error", reject);
            request.end(init.body);
        });
    }

    const get = (path: string, headers: Record<string, string> = {}, bearer = token) => fetchJson(`${graph.url}${path}`, { headers: { authorization: `Bearer ${bearer}`, ...headers } });

    it("pages with @odata.nextLink that carries the query options, $top from 1 to 999", async () => {
        const first = await get("/v1.0/applications?$select=id,displayName&$top=20");
        assert.equal(first.status, 200);
        assert.equal((first.body.value as unknown[]).length, 20);
        assert.deepEqual(Object.keys((first.body.value as object[])[0]).sort(), ["displayName", "id"]);
        const next = new URL(first.body["@odata.nextLink"] as string);
        assert.equal(next.searchParams.get("$select"), "id,displayName");
        assert.equal(next.searchParams.get("$top"), "20");
        const second = await get(next.pathname + next.search);
        assert.equal((second.body.value as unknown[]).length, 20);
        const all = await get("/v1.0/applications?$top=999");
        assert.equal((all.body.value as unknown[]).length, 51);
        assert.equal(all.body["@odata.nextLink"], undefined);
        const tooMany = await get("/v1.0/applications?$top=1000");
        assert.equal(tooMany.status, 400);
        assert.match(JSON.stringify(tooMany.body), /Must be between 1 and 999/);
        const badSelect = await get("/v1.0/applications?$select=id,secretValue");
        assert.equal(badSelect.status, 400);
    });

    it("serves passwordCredentials with the hint (first three characters) and never the secret", async () => {
        const page = await get("/v1.0/applications?$select=displayName,passwordCredentials&$top=999");
        const apps = page.body.value as { displayName: string; passwordCredentials: { hint: string; secretText: null; keyId: string }[] }[];
        const source = graph.tenant.applications;
        for (const app of apps) {
            const stored = source.find((a) => a.displayName === app.displayName)!;
            app.passwordCredentials.forEach((p, i) => {
                assert.equal(p.hint, stored.passwordCredentials[i].secretValue.slice(0, 3));
                assert.equal(p.secretText, null);
            });
        }
        assert.ok(!JSON.stringify(page.body).includes(source[0].passwordCredentials[0].secretValue));
    });

    it("limits $expand=owners to 100 objects a page and 20 owners each; owners/$count needs the advanced-query headers", async () => {
        const expanded = await get("/v1.0/applications?$select=id&$expand=owners&$top=999");
        assert.equal(expanded.status, 200);
        const value = expanded.body.value as { owners: unknown[] }[];
        assert.ok(value.length <= 100);
        assert.equal(value[0].owners.length, 20);
        const plain = await get("/v1.0/applications?$filter=owners/$count eq 0&$select=id");
        assert.equal(plain.status, 400);
        const advanced = await get("/v1.0/applications?$filter=owners/$count eq 0&$count=true&$select=id", { ConsistencyLevel: "eventual" });
        assert.equal(advanced.status, 200);
        assert.equal(advanced.body["@odata.count"], 1);
    });

    it("serves the app management policies and whom a policy applies to", async () => {
        const tenantDefault = await get("/v1.0/policies/defaultAppManagementPolicy");
        assert.equal(tenantDefault.body.isEnabled, true);
        assert.equal((tenantDefault.body.applicationRestrictions as { passwordCredentials: { restrictionType: string }[] }).passwordCredentials[0].restrictionType, "passwordLifetime");
        const policies = await get("/v1.0/policies/appManagementPolicies");
        const policy = (policies.body.value as { id: string; appliesTo?: unknown }[])[0];
        assert.equal(policy.appliesTo, undefined, "appliesTo is a relationship, listed separately");
        const appliesTo = await get(`/v1.0/policies/appManagementPolicies/${policy.id}/appliesTo?$select=id`);
        assert.equal((appliesTo.body.value as unknown[]).length, 1);
    });

    it("answers 401 to a token for another audience, 403 Authorization_RequestDenied without the permission, 429 with Retry-After", async () => {
        const vaultToken = await getToken("https://vault.azure.net/.default");
        const wrongAudience = await get("/v1.0/applications", {}, vaultToken);
        assert.equal(wrongAudience.status, 401);
        assert.equal((wrongAudience.body.error as { code: string }).code, "InvalidAuthenticationToken");
        const claims = tokenServer.verifyAccessToken(token, graph.url);
        graph.grant(claims.oid, ["Application.Read.All"]);
        const denied = await get("/v1.0/policies/defaultAppManagementPolicy");
        assert.equal(denied.status, 403);
        assert.deepEqual([(denied.body.error as { code: string }).code, (denied.body.error as { message: string }).message], ["Authorization_RequestDenied", "Insufficient privileges to complete the operation."]);
        graph.grant(claims.oid, ["Application.Read.All", "Policy.Read.All"]);
        graph.throttle({ count: 1, retryAfterSeconds: 7 });
        const throttled = await get("/v1.0/servicePrincipals");
        assert.equal(throttled.status, 429);
        assert.equal(throttled.headers["retry-after"], "7");
        assert.equal((await get("/v1.0/servicePrincipals")).status, 200);
    });
});
