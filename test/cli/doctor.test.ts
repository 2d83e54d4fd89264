// keyrelay doctor's judgement (pure) and the command end to end against the local Graph stand-in,
// with the repository's reference program loaded as `keyrelay plan` loads it.
import { strict as assert } from "assert";
import * as path from "path";
import { DateTime } from "luxon";
import { runCli } from "../../cli/main";
import { EXIT_CRITICAL, EXIT_ENVIRONMENT, EXIT_OK, EXIT_WARNING } from "../../cli/errors";
import { judgeTenant } from "../../cli/doctor/tenantRules";
import { TenantPolicies } from "../../cli/audit/model";
import { LocalGraph, StandInTenant, startLocalGraph } from "../graph/localGraph";
import { TokenServer, startTokenServer } from "../vault/tokenServer";
import { capturedContext, signInOperator } from "./fixtures";

const now = DateTime.fromISO("2026-12-04T00:00:00Z", { zone: "utc" });
const restriction = (restrictionType: string, after: string, maxLifetime: string | null = null) => ({ restrictionType, maxLifetime, restrictForAppsCreatedAfterDateTime: after, state: "enabled" });
const tenantDefault = (passwordCredentials: ReturnType<typeof restriction>[]): TenantPolicies["tenantDefault"] => ({
    isEnabled: true, applicationRestrictions: { passwordCredentials }, servicePrincipalRestrictions: { passwordCredentials: [] },
});

describe("keyrelay doctor: the tenant's rules against the declared fleet", () => {
    const old = { id: "obj-old", appId: "app-old", displayName: "billing-api", createdDateTime: "2020-01-01T00:00:00Z" };

    it("passwordAddition blocks a new app and an app created after its cut-off, not an older one", () => {
        const policies = { tenantDefault: tenantDefault([restriction("passwordAddition", "2024-01-01T00:00:00Z")]), appPolicies: [] };
        const problems = judgeTenant({ declared: [{ displayName: "billing-api", validForDays: 181 }, { displayName: "new-app", validForDays: 61 }], tenantApps: [old], policies, owned: new Set(["obj-old"]), now });
        assert.deepEqual(problems.map((p) => `${p.code} ${p.app}`), ["password-addition-blocked new-app"]);
        assert.match(problems[0].message, /new: created by the first pulumi up.*tenant default app management policy blocks adding passwords/);
    });

    it("a passwordLifetime under validFor is critical; an assigned policy replaces the default; an app not owned is a warning", () => {
        const policies: TenantPolicies = {
            tenantDefault: tenantDefault([restriction("passwordLifetime", "2019-01-01T00:00:00Z", "P90D")]),
            appPolicies: [{ id: "p1", displayName: "Long secrets", isEnabled: true, restrictions: { passwordCredentials: [restriction("passwordLifetime", "2019-01-01T00:00:00Z", "P365D")] }, appliesTo: ["obj-old"] }],
        };
        const problems = judgeTenant({ declared: [{ displayName: "billing-api", validForDays: 181 }, { displayName: "reporting-portal", validForDays: 361 }], tenantApps: [old], policies, owned: new Set(), now });
        assert.deepEqual(problems.map((p) => `${p.code} ${p.app}`), ["not-owned-by-deployer billing-api", "lifetime-over-policy reporting-portal"]);
        assert.match(problems[1].message, /validFor is 361 days, over the 90-day passwordLifetime of the tenant default app management policy.*CredentialInvalidLifetimeAsPerAppPolicy/);
        assert.equal(judgeTenant({ declared: [{ displayName: "billing-api", validForDays: 181 }], tenantApps: [old], policies: { ...policies, appPolicies: [] }, owned: new Set(["obj-old"]), now })[0].code, "lifetime-over-policy", "control: without the assigned policy the default binds");
    });
});

