// The audit a security lead may run: by default no secret value is read (a list permission is
// enough), secrets are tied to credentials by their key-id tag and expiry, and the report says which
// checks ran. The default --timeout is computed for a tenant of 20,000 apps.
import { strict as assert } from "assert";
import { DateTime } from "luxon";
import { auditBudget, DEFAULT_AUDIT_TIMEOUT, GRAPH_RESOURCE_UNITS_PER_10S, LARGE_TENANT } from "../../cli/audit/budget";
import { REQUEST_TIMEOUT_MS } from "../../lib/deadline";
import { matchByMetadata } from "../../cli/audit/metadataMatch";
import { DirectoryApp } from "../../cli/audit/model";
import { parseTimeout } from "../../lib/deadline";
import { EXIT_CRITICAL } from "../../cli/errors";
import { AuditBed, startAuditBed } from "../graph/auditBed";
import { findingsTenant } from "../graph/tenants";

describe("keyrelay audit without --read-values (metadata only)", function () {
    this.timeout(60_000);
    let bed: AuditBed;
    before(async () => { bed = await startAuditBed(findingsTenant); });
    after(async () => bed?.close());

    const valueReads = () => bed.vault.requests.filter((r) => r.method === "GET" && /^\/secrets\/[^/]+\/?/.test(r.path) && r.status !== 401);

    it("reads no value, needs only the list permission, ties secrets by key-id tag and expiry, and says which checks ran", async () => {
        bed.vault.grant(bed.operatorObjectId, ["readMetadata"]);
        const before = valueReads().length;
        try {
            const { code, out, err } = await bed.run(["--vault", bed.vault.url, ...bed.fixture.map.flatMap((m) => ["--map", m]), "--json"]);
            assert.equal(code, EXIT_CRITICAL, err);
            assert.equal(valueReads().length, before, "no GET of a secret's value");
            const report = JSON.parse(out);
            assert.equal(report.checks.readValues, false);
            assert.deepEqual(report.checks.matchSecretsBy, ["key-id tag", "expiry"]);
            assert.deepEqual(report.checks.skipped.map((s: { check: string }) => s.check), ["secret-holds-secret-id", "secret-value-whitespace", "hint match"]);
            const codes = new Set(report.findings.map((f: { code: string }) => f.code));
            assert.ok(!codes.has("secret-value-whitespace") && !codes.has("secret-holds-secret-id"));
            const keyrelay = report.secrets.filter((s: { name: string }) => s.name.startsWith("keyrelay-"));
            assert.ok(keyrelay.length > 0 && keyrelay.every((s: { matchedBy: string; hint: null }) => s.matchedBy === "key-id tag" && s.hint === null));
            const notify = report.secrets.find((s: { name: string }) => s.name === "notify-api-secret");
            assert.equal(notify.matchedBy, "expiry");
            assert.deepEqual(notify.findings, ["secret-behind-rotation"], "found from metadata alone");
            const text = await bed.run(["--vault", bed.vault.url]);
            assert.match(text.out, /Checks: metadata only, no secret value read; secrets matched by key-id tag, expiry\. Skipped: secret-holds-secret-id, secret-value-whitespace, hint match \(secret values not read \(add --read-values/);
        } finally {
            bed.vault.grant(bed.operatorObjectId, ["getSecret", "readMetadata"]);
        }
    });

    it("--read-values reads each tied secret once and runs the value checks", async () => {
        const before = valueReads().length;
        const { out } = await bed.run(["--vault", bed.vault.url, ...bed.fixture.map.flatMap((m) => ["--map", m]), "--read-values", "--json"]);
        const report = JSON.parse(out);
        assert.equal(valueReads().length - before, report.secrets.length);
        assert.equal(report.checks.readValues, true);
        assert.deepEqual(report.checks.skipped, []);
        assert.ok(report.findings.some((f: { code: string }) => f.code === "secret-value-whitespace"));
    });
});

describe("matchByMetadata", () => {
    const now = DateTime.fromISO("2026-12-01T00:00:00Z", { zone: "utc" });
    const app = (appId: string, keyId: string, end: string): DirectoryApp => ({
        kind: "application", id: `obj-${appId}`, appId, displayName: appId, keyCredentials: [],
        passwordCredentials: [{ keyId, startDateTime: "2026-06-01T00:00:00Z", endDateTime: end }],
    });
    const billing = app("billing", "aaaa-1", "2027-06-01T00:00:00Z");
    const hr = app("hr", "bbbb-2", "2027-06-01T00:00:00Z");
    const owners = new Map([["aaaa-1", billing], ["bbbb-2", hr]]);

    it("a key-id tag of another app's credential is secret-wrong-app; an unknown one is secret-stale; an expiry within a day matches", () => {
        assert.equal(matchByMetadata({ keyIdTag: "AAAA-1", expiresOn: undefined }, [billing], owners, now).kind, "matched");
        const wrong = matchByMetadata({ keyIdTag: "bbbb-2", expiresOn: undefined }, [billing], owners, now);
        assert.equal(wrong.kind === "finding" && wrong.code, "secret-wrong-app");
        const gone = matchByMetadata({ keyIdTag: "cccc-3", expiresOn: undefined }, [billing], owners, now);
        assert.equal(gone.kind === "finding" && gone.code, "secret-stale");
        const byExpiry = matchByMetadata({ expiresOn: new Date("2027-06-01T12:00:00Z") }, [billing], owners, now);
        assert.equal(byExpiry.kind === "matched" && byExpiry.by, "expiry");
        assert.equal(matchByMetadata({ expiresOn: new Date("2027-09-01T00:00:00Z") }, [billing], owners, now).kind, "unmatched");
    });
});

describe("the audit's default --timeout", () => {
    it("fits 20,000 apps at Graph's and Key Vault's published limits, and a silent host is still caught per request", () => {
        const budget = auditBudget(LARGE_TENANT);
        // 21 pages of 999 for applications, 22 for service principals, 21 for apps without owners, 3 for policies.
        assert.equal(budget.graphRequests, 67);
        assert.ok(budget.graphResourceUnits < GRAPH_RESOURCE_UNITS_PER_10S, "the whole Graph read fits one 10-second bucket of a small tenant");
        assert.equal(budget.vaultRequests, 800 + 20_000);
        const defaultMs = parseTimeout(DEFAULT_AUDIT_TIMEOUT, "audit");
        assert.ok(defaultMs >= budget.neededMs, `${DEFAULT_AUDIT_TIMEOUT} covers ${Math.round(budget.neededMs / 1000)} s`);
        assert.ok(defaultMs < budget.neededMs + 60_000, "and not more than a minute over");
        assert.ok(REQUEST_TIMEOUT_MS <= 30_000, "each request is bounded on its own");
    });
});
