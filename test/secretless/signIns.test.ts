import { strict as assert } from "assert";
import { DateTime, Duration } from "luxon";
import { lastSignInsByKey, parseSignInWindow, unusedThroughout } from "../../lib/signInMatch";
import { lastSignIns, signInsUrl } from "../../lib/signIns";

const NOW = DateTime.fromISO("2026-12-04T12:00:00Z", { zone: "utc" });
const A = "9699cd6c-b32e-4f8a-a1ca-c10cc35b0304";
const B = "79a1a54c-e5ce-4dd7-a3eb-03dac0a9030b";
const at = (hoursAgo: number) => NOW.minus({ hours: hoursAgo }).toISO({ suppressMilliseconds: true })!;

describe("sign-in matching (pure)", () => {
    it("keeps each credential's newest sign-in in the window with its IP and resource, and counts them", () => {
        const byKey = lastSignInsByKey([
            { createdDateTime: at(30), servicePrincipalCredentialKeyId: A.toUpperCase(), ipAddress: "198.51.100.1", resourceDisplayName: "Azure Key Vault" },
            { createdDateTime: at(2), servicePrincipalCredentialKeyId: A, ipAddress: "203.0.113.7", resourceDisplayName: null, resourceId: "cfa8b339" },
            { createdDateTime: at(24 * 8), servicePrincipalCredentialKeyId: B, ipAddress: "198.51.100.2" },
            { createdDateTime: at(1), servicePrincipalCredentialKeyId: null, ipAddress: "198.51.100.3" },
        ], NOW.minus({ days: 7 }));
        assert.deepEqual([...byKey.keys()], [A]);
        assert.deepEqual(byKey.get(A), { keyId: A, at: at(2), ipAddress: "203.0.113.7", resource: "cfa8b339", count: 2 });
        assert.equal(unusedThroughout(B, byKey, NOW, Duration.fromISO("P7D")), true);
        assert.equal(unusedThroughout(A, byKey, NOW, Duration.fromISO("P7D")), false);
    });

    it("accepts windows from an hour to the 30 days the logs keep", () => {
        assert.equal(parseSignInWindow("P7D").as("days"), 7);
        assert.equal(parseSignInWindow("PT1H").as("hours"), 1);
        assert.throws(() => parseSignInWindow("P31D"), /up to 30 days back/);
        assert.throws(() => parseSignInWindow("7 days"), /not an ISO-8601 duration/);
    });
});

describe("lastSignIns (the reusable reader)", () => {
    const GRAPH = "https://graph.microsoft.com";

    it("narrows to the key ids, pages through same-origin links, and matches locally", async () => {
        const urls: string[] = [];
        const evidence = await lastSignIns([A], Duration.fromISO("P7D"), {
            graphUrl: GRAPH,
            async get<T>(url: string) {
                urls.push(url);
                return (urls.length === 1
                    ? { value: [{ createdDateTime: at(5), servicePrincipalCredentialKeyId: A, ipAddress: "198.51.100.1" }], "@odata.nextLink": `${GRAPH}/beta/auditLogs/signIns?$skiptoken=x` }
                    : { value: [{ createdDateTime: at(1), servicePrincipalCredentialKeyId: A, ipAddress: "198.51.100.9" }] }) as T;
            },
        }, NOW);
        assert.ok(evidence.available);
        assert.equal(evidence.byKey.get(A)?.ipAddress, "198.51.100.9");
        assert.equal(evidence.pages, 2);
        assert.equal(new URL(urls[0]).searchParams.get("$filter"), `signInEventTypes/any(t: t eq 'servicePrincipal') and createdDateTime ge 2026-11-27T12:00:00Z and (servicePrincipalCredentialKeyId eq '${A}')`);
    });

    it("refuses a next-page link to another origin: the token never leaves Graph", async () => {
        const urls: string[] = [];
        const evidence = await lastSignIns(undefined, Duration.fromISO("P7D"), {
            graphUrl: GRAPH,
            async get<T>(url: string) { urls.push(url); return { value: [], "@odata.nextLink": "https://attacker.example/steal?x=1" } as T; },
        }, NOW);
        assert.equal(evidence.available, false);
        assert.match(!evidence.available ? evidence.reason : "", /another origin \(attacker\.example\); it was not followed/);
        assert.deepEqual(urls, [signInsUrl(GRAPH, NOW.minus({ days: 7 }))]);
    });

    it("repeats without the key-id filter when Graph refuses it (400), and fails closed on a 403", async () => {
        const filters: string[] = [];
        const evidence = await lastSignIns([A, B], Duration.fromISO("P7D"), {
            graphUrl: GRAPH,
            async get<T>(url: string) {
                const filter = new URL(url).searchParams.get("$filter")!;
                filters.push(filter);
                if (filter.includes("servicePrincipalCredentialKeyId")) throw Object.assign(new Error("unsupported"), { status: 400 });
                return { value: [{ createdDateTime: at(3), servicePrincipalCredentialKeyId: B }, { createdDateTime: at(3), servicePrincipalCredentialKeyId: "other" }] } as T;
            },
        }, NOW);
        assert.equal(filters.length, 2);
        assert.ok(evidence.available);
        assert.deepEqual([...evidence.byKey.keys()], [B]);
        const denied = await lastSignIns([A], Duration.fromISO("P7D"), { graphUrl: GRAPH, async get() { throw Object.assign(new Error("denied"), { status: 403 }); } }, NOW);
        assert.equal(denied.available, false);
        assert.match(!denied.available ? denied.reason : "", /AuditLog\.Read\.All.*Entra ID P1 or P2/);
    });
});

describe("sign-in findings (pure)", () => {
    it("keeps tenant text from the logs on one printable line", async () => {
        const { judgeSignIns } = await import("../../cli/audit/signInFindings");
        const credential = {
            app: { displayName: "billing-api", appId: "214aa188-3c4f-4d02-af5b-d14dcc312684", kind: "application" as const, objectId: "o", signInAudience: null, hasOwner: true },
            type: "password" as const, keyId: A, displayName: "slot a", hint: "Qx7", startDateTime: at(24 * 100), endDateTime: NOW.plus({ days: 30 }).toISO()!,
            daysLeft: 30, lifetimeDays: 130, lifetimeLimitDays: null, lifetimeLimitSource: null, managedByKeyrelay: true, retiring: true, heldBy: [],
        };
        const lastByKey = new Map([[A, { keyId: A, at: at(2), ipAddress: "203.0.113.7\u001b[2J", resource: "Graph\nFAKE LINE\u202e", count: 1 }]]);
        const [finding] = judgeSignIns({ credentials: [credential], secrets: [], lastByKey, window: Duration.fromISO("P7D"), windowText: "P7D", now: NOW });
        assert.equal(finding.code, "credential-retiring-in-use");
        assert.doesNotMatch(finding.message, /[\u0000-\u001f\u202e]/);
        assert.match(finding.message, /from 203\.0\.113\.7\?\[2J for Graph\?FAKE LINE\?\./);
    });
});
