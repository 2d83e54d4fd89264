// keyrelay audit --sign-ins and the secretless section, end to end: the real command against the
// local Graph (beta sign-in logs, $expand=federatedIdentityCredentials), Key Vault and token server.
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DateTime } from "luxon";
import { EXIT_USAGE, EXIT_WARNING } from "../../cli/errors";
import { AuditBed, startAuditBed } from "../graph/auditBed";
import type { StandInDirectoryObject } from "../graph/localGraph";
import type { StandInSignIn } from "../graph/signInLogs";
import type { TenantFixture } from "../graph/tenants";

const RETIRING_IP = "203.0.113.7";

function tenant(now: DateTime): TenantFixture & { keyIds: Record<string, string> } {
    const iso = (days: number) => now.plus({ days }).toUTC().toISO({ suppressMilliseconds: true })!;
    const value = (hint: string) => `${hint}~${crypto.randomBytes(27).toString("base64url")}`;
    const app = (name: string, passwords: { name: string; from: number; to: number; value?: string }[], federated = 0): StandInDirectoryObject => ({
        id: crypto.randomUUID(), appId: crypto.randomUUID(), displayName: name, signInAudience: "AzureADMyOrg", createdDateTime: iso(-400),
        passwordCredentials: passwords.map((p) => ({ keyId: crypto.randomUUID(), displayName: p.name, secretValue: p.value ?? value("Zz9"), startDateTime: iso(p.from), endDateTime: iso(p.to) })),
        keyCredentials: [],
        owners: [{ id: crypto.randomUUID(), displayName: "Owner", userPrincipalName: "owner@contoso.example" }],
        federatedIdentityCredentials: Array.from({ length: federated }, (_, i) => ({
            id: crypto.randomUUID(), name: `github-${i}`, issuer: "https://token.actions.githubusercontent.com", subject: `repo:contoso/${name}:environment:e${i}`, audiences: ["api://AzureADTokenExchange"], description: null,
        })),
    });
    const inServiceValue = value("Kb1");
    const billing = app("billing-api", [
        { name: "billing-api (keyrelay slot a, from 2026-05-01)", from: -120, to: 60 },
        { name: "billing-api (keyrelay slot b, from 2026-08-01)", from: -30, to: 150, value: inServiceValue },
    ], 1);
    const deployer = app("deployer", [], 2);
    const legacy = app("legacy-report", [{ name: "legacy", from: -100, to: 200 }]);
    const fresh = app("fresh-app", [{ name: "fresh", from: -2, to: 300 }]);
    const signIn = (a: StandInDirectoryObject, keyId: string | null, minutesAgo: number, ip: string, resource: string): StandInSignIn => ({
        id: crypto.randomUUID(), createdDateTime: now.minus({ minutes: minutesAgo }).toUTC().toISO({ suppressMilliseconds: true })!,
        appId: a.appId, appDisplayName: a.displayName, servicePrincipalId: crypto.randomUUID(), servicePrincipalCredentialKeyId: keyId,
        ipAddress: ip, resourceDisplayName: resource, resourceId: crypto.randomUUID(), status: { errorCode: 0, failureReason: null },
    });
    const [slotA, slotB] = billing.passwordCredentials.map((p) => p.keyId);
    const signIns = [
        // 2,500 in-service sign-ins: three pages of 1,000.
        ...Array.from({ length: 2500 }, (_, i) => signIn(billing, slotB, 5 + i, "198.51.100.1", "Azure Key Vault")),
        signIn(billing, slotA, 60 * 24 * 2, RETIRING_IP, "Microsoft Graph"),
        signIn(billing, slotA, 60 * 24 * 3, "198.51.100.99", "Azure Storage"),
        signIn(legacy, legacy.passwordCredentials[0].keyId, 60 * 24 * 10, "198.51.100.2", "Microsoft Graph"), // before the window
        signIn(deployer, null, 30, "198.51.100.3", "Azure Resource Manager"), // federated: no key id
    ];
    return {
        tenant: {
            applications: [billing, deployer, legacy, fresh], servicePrincipals: [], signIns, appManagementPolicies: [],
            defaultAppManagementPolicy: {
                id: "00000000-0000-0000-0000-000000000000", displayName: "Default", description: "", isEnabled: false,
                applicationRestrictions: { passwordCredentials: [], keyCredentials: [] }, servicePrincipalRestrictions: { passwordCredentials: [], keyCredentials: [] },
            },
        },
        secrets: [{ name: "billing-api-client-secret", value: inServiceValue, exp: Math.floor(now.plus({ days: 150 }).toSeconds()),
            tags: { "managed-by": "keyrelay", app: "billing-api", "client-id": billing.appId, "next-rotation": "2099-01-01T00:00:00Z" } }],
        map: [], expected: [], values: [inServiceValue],
        keyIds: { slotA, slotB, legacy: legacy.passwordCredentials[0].keyId, fresh: fresh.passwordCredentials[0].keyId },
    };
}

