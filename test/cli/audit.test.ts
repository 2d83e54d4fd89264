// keyrelay audit end to end: the real command against the local HTTPS Graph stand-in, the local
// Key Vault and token server. Each finding asserted by code; exit codes; paging, throttling,
// permissions, deadlines; the webhook checked by a receiver that verifies its signature.
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as http from "http";
import * as https from "https";
import { AddressInfo } from "net";
import { DateTime } from "luxon";
import { runCli } from "../../cli/main";
import { FINDING_SEVERITIES } from "../../cli/audit/model";
import { SIGN_IN_FINDING_CODES } from "../../cli/audit/signInFindings";
import { EXIT_CRITICAL, EXIT_ENVIRONMENT, EXIT_OK, EXIT_USAGE, EXIT_WARNING } from "../../cli/errors";
import { AuditBed, startAuditBed } from "../graph/auditBed";
import { cleanTenant, findingsTenant } from "../graph/tenants";
import { trustedTls } from "../vault/tls";
import { TokenServer, startTokenServer } from "../vault/tokenServer";
import { capturedContext, closedPort, signInOperator } from "./fixtures";
import { assertMatchesSchema } from "./outputSchemas";

function subjectOf(f: { code: string; secret?: string; app?: { displayName: string } }): string {
    return f.secret ?? f.app?.displayName ?? "?";
}

