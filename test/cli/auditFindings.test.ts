// The audit's rules without any network: finding codes, severities, the lifetime policy Entra
// applies, keyrelay's retiring credentials, and what a value's facts may say.
import { strict as assert } from "assert";
import { DateTime } from "luxon";
import { AuditInput, SecretReading, judgeAudit } from "../../cli/audit/findings";
import { passwordLifetimeLimit } from "../../cli/audit/lifetimePolicy";
import { DirectoryApp, TenantPolicies } from "../../cli/audit/model";
import { secretValueFacts } from "../../cli/audit/valueFacts";
import { authorityForGraph, parseGraphUrl, parseMap } from "../../cli/audit/command";
import { parseTimeout } from "../../lib/deadline";

const NOW = DateTime.fromISO("2026-06-01T12:00:00Z", { zone: "utc" });
const day = (n: number) => NOW.plus({ days: n }).toISO()!;
const NO_POLICY: TenantPolicies = { tenantDefault: { isEnabled: false }, appPolicies: [] };

let counter = 0;
const id = () => `00000000-0000-4000-8000-${String(++counter).padStart(12, "0")}`;

function app(name: string, passwords: { from: number; to: number; hint?: string | null; displayName?: string }[], extra: Partial<DirectoryApp> = {}): DirectoryApp {
    return {
        kind: "application", id: id(), appId: id(), displayName: name, signInAudience: "AzureADMyOrg", createdDateTime: day(-400), hasOwner: true,
        passwordCredentials: passwords.map((p) => ({ keyId: id(), displayName: p.displayName ?? `${name} secret`, hint: p.hint === undefined ? "abc" : p.hint, startDateTime: day(p.from), endDateTime: day(p.to) })),
        keyCredentials: [],
        ...extra,
    };
}

function reading(target: DirectoryApp, value: string, expiresInDays: number | undefined, name = `${target.displayName}-secret`): SecretReading {
    return {
        vault: "https://kv-test.vault.azure.net", name, clientId: target.appId, source: "tag",
        expiresOn: expiresInDays === undefined ? undefined : NOW.plus({ days: expiresInDays }).toJSDate(), managedByKeyrelay: false,
        facts: secretValueFacts(value, [...target.passwordCredentials, ...target.keyCredentials].map((c) => c.keyId)),
    };
}

function judge(apps: DirectoryApp[], secrets: SecretReading[] = [], policies = NO_POLICY, warnDays = 30) {
    const input: AuditInput = { apps, policies, secrets, now: NOW, warnDays };
    return judgeAudit(input);
}

const codes = (j: ReturnType<typeof judge>) => j.findings.map((f) => `${f.code}:${f.severity}`).sort();

