// The local Graph's beta auditLogs/signIns, as documented (test/graph/signInLogs.ts names the sources).
import { strict as assert } from "assert";
import { StandInSignIn, signInPage } from "../graph/signInLogs";

const BASE = "https://127.0.0.1:4443";
const KEY = "9699cd6c-b32e-4f8a-a1ca-c10cc35b0304";
const signIn = (n: number, keyId: string | null): StandInSignIn => ({
    id: `s${n}`, createdDateTime: `2026-12-0${1 + (n % 3)}T0${n % 10}:00:00Z`, appId: "app", appDisplayName: "App", servicePrincipalId: "sp",
    servicePrincipalCredentialKeyId: keyId, ipAddress: "198.51.100.1", resourceDisplayName: "Azure Key Vault", resourceId: "r", status: { errorCode: 0, failureReason: null },
});
const LOGS = [...Array.from({ length: 5 }, (_, i) => signIn(i, KEY)), signIn(7, null)];
const fail = (status: number, code: string, message: string): never => { throw Object.assign(new Error(message), { status, code }); };
const page = (query: Record<string, string>, options = {}) => signInPage(new URL(`${BASE}/beta/auditLogs/signIns?${new URLSearchParams(query)}`), LOGS, BASE, options, fail) as { value: StandInSignIn[]; "@odata.nextLink"?: string };
const SP = "signInEventTypes/any(t: t eq 'servicePrincipal')";

describe("local Graph: beta auditLogs/signIns", () => {
    it("holds service principal sign-ins only under the event-type filter, newest first", () => {
        assert.deepEqual(page({}).value, []);
        const all = page({ $filter: SP }).value;
        assert.equal(all.length, 6);
        assert.deepEqual(all.map((s) => s.createdDateTime), [...all.map((s) => s.createdDateTime)].sort().reverse());
    });

    it("filters on createdDateTime and servicePrincipalCredentialKeyId, and pages with a nextLink that keeps the query", () => {
        const first = page({ $filter: `${SP} and createdDateTime ge 2026-12-02T00:00:00Z and (servicePrincipalCredentialKeyId eq '${KEY}')`, $top: "2" });
        assert.equal(first.value.length, 2);
        const next = new URL(first["@odata.nextLink"]!);
        assert.equal(next.origin, BASE);
        assert.equal(next.searchParams.get("$filter"), `${SP} and createdDateTime ge 2026-12-02T00:00:00Z and (servicePrincipalCredentialKeyId eq '${KEY}')`);
        const second = signInPage(next, LOGS, BASE, {}, fail) as { value: StandInSignIn[]; "@odata.nextLink"?: string };
        assert.equal(second.value.length, 1);
        assert.equal(second["@odata.nextLink"], undefined);
    });

    it("answers 400 for a $top over 1,000 or a refused clause, and 403 without P1/P2", () => {
        assert.throws(() => page({ $filter: SP, $top: "1001" }), (e: any) => e.status === 400);
        assert.throws(() => page({ $filter: `${SP} and (servicePrincipalCredentialKeyId eq '${KEY}')` }, { keyIdFilter: false }), (e: any) => e.status === 400 && e.code === "Request_UnsupportedQuery");
        assert.throws(() => page({ $filter: SP }, { premium: false }), (e: any) => e.status === 403 && e.code === "Authentication_RequestFromNonPremiumTenantOrB2CTenant");
    });
});