describe("keyrelay audit --sign-ins and the secretless section", function () {
    this.timeout(60_000);
    let bed: AuditBed;
    let keyIds: Record<string, string>;
    before(async () => { bed = await startAuditBed((now) => { const t = tenant(now); keyIds = t.keyIds; return t; }); });
    after(async () => bed?.close());

    it("finds the retiring credential still in use (time, IP, resource) and the unused one, reading every page", async () => {
        const { code, out, err } = await bed.run(["--vault", bed.vault.url, "--sign-ins", "P7D", "--json"]);
        assert.equal(code, EXIT_WARNING, err);
        const report = JSON.parse(out);
        const signInFindings = report.findings.filter((f: { code: string }) => f.code.startsWith("credential-retiring") || f.code === "credential-unused");
        assert.deepEqual(signInFindings.map((f: { code: string; keyId: string }) => `${f.code} ${f.keyId}`).sort(),
            [`credential-retiring-in-use ${keyIds.slotA}`, `credential-unused ${keyIds.legacy}`].sort());
        const retiring = signInFindings.find((f: { code: string }) => f.code === "credential-retiring-in-use");
        assert.equal(retiring.severity, "warning");
        assert.match(retiring.message, new RegExp(`signed in 2 time\\(s\\) in the last P7D, last at \\S+ from ${RETIRING_IP.replace(/\./g, "\\.")} for Microsoft Graph`));
        assert.deepEqual(report.signIns, { window: "P7D", since: report.signIns.since, available: true, read: 2503, pages: 3 });
        const beta = bed.graph.requests.filter((r) => r.path === "/beta/auditLogs/signIns");
        assert.equal(beta.length, 3);
        assert.match(beta[0].query.$filter, /^signInEventTypes\/any\(t: t eq 'servicePrincipal'\) and createdDateTime ge \S+Z$/);
        assert.equal(beta[0].query.$top, "1000");
    });

    it("counts federated-only, both and secrets-only apps with one advanced query, and shows the share first on the HTML page", async () => {
        const before = bed.graph.requests.length;
        const { out } = await bed.run(["--json"]);
        const report = JSON.parse(out);
        assert.deepEqual({ ...report.secretless, readyToDropSecret: report.secretless.readyToDropSecret.map((a: { displayName: string }) => a.displayName) },
            { apps: 4, federatedOnly: 1, both: 1, secretsOnly: 2, noCredentials: 0, secretlessShare: 0.25, readyToDropSecret: ["billing-api"] });
        const counted = bed.graph.requests.slice(before).filter((r) => r.query.$filter === "federatedIdentityCredentials/$count ne 0");
        assert.equal(counted.length, 1, "one advanced query for all apps, not one request per app");
        assert.deepEqual([counted[0].query.$count, counted[0].query.$select, counted[0].query.$top], ["true", "id", "999"]);
        assert.equal(bed.graph.requests.slice(before).filter((r) => /federatedIdentityCredentials$/.test(r.path)).length, 0);
        assert.equal(report.signIns, null);
        const file = path.join(os.tmpdir(), `keyrelay-secretless-${process.pid}.html`);
        const { out: text } = await bed.run(["--html", file]);
        const html = fs.readFileSync(file, "utf8");
        fs.unlinkSync(file);
        assert.match(html, /<h1>.*?<\/h1>\n<div class="headline" id="secretless"><b id="secretless-share">25%<\/b> of app registrations with credentials are secretless/);
        assert.match(text, /Secretless: 25% of app registrations with credentials \(1 federated only, 1 with both: the secret can go, 2 secrets only\)\./);
    });

    it("refuses a window the logs cannot answer, before any request", async () => {
        const { code, err } = await bed.run(["--sign-ins", "P90D"]);
        assert.equal(code, EXIT_USAGE);
        assert.match(err, /--sign-ins is P90D; sign-in logs answer from one hour up to 30 days back/);
    });
});

describe("the secretless section where Graph has no advanced queries (B2C)", function () {
    this.timeout(60_000);
    it("falls back to $expand=federatedIdentityCredentials and counts the same", async () => {
        const bed = await startAuditBed((now) => tenant(now), { b2c: true });
        try {
            const { out } = await bed.run(["--json"]);
            const report = JSON.parse(out);
            assert.deepEqual([report.secretless.federatedOnly, report.secretless.both, report.secretless.secretsOnly], [1, 1, 2]);
            assert.equal(bed.graph.requests.filter((r) => r.query.$expand === "federatedIdentityCredentials($select=id)").length, 1);
        } finally {
            await bed.close();
        }
    });
});

describe("keyrelay audit --sign-ins in a tenant without Entra ID P1/P2", function () {
    this.timeout(60_000);
    let bed: AuditBed;
    before(async () => { bed = await startAuditBed((now) => tenant(now), { signInLogs: { premium: false } }); });
    after(async () => bed?.close());

    it("notes the 403 with the permission and licence, and still reports everything else", async () => {
        const { code, out, err } = await bed.run(["--sign-ins", "P7D", "--json"]);
        const report = JSON.parse(out);
        assert.equal(code, report.exitCode, err);
        assert.equal(report.signIns.available, false);
        assert.ok(report.notes.some((n: string) => /403.*AuditLog\.Read\.All.*Entra ID P1 or P2.*No credential-retiring-in-use or credential-unused findings/.test(n)), report.notes.join("\n"));
        assert.equal(report.findings.filter((f: { code: string }) => f.code === "credential-unused").length, 0);
        assert.equal(report.secretless.federatedOnly, 1);
    });
});