describe("audit rules (pure)", () => {
    it("expired is critical, expiring within --warn-days a warning, beyond it nothing", () => {
        assert.deepEqual(codes(judge([app("a", [{ from: -100, to: -1 }])])), ["credential-expired:critical"]);
        assert.deepEqual(codes(judge([app("b", [{ from: -100, to: 30 }])])), ["credential-expiring:warning"]);
        assert.deepEqual(codes(judge([app("c", [{ from: -100, to: 31 }])])), []);
        assert.deepEqual(codes(judge([app("d", [{ from: -100, to: 31 }])], [], NO_POLICY, 31)), ["credential-expiring:warning"]);
    });

    it("does not report a retiring keyrelay credential as expiring, but does its newest one", () => {
        const k = (slot: string, from: number) => `svc (keyrelay slot ${slot}, from ${NOW.plus({ days: from }).toISODate()})`;
        const rotated = app("svc", [{ from: -170, to: 10, displayName: k("a", -170) }, { from: -80, to: 100, displayName: k("b", -80) }]);
        const j = judge([rotated]);
        assert.deepEqual(codes(j), []);
        assert.deepEqual(j.credentials.map((c) => [c.managedByKeyrelay, c.retiring]), [[true, true], [true, false]]);
        // A hand-made credential with the same dates is reported.
        assert.deepEqual(codes(judge([app("manual", [{ from: -170, to: 10 }, { from: -80, to: 100 }])])), ["credential-expiring:warning"]);
        // When keyrelay's newest credential itself is near its end, the schedule has stopped: reported.
        assert.deepEqual(codes(judge([app("stalled", [{ from: -170, to: 10, displayName: k("a", -170) }])])), ["credential-expiring:warning"]);
    });

    it("holds passwords to the limit Entra applies: per-app policy, else the enabled tenant default, else 365 days", () => {
        const long = app("long", [{ from: -10, to: 300 }]);
        const restriction = (maxLifetime: string, after = "2000-01-01T00:00:00Z", state = "enabled") => ({ restrictionType: "passwordLifetime", maxLifetime, restrictForAppsCreatedAfterDateTime: after, state });
        const tenant = (isEnabled: boolean, r = restriction("P90D")): TenantPolicies => ({
            tenantDefault: { isEnabled, applicationRestrictions: { passwordCredentials: [r] }, servicePrincipalRestrictions: { passwordCredentials: [] } }, appPolicies: [],
        });
        assert.deepEqual(passwordLifetimeLimit(long, NO_POLICY), { days: 365, source: "no tenant limit: audit's 365 days" });
        assert.equal(passwordLifetimeLimit(long, tenant(false)).days, 365, "a disabled tenant policy sets no limit");
        assert.equal(passwordLifetimeLimit(long, tenant(true)).days, 90);
        assert.equal(passwordLifetimeLimit(long, tenant(true, restriction("P90D", "2000-01-01T00:00:00Z", "disabled"))).days, 365, "a disabled restriction");
        assert.equal(passwordLifetimeLimit(long, tenant(true, restriction("P90D", day(-100)))).days, 365, "the app predates restrictForAppsCreatedAfterDateTime");
        assert.equal(passwordLifetimeLimit({ ...long, kind: "servicePrincipal" }, tenant(true)).days, 365, "service principals have their own restrictions");
        const perApp: TenantPolicies = { ...tenant(true), appPolicies: [{ id: "p1", displayName: "two years", isEnabled: true, restrictions: { passwordCredentials: [restriction("P730D")] }, appliesTo: [long.id] }] };
        assert.deepEqual(passwordLifetimeLimit(long, perApp), { days: 730, source: 'appManagementPolicy "two years"' });
        assert.deepEqual(codes(judge([long], [], tenant(true))), ["credential-lifetime-over-policy:warning"]);
        assert.deepEqual(codes(judge([long], [], perApp)), []);
        assert.deepEqual(codes(judge([app("year", [{ from: -10, to: 355 }])])), [], "exactly 365 days is within");
        assert.deepEqual(codes(judge([app("over", [{ from: -10, to: 356 }])])), ["credential-lifetime-over-policy:warning"]);
    });

    it("reports an application without owners, never a service principal", () => {
        assert.deepEqual(codes(judge([app("lonely", [], { hasOwner: false })])), ["app-without-owner:warning"]);
        assert.deepEqual(codes(judge([app("sp", [], { kind: "servicePrincipal", hasOwner: undefined })])), []);
    });

    it("matches a vault value to the app's password by hint: stale, wrong app, expiry mismatch, behind rotation", () => {
        const mine = app("mine", [{ from: -20, to: 160, hint: "Mn1" }]);
        const other = app("other", [{ from: -20, to: 160, hint: "Ot2" }]);
        assert.deepEqual(codes(judge([mine, other], [reading(mine, "Mn1~value", 160)])), []);
        assert.deepEqual(codes(judge([mine, other], [reading(mine, "Ot2~value", 160)])), ["secret-wrong-app:critical"]);
        assert.deepEqual(codes(judge([mine, other], [reading(mine, "Zz9~value", 160)])), ["secret-stale:critical"]);
        assert.deepEqual(codes(judge([mine, other], [reading(mine, "Mn1~value", 158.5)])), ["secret-expiry-mismatch:warning"]);
        assert.deepEqual(codes(judge([mine, other], [reading(mine, "Mn1~value", 159.5)])), [], "within a day");
        assert.deepEqual(codes(judge([mine, other], [reading(mine, "Mn1~value", undefined)])), ["secret-expiry-mismatch:warning"], "no expiry in Key Vault");
        const rotated = app("rotated", [{ from: -60, to: 120, hint: "Old" }, { from: -1, to: 179, hint: "New" }]);
        assert.deepEqual(codes(judge([rotated], [reading(rotated, "Old~value", 120)])), ["secret-behind-rotation:warning"]);
        assert.deepEqual(codes(judge([rotated], [reading(rotated, "New~value", 179)])), []);
        const expiredToo = app("expired-too", [{ from: -200, to: -10, hint: "Exp" }, { from: -10, to: 170, hint: "Cur" }]);
        const stale = judge([expiredToo], [reading(expiredToo, "Exp~value", -10)]);
        assert.deepEqual(codes(stale).filter((c) => c.startsWith("secret")), ["secret-stale:critical"]);
        assert.match(stale.findings.find((f) => f.code === "secret-stale")!.message, /it is the expired "expired-too secret"/);
        // A password Graph shows without a hint could be the one: no verdict.
        const unknown = app("no-hint", [{ from: -20, to: 160, hint: null }]);
        assert.deepEqual(codes(judge([unknown], [reading(unknown, "Any~value", 160)])), []);
        // A client id the tenant does not have.
        const ghost = { ...reading(mine, "Mn1~value", 160), clientId: "11111111-2222-4333-8444-555555555555" };
        assert.deepEqual(codes(judge([mine], [ghost])), ["secret-stale:critical"]);
    });

    it("spots a Secret ID stored as the value, and copy-paste damage, without keeping any of the value", () => {
        const target = app("target", [{ from: -20, to: 160, hint: "Tg1" }]);
        const keyId = target.passwordCredentials[0].keyId;
        const holds = judge([target], [reading(target, `{${keyId.toUpperCase()}}`, 160)]);
        assert.deepEqual(codes(holds), ["secret-holds-secret-id:critical"]);
        assert.match(holds.findings[0].message, /it is the Secret ID of app "target" .*'s credential "target secret"/);
        assert.ok(!holds.findings[0].message.includes(keyId), "the value (here a keyId) is not repeated");
        assert.deepEqual(codes(judge([target], [reading(target, "9c8b7a65-4321-4fed-8cba-0123456789ab", 160)])), ["secret-holds-secret-id:critical"]);
        for (const [value, problem] of [
            ["Tg1~value-0123\n", "ends with a line break"], [" Tg1~value-0123", "starts with whitespace"], ['"Tg1~value-0123"', "is wrapped in quotes"],
            ["Tg1~value-0123\u200B", "ends with a zero-width character"], ["\uFEFFTg1~value-0123", "starts with a zero-width character"],
        ]) {
            const j = judge([target], [reading(target, value, 160)]);
            assert.deepEqual(codes(j), ["secret-value-whitespace:critical"], JSON.stringify(value));
            assert.match(j.findings[0].message, new RegExp(problem));
            assert.equal(j.secrets[0].hint, "Tg1", "matched on the value without its wrapping");
        }
        const facts = secretValueFacts("Secret-Value-That-Is-Long");
        assert.deepEqual(facts, { hint: "Sec", shownHint: "Sec", problems: [], guidShaped: false, equalsKeyId: undefined });
        assert.ok(!JSON.stringify(secretValueFacts(" quite-secret-thing\n")).includes("quite-"));
    });

    it("sorts critical findings first and gives every finding its fixed severity", () => {
        const j = judge([app("x", [{ from: -100, to: 5 }], { hasOwner: false }), app("y", [{ from: -100, to: -5 }])]);
        assert.deepEqual(j.findings.map((f) => f.code), ["credential-expired", "app-without-owner", "credential-expiring"]);
    });

    it("parses its options: national clouds, --map, --timeout", () => {
        assert.equal(parseGraphUrl(undefined), "https://graph.microsoft.com");
        assert.equal(parseGraphUrl("https://graph.microsoft.us/"), "https://graph.microsoft.us");
        assert.equal(parseGraphUrl("https://graph.microsoft.com/v1.0/"), "https://graph.microsoft.com");
        assert.throws(() => parseGraphUrl("https://graph.microsoft.com/beta"), /--graph-url is "https:\/\/graph\.microsoft\.com\/beta", not the https root/);
        assert.throws(() => parseGraphUrl("http://graph.microsoft.com"), /not the https root/);
        assert.equal(authorityForGraph("https://graph.microsoft.us"), "https://login.microsoftonline.us");
        assert.equal(authorityForGraph("https://microsoftgraph.chinacloudapi.cn"), "https://login.chinacloudapi.cn");
        assert.equal(authorityForGraph("https://graph.microsoft.com"), undefined, "the default authority");
        assert.deepEqual([...parseMap(["Billing-Secret=5E5E5E5E-AAAA-4BBB-8CCC-DDDDDDDDDDDD"])], [["billing-secret", "5e5e5e5e-aaaa-4bbb-8ccc-dddddddddddd"]]);
        assert.throws(() => parseMap(["billing=not-a-guid"]), /--map "billing=not-a-guid" is not secret=clientId/);
        assert.deepEqual(["60s", "2m", "90", "PT1M30S", "1500ms"].map((t) => parseTimeout(t, "audit")), [60_000, 120_000, 90_000, 90_000, 1_500]);
        for (const bad of ["0", "soon", "-5s", "25h"]) assert.throws(() => parseTimeout(bad, "audit"), /--timeout is/);
    });
});