describe("keyrelay doctor (local Graph and token server)", function () {
    this.timeout(120_000);
    let tokenServer: TokenServer;
    let graph: LocalGraph;
    let operator: { objectId: string; restore: () => void };
    const repository = path.resolve(__dirname, "../../examples/reference-stack");

    function tenant(passwordCredentials: StandInTenant["defaultAppManagementPolicy"]["applicationRestrictions"]["passwordCredentials"], ownedBy: string): StandInTenant {
        const app = (name: string, owner: string) => ({
            id: `00000000-0000-4000-8000-${name.length.toString().padStart(12, "0")}`, appId: `10000000-0000-4000-8000-${name.length.toString().padStart(12, "0")}`, displayName: name,
            signInAudience: "AzureADMyOrg", createdDateTime: "2021-05-01T00:00:00Z", passwordCredentials: [], keyCredentials: [], owners: [{ id: owner, displayName: "deployer", userPrincipalName: "deployer@contoso.example" }],
        });
        return {
            applications: [app("billing-api", ownedBy)], servicePrincipals: [],
            defaultAppManagementPolicy: {
                id: "00000000-0000-0000-0000-000000000000", displayName: "Default app management tenant policy", description: "", isEnabled: true,
                applicationRestrictions: { passwordCredentials, keyCredentials: [] }, servicePrincipalRestrictions: { passwordCredentials: [], keyCredentials: [] },
            },
            appManagementPolicies: [],
        };
    }

    before(async () => {
        tokenServer = await startTokenServer();
        operator = signInOperator(tokenServer);
    });
    afterEach(async () => graph?.close());
    after(async () => {
        operator.restore();
        await tokenServer.close();
    });

    async function doctor(args: string[] = []) {
        const context = await capturedContext({ cwd: repository });
        const code = await runCli(["doctor", "--program", repository, "--graph-url", graph.url, "--authority-host", tokenServer.authorityHost, "--json", ...args], context);
        return { code, out: context.out.join(""), err: context.err.join("") };
    }

    it("a tenant capping passwords at 90 days: exit 2 before any pulumi up, naming each app over the cap; the deployer's owned objects read by its service principal", async () => {
        graph = await startLocalGraph({ tokenServer, tenant: tenant([{ restrictionType: "passwordLifetime", maxLifetime: "P90D", restrictForAppsCreatedAfterDateTime: "2019-01-01T00:00:00Z", state: "enabled" }], operator.objectId) });
        const { code, out, err } = await doctor();
        assert.equal(code, EXIT_CRITICAL, err);
        const report = JSON.parse(out);
        assert.equal(report.schema, "keyrelay-doctor/1");
        assert.deepEqual(report.deployer, { kind: "servicePrincipal", objectId: operator.objectId });
        assert.deepEqual(report.apps.map((a: { displayName: string; validForDays: number }) => `${a.displayName} ${a.validForDays}`), ["billing-api 181", "orders-worker 61", "reporting-portal 361"]);
        assert.deepEqual(report.problems.map((p: { code: string; app: string }) => `${p.code} ${p.app}`), ["lifetime-over-policy billing-api", "lifetime-over-policy reporting-portal"]);
        assert.ok(graph.requests.some((r) => r.path === `/v1.0/servicePrincipals/${operator.objectId}/ownedObjects` && r.status === 200));
        assert.ok(!graph.requests.some((r) => r.path.startsWith("/v1.0/me")), "an app-only token has no /me");
    });

    it("an existing app the deployer does not own is a warning (exit 1); a clean tenant exits 0", async () => {
        graph = await startLocalGraph({ tokenServer, tenant: tenant([], "someone-else") });
        const notOwned = await doctor();
        assert.equal(notOwned.code, EXIT_WARNING, notOwned.err);
        assert.match(notOwned.out, /not-owned-by-deployer/);
        await graph.close();
        graph = await startLocalGraph({ tokenServer, tenant: tenant([], operator.objectId) });
        const clean = await doctor([]);
        assert.equal(clean.code, EXIT_OK, clean.err + clean.out);
    });

    it("without Policy.Read.All: exit 4 naming the permission", async () => {
        graph = await startLocalGraph({ tokenServer, tenant: tenant([], operator.objectId) });
        graph.grant(operator.objectId, ["Application.Read.All"]);
        const { code, err } = await doctor();
        assert.equal(code, EXIT_ENVIRONMENT);
        assert.match(err, /cannot read the tenant's app management policies .*Policy\.Read\.All/);
    });
});
