// Tenant data cannot forge output, end to end: hostile display names and error text through the
// real commands against the local Graph, vault and token server; --html and --webhook targets
// checked before the audit; a late delivery failure keeps one JSON document and the findings' code.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DateTime } from "luxon";
import { runCli } from "../../cli/main";
import { EXIT_CRITICAL, EXIT_USAGE } from "../../cli/errors";
import { AuditBed, startAuditBed } from "../graph/auditBed";
import { findingsTenant } from "../graph/tenants";
import { TenantFixture } from "../graph/tenants";
import { capturedContext } from "./fixtures";

const FORGED_LINE = "OK: no findings, all clean";
const HOSTILE_NAME = `legacy\x1b[31m-reports\x1b]0;pwned\x07\u009b2J\u202e\n${FORGED_LINE}`;

function hostileTenant(now: DateTime): TenantFixture {
    const fixture = findingsTenant(now);
    const apps = fixture.tenant.applications;
    apps.find((a) => a.displayName === "legacy-reports")!.displayName = HOSTILE_NAME;
    // Display names Graph may send that are not strings: null, a number, none at all.
    (apps.find((a) => a.displayName === "payments-api") as { displayName: unknown }).displayName = null;
    (apps.find((a) => a.displayName === "analytics-etl") as { displayName: unknown }).displayName = 42;
    delete (apps.find((a) => a.displayName === "orphan-tool") as { displayName?: unknown }).displayName;
    return fixture;
}

describe("hostile tenant data through keyrelay audit and verify", function () {
    this.timeout(60_000);
    let bed: AuditBed;
    let dir: string;
    before(async () => {
        bed = await startAuditBed(hostileTenant);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-hostile-"));
    });
    after(async () => {
        await bed?.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });
    const mapArgs = () => bed.fixture.map.flatMap((m) => ["--map", m]);

    it("a display name with escape sequences and a newline cannot colour, retitle or add a line", async () => {
        const { code, out, err } = await bed.run(["--vault", bed.vault.url, ...mapArgs()]);
        assert.equal(code, EXIT_CRITICAL, err);
        assert.ok(!/[\x1b\x07\x9b]/.test(out + err), "no escape or bell reaches the terminal");
        assert.ok(!out.split("\n").some((line) => line.startsWith(FORGED_LINE)), "the forged line is not a line of its own");
        assert.match(out, /legacy-reports OK: no findings, all clean/, "the name is kept, on one line");
    });

    it("--json keeps the name exactly, with C1 controls and bidi marks escaped so a terminal shows them as written", async () => {
        const { out } = await bed.run(["--vault", bed.vault.url, ...mapArgs(), "--json"]);
        assert.ok(!/[\x1b\x07\u0080-\u009f\u202a-\u202e\u2028\u2029]/.test(out), "nothing a terminal would act on");
        const report = JSON.parse(out);
        assert.ok(report.credentials.some((c: { app: { displayName: string } }) => c.app.displayName === HOSTILE_NAME), "the data is unchanged");
    });

    it("--html renders null, numeric and missing display names", async () => {
        const file = path.join(dir, "report.html");
        const { code, err } = await bed.run(["--vault", bed.vault.url, ...mapArgs(), "--html", file]);
        assert.equal(code, EXIT_CRITICAL, err);
        const html = fs.readFileSync(file, "utf8");
        assert.match(html, /\(no display name\)/);
        assert.match(html, /<td>42<\/td>/);
        assert.ok(!html.includes("\x1b"));
    });

    it("an --html path that cannot be written is exit 3 before Graph is asked anything", async () => {
        const before = bed.graph.requests.length;
        for (const target of [path.join(dir, "no-such-dir", "report.html"), dir]) {
            const { code, err, out } = await bed.run(["--html", target, "--json"]);
            assert.equal(code, EXIT_USAGE, err);
            assert.match(err, /cannot write --html .*Choose a writable file path/);
            assert.equal(err.trim().split("\n").length, 1);
            assert.equal(out.trim().split("\n").length, 1, "one JSON error document");
        }
        assert.equal(bed.graph.requests.length, before, "no Graph request");
    });

    it("a late --html write failure keeps the findings' exit code and one JSON document on stdout", async () => {
        const { code, out, err } = await bed.run(["--vault", bed.vault.url, ...mapArgs(), "--json", "--html", "/dev/full"]);
        assert.equal(code, EXIT_CRITICAL, err);
        const report = JSON.parse(out);
        assert.equal(report.exitCode, EXIT_CRITICAL);
        assert.match(err, /cannot write --html \/dev\/full: .*ENOSPC/);
    });

    it("a rejected --webhook or --graph-url is echoed without its user-info and query string", async () => {
        const env = { KEYRELAY_WEBHOOK_SECRET: "whsec-0123456789" };
        const hook = await bed.run(["--webhook", "ftp://alice:hunter2@hooks.example/workflows/abc?sig=SIGNATURE-VALUE"], env);
        assert.equal(hook.code, EXIT_USAGE);
        assert.match(hook.err, /--webhook is "ftp:\/\/hooks\.example\/workflows\/abc", not an https URL/);
        const context = await capturedContext();
        const code = await runCli(["audit", "--graph-url", "https://alice:hunter2@graph.example/beta?sig=SIGNATURE-VALUE"], context);
        const err = context.err.join("");
        assert.equal(code, EXIT_USAGE);
        for (const text of [hook.err, err]) assert.doesNotMatch(text, /hunter2|alice|SIGNATURE-VALUE/, text);
    });

    it("the Teams card escapes Markdown and links in names", async () => {
        const { webhookBody } = await import("../../cli/audit/webhook");
        const report = JSON.parse((await bed.run(["--vault", bed.vault.url, ...mapArgs(), "--json"])).out);
        report.findings[0].app.displayName = "[Reset your password](https://evil.example/reset) **now**";
        const card = (webhookBody(report) as { attachments: { content: { body: { text?: string }[] } }[] }).attachments[0].content;
        const texts = card.body.map((b) => b.text ?? "").join("\n");
        assert.doesNotMatch(texts, /\]\(https:\/\//);
        assert.match(texts, /\\\[Reset your password\\\]/);
    });

    it("verify prints a hostile client-id tag and token-endpoint text on one clean line", async () => {
        const clientId = "5e5e5e5e-aaaa-4bbb-8ccc-dddddddddddd";
        bed.tokenServer.registerClient({ clientId, secrets: [{ value: "Hx7~a-registered-secret-value-0123456789" }] });
        bed.vault.writeOutOfBand("hostile-tag", "Hx7~a-registered-secret-value-0123456789", { tags: { "client-id": clientId } });
        bed.tokenServer.injectError({ status: 400, error: "invalid_request", code: 9002313, description: `AADSTS9002313: Invalid request.\x1b[2J\nOK: "hostile-tag" gets a token` }, { clientId });
        const context = await capturedContext();
        const code = await runCli(["verify", "--vault", bed.vault.url, "--secret", "hostile-tag", "--tenant", bed.tokenServer.tenantId, "--authority-host", bed.tokenServer.authorityHost, "--attempts", "1"], context);
        const out = context.out.join("");
        assert.equal(code, EXIT_CRITICAL, context.err.join(""));
        assert.ok(!out.includes("\x1b"));
        assert.ok(!out.split("\n").some((line) => line.startsWith("OK:")), out);
    });
});