describe("keyrelay audit (local Graph, Key Vault and token server over HTTPS)", function () {
    this.timeout(60_000);

    describe("a tenant with one of every finding", () => {
        let bed: AuditBed;
        before(async () => { bed = await startAuditBed(findingsTenant); });
        after(async () => bed?.close());

        /** The fixture maps one secret by hand; these tests exercise every check, so values are read. */
        const mapArgs = () => [...bed.fixture.map.flatMap((m) => ["--map", m]), "--read-values"];

        it("reports exactly the expected findings, each with its code and severity, and exits 2", async () => {
            const { code, out, err } = await bed.run(["--vault", bed.vault.url, ...mapArgs(), "--json"]);
            assert.equal(code, EXIT_CRITICAL, err);
            const report = JSON.parse(out);
            assertMatchesSchema("audit", report);
            const seen = report.findings.map((f: { code: string }) => `${f.code} ${subjectOf(f)}`).sort();
            const wanted = bed.fixture.expected.map((e) => `${e.code} ${e.subject}`).sort();
            assert.deepEqual(seen, wanted);
            assert.equal(new Set(report.findings.map((f: { code: string }) => f.code)).size, Object.keys(FINDING_SEVERITIES).filter((c) => !SIGN_IN_FINDING_CODES.includes(c)).length, "one of every finding code (sign-in findings: test/secretless/auditSignIns.test.ts)");
            for (const f of report.findings) {
                assert.equal(f.severity, FINDING_SEVERITIES[f.code as keyof typeof FINDING_SEVERITIES]);
                assert.ok(f.message.length > 40, f.code);
                assert.match(f.clientId, /^[0-9a-f-]{36}$/);
            }
            assert.equal(report.exitCode, EXIT_CRITICAL);
            assert.equal(report.schema, "keyrelay-audit/1");
            for (const key of ["credentials", "secrets", "findings", "policy", "exitCode"]) assert.ok(key in report, key);
        });

        it("says what to do, with the app, its client id and the credential or secret", async () => {
            const report = JSON.parse((await bed.run(["--vault", bed.vault.url, ...mapArgs(), "--json"])).out);
            const byCode = (code: string) => report.findings.find((f: { code: string }) => f.code === code);
            const inventory = bed.fixture.tenant.applications.find((a) => a.displayName === "inventory-api")!;
            const holdsId = byCode("secret-holds-secret-id");
            assert.equal(holdsId.clientId, inventory.appId);
            assert.equal(holdsId.secret, "inventory-api-secret");
            assert.equal(holdsId.vault, bed.vault.url);
            assert.match(holdsId.message, /it is the Secret ID of app "inventory-api" .*'s credential "inventory-api secret"/);
            const wrong = byCode("secret-wrong-app");
            assert.match(wrong.message, /tagged for app "billing-api".*one of app "hr-portal"/);
            const expired = byCode("credential-expired");
            assert.equal(expired.keyId, bed.fixture.tenant.applications.find((a) => a.displayName === "legacy-reports")!.passwordCredentials[0].keyId);
            assert.match(byCode("credential-lifetime-over-policy").message, /valid for 400 days .* over the 200-day limit \(tenant default app management policy\)/);
            assert.match(byCode("secret-value-whitespace").message, /ends with a line break/);
            assert.match(byCode("secret-behind-rotation").message, /a rotation did not reach Key Vault/);
            assert.match(byCode("secret-expiry-mismatch").message, /Set the secret's expiry to/);
        });

        it("marks keyrelay's credentials and does not report a retiring one as expiring", async () => {
            const report = JSON.parse((await bed.run(["--vault", bed.vault.url, ...mapArgs(), "--json"])).out);
            const keyrelay = report.credentials.filter((c: { app: { displayName: string } }) => c.app.displayName.startsWith("keyrelay-"));
            assert.equal(keyrelay.length, 12);
            assert.ok(keyrelay.every((c: { managedByKeyrelay: boolean }) => c.managedByKeyrelay));
            const retiring = keyrelay.filter((c: { retiring: boolean }) => c.retiring);
            assert.equal(retiring.length, 6);
            assert.ok(retiring.every((c: { daysLeft: number }) => c.daysLeft < 30), "each retiring credential ends within --warn-days");
            assert.ok(!report.findings.some((f: { app?: { displayName: string } }) => f.app?.displayName.startsWith("keyrelay-")));
            const inService = keyrelay.filter((c: { retiring: boolean }) => !c.retiring);
            assert.ok(inService.every((c: { heldBy: string[] }) => c.heldBy.length === 1), "each in-service keyrelay credential is the one its vault secret holds");
            // The per-app policy overrides the tenant's limit; an app created before the restriction date keeps the 365-day fallback.
            const partner = report.credentials.find((c: { app: { displayName: string } }) => c.app.displayName === "partner-bridge");
            assert.equal(partner.lifetimeLimitDays, 730);
            assert.equal(report.credentials.find((c: { app: { displayName: string } }) => c.app.displayName === "mainframe-link").lifetimeLimitDays, 365);
            assert.equal(report.policy.tenantDefault.isEnabled, true);
            assert.equal(report.policy.appManagementPolicies[0].appliesTo.length, 1);
            const sp = report.credentials.find((c: { app: { displayName: string; kind: string } }) => c.app.displayName === "partner-sp");
            assert.equal(sp.app.kind, "servicePrincipal");
        });

        it("reads Graph in one pass: largest pages, $select, no request per app, the token scoped to --graph-url", async () => {
            const before = bed.graph.requests.length;
            const tokensBefore = bed.tokenServer.tokenRequests.length;
            const vaultBefore = bed.vault.requests.length;
            const { code, out } = await bed.run(["--vault", bed.vault.url, ...mapArgs(), "--json"]);
            assert.equal(code, EXIT_CRITICAL);
            const requests = bed.graph.requests.slice(before);
            const paths = requests.map((r) => r.path).sort();
            const policyId = bed.fixture.tenant.appManagementPolicies[0].id;
            assert.deepEqual(paths, [
                "/v1.0/applications", "/v1.0/applications", "/v1.0/applications" /* federatedIdentityCredentials/$count, for the secretless section */,
                `/v1.0/policies/appManagementPolicies`, `/v1.0/policies/appManagementPolicies/${policyId}/appliesTo`,
                "/v1.0/organization" /* the tenant's name, for the header */,
                "/v1.0/policies/defaultAppManagementPolicy", "/v1.0/servicePrincipals",
            ].sort());
            for (const r of requests.filter((x) => x.path === "/v1.0/applications" || x.path === "/v1.0/servicePrincipals")) {
                assert.equal(r.query.$top, "999");
                assert.ok(r.query.$select);
            }
            assert.ok(requests.every((r) => r.status === 200));
            const scopes = bed.tokenServer.tokenRequests.slice(tokensBefore).map((t) => t.scope);
            assert.ok(scopes.includes(`${bed.graph.url}/.default`), scopes.join(" "));
            const report = JSON.parse(out);
            assert.equal(report.requests.graph, 8);
            assert.deepEqual(report.tenant, { id: bed.tokenServer.tenantId, displayName: "Contoso", source: "organization" });
            const reads = bed.vault.requests.slice(vaultBefore).filter((r) => r.method === "GET" && /^\/secrets\/[^/]+\/?$/.test(r.path) && r.status === 200);
            assert.equal(reads.length, report.secrets.length, "one read per matched secret");
            assert.equal(report.secrets.length, bed.fixture.secrets.length - 1, "every secret tied to an app, none other");
            assert.ok(!bed.vault.requests.slice(vaultBefore).some((r) => r.path === "/secrets/database-password"), "an untied secret is never read");
        });

        it("prints a table of findings and their messages", async () => {
            const { code, out } = await bed.run(["--vault", bed.vault.url, ...mapArgs()]);
            assert.equal(code, EXIT_CRITICAL);
            assert.match(out, /^severity +code +app +client id +credential \/ secret$/m);
            for (const e of bed.fixture.expected) assert.match(out, new RegExp(`^critical|^warning`, "m"), e.code);
            assert.match(out, /^critical +secret-holds-secret-id +inventory-api +[0-9a-f-]{36} +127\.0\.0\.1:\d+\/inventory-api-secret$/m);
            assert.match(out, /\d+ critical, \d+ warnings\. Graph: 8 requests \(6 pages\)/);
        });

        it("shows a progress bar on stderr on a terminal", async () => {
            const { err } = await bed.run(["--vault", bed.vault.url, ...mapArgs(), "--json"], {}, { isTTY: true });
            assert.match(err, /Graph: \d+ objects read/);
            assert.match(err, /\[#+\] vault: \d+ listed, (\d+)\/\1 secrets checked/);
        });

        it("posts the findings to a webhook, signed with HMAC-SHA256, with a Teams card", async () => {
            const secret = "webhook-signing-secret-for-the-test";
            const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
            const receiver = http.createServer((req, res) => {
                const chunks: Buffer[] = [];
                req.on("data", (c: Buffer) => chunks.push(c));
                req.on("end", () => {
                    const body = Buffer.concat(chunks).toString("utf8");
                    // What a receiver does (docs/audit.md): HMAC-SHA256 over "<timestamp>.<body>", compared in constant time.
                    const timestamp = String(req.headers["x-keyrelay-timestamp"]);
                    const expected = Buffer.from(`sha256=${crypto.createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`);
                    const given = Buffer.from(String(req.headers["x-keyrelay-signature"] ?? ""));
                    const valid = expected.length === given.length && crypto.timingSafeEqual(expected, given)
                        && Math.abs(Number(timestamp) - DateTime.utc().toSeconds()) < 300;
                    received.push({ headers: req.headers, body });
                    res.writeHead(valid ? 202 : 401).end();
                });
            });
            await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
            const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/keyrelay`;
            try {
                const good = await bed.run(["--vault", bed.vault.url, ...mapArgs(), "--webhook", url], { KEYRELAY_WEBHOOK_SECRET: secret });
                assert.equal(good.code, EXIT_CRITICAL, good.err);
                assert.match(good.out, /Findings posted to 127\.0\.0\.1:\d+, signed\./);
                assert.equal(received.length, 1);
                const body = JSON.parse(received[0].body);
                assert.equal(body.type, "message");
                assert.equal(body.attachments[0].contentType, "application/vnd.microsoft.card.adaptive");
                assert.equal(body.attachments[0].content.type, "AdaptiveCard");
                assert.equal(body.keyrelay.findings.length, bed.fixture.expected.length);
                assert.equal(body.keyrelay.exitCode, EXIT_CRITICAL);
                // A receiver with another secret refuses it: the command says so on stderr and keeps the findings' exit code.
                const forged = await bed.run(["--vault", bed.vault.url, ...mapArgs(), "--webhook", url], { KEYRELAY_WEBHOOK_SECRET: "not-the-receivers-secret" });
                assert.equal(forged.code, EXIT_CRITICAL);
                assert.match(forged.err, /the webhook at 127\.0\.0\.1:\d+ answered HTTP 401/);
            } finally {
                await new Promise<void>((r) => receiver.close(() => r()));
            }
            const noSecret = await bed.run(["--webhook", url]);
            assert.equal(noSecret.code, EXIT_USAGE);
            assert.match(noSecret.err, /set KEYRELAY_WEBHOOK_SECRET/);
        });

        it("honours 429 Retry-After from Graph and counts the throttled requests", async () => {
            bed.graph.throttle({ pathPrefix: "/v1.0/applications", count: 2, retryAfterSeconds: 1 });
            const started = DateTime.now().toMillis();
            const { code, out, err } = await bed.run(["--json"]);
            assert.equal(code, EXIT_CRITICAL, err);
            assert.ok(DateTime.now().toMillis() - started >= 950, "waited the Retry-After second");
            const report = JSON.parse(out);
            assert.equal(report.requests.graphThrottled, 2);
            assert.equal(report.requests.graph, 10);
        });

        it("gives up with exit 4, naming the host, when Retry-After is beyond the cap or the deadline", async () => {
            bed.graph.throttle({ pathPrefix: "/v1.0/servicePrincipals", count: 1, retryAfterSeconds: 3600 });
            const { code, err } = await bed.run([]);
            assert.equal(code, EXIT_ENVIRONMENT);
            assert.match(err, /Microsoft Graph at 127\.0\.0\.1:\d+ is throttling \(HTTP 429, Retry-After 3600\)/);
        });

        it("a 403 on the policy endpoints skips the policy check with a note; a 403 on the apps names the missing permission", async () => {
            bed.graph.grant(bed.operatorObjectId, ["Application.Read.All"]);
            try {
                const policy = await bed.run([...mapArgs(), "--vault", bed.vault.url, "--json"]);
                assert.equal(policy.code, EXIT_CRITICAL, policy.err);
                const report = JSON.parse(policy.out);
                assert.ok(report.notes.some((n: string) => /app management policies could not be read \(Graph answered 403 .*credential-lifetime-over-policy was not checked.*Policy\.Read\.All/.test(n)), report.notes.join("\n"));
                assert.deepEqual(report.checks.skipped.map((s: { check: string }) => s.check), ["credential-lifetime-over-policy"]);
                // No Organization.Read.All: the tenant is named by the token's tid claim, and the audit goes on.
                assert.deepEqual(report.tenant, { id: bed.tokenServer.tenantId, displayName: null, source: "token" });
                assert.ok(!report.findings.some((f: { code: string }) => f.code === "credential-lifetime-over-policy"));
                assert.ok(report.findings.some((f: { code: string }) => f.code === "credential-expired"), "the other checks ran");
                bed.graph.grant(bed.operatorObjectId, []);
                const apps = await bed.run([]);
                assert.equal(apps.code, EXIT_ENVIRONMENT);
                assert.match(apps.err, /Application\.Read\.All application permission/);
            } finally {
                bed.graph.grant(bed.operatorObjectId, ["Application.Read.All", "Policy.Read.All"]);
            }
        });

        it("rejects bad arguments with exit 3 before any request", async () => {
            const before = bed.graph.requests.length;
            for (const args of [["--map", "no-equals-sign", "--vault", bed.vault.url], ["--map", `x=${"1".repeat(36)}`], ["--timeout", "soon"], ["--warn-days", "-4"], ["--webhook", "ftp://example.com"]]) {
                const { code, err } = await bed.run(args);
                assert.equal(code, EXIT_USAGE, `${args.join(" ")}: ${err}`);
                assert.match(err, /keyrelay audit: --|keyrelay status: --warn-days|keyrelay audit: --map/);
            }
            const context = await capturedContext();
            assert.equal(await runCli(["audit", "--graph-url", "http://graph.example"], context), EXIT_USAGE);
            assert.equal(bed.graph.requests.length, before);
        });
    });

    describe("a clean tenant", () => {
        let bed: AuditBed;
        before(async () => { bed = await startAuditBed(cleanTenant); });
        after(async () => bed?.close());

        it("has no finding and exits 0", async () => {
            const { code, out, err } = await bed.run(["--vault", bed.vault.url]);
            assert.equal(code, EXIT_OK, out + err);
            assert.match(out, /No findings/);
            const report = JSON.parse((await bed.run(["--vault", bed.vault.url, "--json"])).out);
            assert.deepEqual(report.findings, []);
            assert.equal(report.secrets.length, 12);
            assert.ok(report.secrets.every((s: { keyId: string | null }) => s.keyId));
            assert.equal(report.exitCode, EXIT_OK);
        });

        it("exits 1 when there are warnings only", async () => {
            const { code, out } = await bed.run(["--vault", bed.vault.url, "--warn-days", "200", "--json"]);
            assert.equal(code, EXIT_WARNING);
            const report = JSON.parse(out);
            assert.ok(report.findings.length > 0);
            assert.ok(report.findings.every((f: { code: string; severity: string }) => f.code === "credential-expiring" && f.severity === "warning"));
        });
    });

    describe("paging and unreachable endpoints", () => {
        it("follows @odata.nextLink: 2,100 apps in 3 pages per collection", async () => {
            const bed = await startAuditBed((now) => {
                const fixture = cleanTenant(now);
                const template = fixture.tenant.applications[0];
                // Each credential keeps its own keyId, as in Graph (a keyId on two apps is a finding).
                const many = Array.from({ length: 2100 }, (_, i) => ({
                    ...template, id: crypto.randomUUID(), appId: crypto.randomUUID(), displayName: `bulk-${i}`,
                    passwordCredentials: template.passwordCredentials.map((c) => ({ ...c, keyId: crypto.randomUUID() })),
                    keyCredentials: template.keyCredentials.map((c) => ({ ...c, keyId: crypto.randomUUID() })),
                }));
                fixture.tenant.applications = many;
                fixture.tenant.servicePrincipals = many.map((a) => ({ ...a, id: crypto.randomUUID(), passwordCredentials: [], keyCredentials: [] }));
                return fixture;
            });
            try {
                const { code, out, err } = await bed.run(["--json"]);
                assert.equal(code, EXIT_OK, err);
                const report = JSON.parse(out);
                assert.equal(report.summary.apps, 2100);
                assert.deepEqual(report.requests.graphPages, { applications: 3, applicationsWithoutOwners: 1, applicationsWithFederatedCredentials: 1, servicePrincipals: 3, appManagementPolicies: 1 });
                const next = bed.graph.requests.filter((r) => r.path === "/v1.0/applications" && r.query.$skiptoken);
                assert.equal(next.length, 2);
                assert.ok(next.every((r) => r.query.$select && r.query.$top === "999"), "the nextLink carries the query options");
            } finally {
                await bed.close();
            }
        });

        it("finds apps without owners through $expand=owners where Graph has no advanced queries (B2C)", async () => {
            const bed = await startAuditBed(findingsTenant, { b2c: true });
            try {
                const { code, out, err } = await bed.run(["--json"]);
                assert.equal(code, EXIT_CRITICAL, err);
                const report = JSON.parse(out);
                assert.deepEqual(report.findings.filter((f: { code: string }) => f.code === "app-without-owner").map((f: { app: { displayName: string } }) => f.app.displayName), ["orphan-tool"]);
                assert.equal(report.requests.graphPages.applicationOwners, 1, "50 apps: one page of 100");
                const expand = bed.graph.requests.find((r) => r.query.$expand === "owners")!;
                assert.equal(expand.status, 200);
                assert.equal(bed.graph.requests.filter((r) => r.status === 400).length, 2, "each advanced query (owners, federated credentials) refused once");
            } finally {
                await bed.close();
            }
        });

        it("exits 4 naming the host when Graph is unreachable", async () => {
            const tokenServer = await startTokenServer();
            const { restore } = signInOperator(tokenServer);
            try {
                const port = await closedPort();
                const context = await capturedContext();
                const code = await runCli(["audit", "--graph-url", `https://127.0.0.1:${port}`, "--authority-host", tokenServer.authorityHost], context);
                assert.equal(code, EXIT_ENVIRONMENT);
                assert.match(context.err.join(""), new RegExp(`cannot reach Microsoft Graph at 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
            } finally {
                restore();
                await tokenServer.close();
            }
        });

        it("exits 4 naming the token endpoint when no token can be had", async () => {
            const bed = await startAuditBed(cleanTenant);
            try {
                const port = await closedPort();
                const context = await capturedContext();
                const code = await runCli(["audit", "--graph-url", bed.graph.url, "--authority-host", `https://127.0.0.1:${port}`], context);
                assert.equal(code, EXIT_ENVIRONMENT);
                assert.match(context.err.join(""), new RegExp(`^keyrelay audit: cannot get a token for Microsoft Graph \\(scope ${bed.graph.url.replace(/[.]/g, "\\.")}/\\.default\\) from 127\\.0\\.0\\.1:${port}: `));
                assert.equal(bed.graph.requests.length, 0);
            } finally {
                await bed.close();
            }
        });

        it("exits 4 naming the vault when a vault does not answer within --timeout", async () => {
            const bed = await startAuditBed(cleanTenant);
            const tls = await trustedTls();
            const silent = https.createServer({ key: tls.key, cert: tls.cert }, () => undefined);
            await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
            const port = (silent.address() as AddressInfo).port;
            try {
                const started = DateTime.now().toMillis();
                const { code, err } = await bed.run(["--vault", `https://127.0.0.1:${port}`, "--timeout", "3s"]);
                const elapsed = DateTime.now().toMillis() - started;
                assert.equal(code, EXIT_ENVIRONMENT);
                assert.match(err, new RegExp(`^keyrelay audit: 127\\.0\\.0\\.1:${port} did not answer within --timeout 3s`));
                assert.ok(elapsed < 10_000, `gave up after ${elapsed} ms`);
            } finally {
                silent.closeAllConnections();
                silent.close();
                await bed.close();
            }
        });

        it("exits 4 naming the host when Graph does not answer within --timeout", async () => {
            const tokenServer = await startTokenServer();
            const { restore } = signInOperator(tokenServer);
            const tls = await trustedTls();
            const silent = https.createServer({ key: tls.key, cert: tls.cert }, () => undefined);
            await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
            const port = (silent.address() as AddressInfo).port;
            try {
                const context = await capturedContext();
                const started = DateTime.now().toMillis();
                const code = await runCli(["audit", "--graph-url", `https://127.0.0.1:${port}`, "--authority-host", tokenServer.authorityHost, "--timeout", "2s"], context);
                const elapsed = DateTime.now().toMillis() - started;
                assert.equal(code, EXIT_ENVIRONMENT);
                assert.match(context.err.join(""), new RegExp(`127\\.0\\.0\\.1:${port} did not answer within --timeout 2s`));
                assert.ok(elapsed < 10_000, `gave up after ${elapsed} ms`);
            } finally {
                silent.closeAllConnections();
                silent.close();
                restore();
                await tokenServer.close();
            }
        });
    });
});
