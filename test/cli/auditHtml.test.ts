// keyrelay audit --html: one self-contained page, parsed and checked for its rows, then rendered
// by headless Chromium (Debian's chromium package; .ci/run installs it) at 1400x900, where the
// first screen must hold every critical finding, and at a phone's 390 px, where no id wraps.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { DOMParser } from "@xmldom/xmldom";
import type { Document as XmlDocument, Element as XmlElement } from "@xmldom/xmldom";
import { EXIT_CRITICAL } from "../../cli/errors";
import { renderAuditHtml } from "../../cli/audit/html";
import { AuditReport } from "../../cli/audit/report";
import { inChromium } from "./chromiumPage";
import { findingsTenant } from "../graph/tenants";
import { AuditBed, startAuditBed } from "../graph/auditBed";

export const CHROMIUM = "/usr/bin/chromium";

/** Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) into its pixels. */
export function decodePng(png: Buffer): { width: number; height: number; channels: number; pixels: Buffer } {
    assert.equal(png.subarray(0, 8).toString("hex"), "89504e470d0a1a0a", "PNG signature");
    let offset = 8;
    let width = 0, height = 0, bitDepth = 0, colorType = 0, interlace = 0;
    const idat: Buffer[] = [];
    while (offset < png.length) {
        const length = png.readUInt32BE(offset);
        const type = png.subarray(offset + 4, offset + 8).toString("ascii");
        const data = png.subarray(offset + 8, offset + 8 + length);
        if (type === "IHDR") {
            width = data.readUInt32BE(0); height = data.readUInt32BE(4);
            bitDepth = data[8]; colorType = data[9]; interlace = data[12];
        } else if (type === "IDAT") idat.push(data);
        else if (type === "IEND") break;
        offset += 12 + length;
    }
    assert.equal(bitDepth, 8, "8-bit PNG");
    assert.equal(interlace, 0, "not interlaced");
    assert.ok(colorType === 2 || colorType === 6, `RGB or RGBA, not color type ${colorType}`);
    const channels = colorType === 6 ? 4 : 3;
    const raw = zlib.inflateSync(Buffer.concat(idat));
    const stride = width * channels;
    const pixels = Buffer.alloc(stride * height);
    for (let y = 0; y < height; y++) {
        const filter = raw[y * (stride + 1)];
        const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
        for (let x = 0; x < stride; x++) {
            const a = x >= channels ? pixels[y * stride + x - channels] : 0;
            const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
            const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
            let value = line[x];
            if (filter === 1) value += a;
            else if (filter === 2) value += b;
            else if (filter === 3) value += Math.floor((a + b) / 2);
            else if (filter === 4) {
                const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
                value += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            }
            pixels[y * stride + x] = value & 0xff;
        }
    }
    return { width, height, channels, pixels };
}

function runChromium(args: string[], timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(CHROMIUM, args, { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (c: Buffer) => { stderr += c.toString("utf8"); });
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("error", reject);
        child.on("exit", (code) => {
            clearTimeout(timer);
            resolve({ code, stderr });
        });
    });
}

describe("keyrelay audit --html", function () {
    this.timeout(120_000);
    let bed: AuditBed;
    let dir: string;
    let html: string;

    before(async () => {
        bed = await startAuditBed(findingsTenant);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-audit-html-"));
        const file = path.join(dir, "audit.html");
        const { code, out, err } = await bed.run(["--vault", bed.vault.url, ...bed.fixture.map.flatMap((m) => ["--map", m]), "--read-values", "--html", file]);
        assert.equal(code, EXIT_CRITICAL, err);
        assert.match(out, new RegExp(`HTML report: ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`));
        html = fs.readFileSync(file, "utf8");
    });
    after(async () => {
        await bed?.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const parse = (text: string) => {
        const problems: string[] = [];
        const doc = new DOMParser({ onError: (level, message) => { problems.push(`${level}: ${message}`); } }).parseFromString(text, "text/html");
        assert.deepEqual(problems, []);
        return doc;
    };
    const byClass = (root: XmlElement | XmlDocument, tag: string, cls: string): XmlElement[] => Array.from(root.getElementsByTagName(tag)).filter((e) => (e.getAttribute("class") ?? "").split(" ").includes(cls));

    it("is one page with every finding, credential and secret, and nothing to fetch", () => {
        const doc = parse(html);
        const rows = (id: string) => Array.from(doc.getElementById(id)!.getElementsByTagName("tbody")[0].getElementsByTagName("tr"));
        const findings = Array.from(doc.getElementById("findings")!.getElementsByTagName("li"));
        assert.equal(findings.length, bed.fixture.expected.length);
        assert.deepEqual(findings.map((r) => r.getAttribute("data-code")).sort(), bed.fixture.expected.map((e) => e.code).sort());
        const credentialCount = bed.fixture.tenant.applications.reduce((n, a) => n + a.passwordCredentials.length + a.keyCredentials.length, 0) + 1;
        assert.equal(rows("credentials").length, credentialCount, "every credential, the service principal's too");
        const keyIds = new Set(rows("credentials").map((r) => r.getAttribute("data-key-id")));
        for (const app of bed.fixture.tenant.applications) for (const p of app.passwordCredentials) assert.ok(keyIds.has(p.keyId), p.keyId);
        assert.equal(rows("secrets").length, bed.fixture.secrets.length - 1);
        assert.equal(doc.getElementById("count-critical")!.textContent, String(bed.fixture.expected.filter((e) => ["credential-expired", "secret-holds-secret-id", "secret-value-whitespace", "secret-stale", "secret-wrong-app"].includes(e.code)).length));
        // Self-contained: nothing with a src, and the only links are the docs' sections, which the reader may follow.
        assert.doesNotMatch(html, /\ssrc=/i);
        const hrefs = [...html.matchAll(/\shref="([^"]*)"/gi)].map((m) => m[1]);
        assert.equal(hrefs.length, findings.length, "one docs link per finding");
        for (const href of hrefs) assert.match(href, /^(file:\/\/\/.*\/docs\/audit\.md|https:\/\/github\.com\/[^#]+\/docs\/audit\.md)#[a-z-]+$/);
        // url(#id) names a pattern inside the page's own SVG; any other url( would fetch.
        assert.doesNotMatch(html, /url\((?!#)/i);
        assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
        const svgs = Array.from(doc.getElementsByTagName("svg"));
        assert.equal(svgs.length, 2, "the apps with findings, and the healthy ones folded");
        assert.ok(svgs.reduce((n, svg) => n + byClass(svg, "rect", "bar").length, 0) >= credentialCount - 1, "a bar per credential with readable dates");
        assert.match(html, /th\.addEventListener\("click"/, "sortable columns");
    });

    it("names the tenant, not the Graph URL, and says what the counts mean", () => {
        const doc = parse(html);
        assert.equal(doc.getElementById("tenant-name")!.textContent, "Contoso");
        assert.equal(doc.getElementById("tenant-id")!.textContent, bed.tokenServer.tenantId);
        assert.ok(!doc.getElementsByTagName("header")[0].textContent!.includes(bed.graph.url), "no Graph URL in the header");
        assert.match(doc.getElementById("verdict")!.textContent!, /^5 critical findings: /);
    });

    it("lists the findings most urgent first, each with one action, the commands with ids filled in, and its docs section", () => {
        const doc = parse(html);
        const items = Array.from(doc.getElementById("findings")!.getElementsByTagName("li"));
        const severities = items.map((li) => (li.getAttribute("class") ?? "").split(" ")[1]);
        assert.deepEqual(severities, [...severities].sort(), "critical before warning");
        assert.equal(items[0].getAttribute("data-code"), "credential-expired", "what already fails first");
        const expiring = items.findIndex((li) => li.getAttribute("data-code") === "credential-expiring");
        assert.equal(expiring, severities.indexOf("warning"), "the expiring credential leads the warnings: it fails in 10 days");
        for (const li of items) {
            const code = li.getAttribute("data-code")!;
            assert.equal(byClass(li, "p", "action").length, 1, code);
            const link = byClass(li, "a", "docs")[0];
            assert.ok(link.getAttribute("href")!.endsWith(`#${code}`), code);
            const commands = byClass(li, "pre", "command").map((p) => p.textContent!);
            assert.ok(commands.length >= 1, `${code} has a command`);
            const expected = bed.fixture.expected.find((e) => e.code === code)!;
            const app = bed.fixture.tenant.applications.find((a) => a.displayName === expected.subject)
                ?? bed.fixture.tenant.applications.find((a) => bed.fixture.secrets.some((x) => x.name === expected.subject && x.tags?.["client-id"] === a.appId));
            const secret = bed.fixture.secrets.find((x) => x.name === expected.subject);
            const filledIn = secret ? secret.name : app!.appId;
            assert.ok(commands.join("\n").includes(filledIn), `${code}: ${filledIn} is filled in: ${commands.join("\n")}`);
            assert.doesNotMatch(commands.join("\n"), /<client id>|<key id>|<secret name>|<credential end>/, code);
        }
        const docs = fs.readFileSync(path.join(__dirname, "../../docs/audit.md"), "utf8");
        for (const li of items) assert.match(docs, new RegExp(`^### \`?${li.getAttribute("data-code")}\`?$`, "m"), "a heading to link to");
    });

    it("draws the credentials behind findings in their colour, apps by urgency, healthy apps folded, the axis at top and bottom", () => {
        const doc = parse(html);
        const flagged = doc.getElementById("timeline-findings")!;
        const rowNames = byClass(flagged, "g", "app").map((g) => g.getAttribute("data-app"));
        const findingApps = Array.from(doc.getElementById("findings")!.getElementsByTagName("li")).map((li) => byClass(li, "b", "app")[0].textContent);
        assert.deepEqual(rowNames, [...new Set(findingApps.filter((n) => rowNames.includes(n)))], "rows in the findings' order");
        assert.equal(rowNames[0], "legacy-reports");
        const legacy = byClass(flagged, "g", "app")[0];
        assert.equal(byClass(legacy, "rect", "critical").length, 1, "the expired credential is red");
        const payments = byClass(flagged, "g", "app").find((g) => g.getAttribute("data-app") === "payments-api")!;
        assert.equal(byClass(payments, "rect", "warning").length, 1, "the expiring one amber");
        assert.ok(byClass(flagged, "text", "axis-top").length >= 12 && byClass(flagged, "text", "axis-top").length === byClass(flagged, "text", "axis-bottom").length, "monthly axis, top and bottom");
        const folded = doc.getElementById("healthy-apps")!;
        assert.equal(folded.tagName.toLowerCase(), "details");
        const healthyRows = byClass(doc.getElementById("timeline-healthy")!, "g", "app");
        assert.match(folded.getElementsByTagName("summary")[0].textContent!, new RegExp(`^${healthyRows.length} apps without findings`));
        assert.ok(healthyRows.every((g) => byClass(g, "rect", "critical").length + byClass(g, "rect", "warning").length === 0));
        assert.equal(rowNames.length + healthyRows.length, bed.fixture.tenant.applications.length + 1, "every app once (the service principal too)");
    });

    it("keeps zero counts neutral, falls back to the token's tenant id with a note, and escapes the tenant's name", async () => {
        const report = JSON.parse((await bed.run(["--vault", bed.vault.url, ...bed.fixture.map.flatMap((m) => ["--map", m]), "--json"])).out) as AuditReport;
        const clean = { ...report, findings: [], exitCode: 0, summary: { ...report.summary, critical: 0, warning: 0 } };
        const cleanDoc = parse(renderAuditHtml(clean));
        for (const id of ["count-critical", "count-warning"]) assert.equal(cleanDoc.getElementById(id)!.parentNode && (cleanDoc.getElementById(id)!.parentNode as XmlElement).getAttribute("class"), "tile", id);
        const busyDoc = parse(renderAuditHtml(report));
        assert.equal((busyDoc.getElementById("count-critical")!.parentNode as XmlElement).getAttribute("class"), "tile critical");
        const fallback = parse(renderAuditHtml({ ...report, tenant: { id: bed.tokenServer.tenantId, displayName: null, source: "token" } }));
        assert.equal(fallback.getElementById("tenant-id")!.textContent, bed.tokenServer.tenantId);
        assert.match(fallback.getElementById("tenant-note")!.textContent!, /Organization\.Read\.All/);
        const hostile = renderAuditHtml({ ...report, tenant: { id: bed.tokenServer.tenantId, displayName: `<script>alert(1)</script>"\x1b[31m`, source: "organization" } });
        assert.ok(!hostile.includes("<script>alert(1)"));
        assert.ok(!hostile.includes("\x1b"));
        assert.ok(parse(hostile).getElementById("tenant-name")!.textContent!.startsWith(`<script>alert(1)</script>"`), "shown as text");
    });

    it("at 1400x900 the first screen holds every critical finding; at 390 px no id wraps and nothing but tables and commands scrolls sideways", async function () {
        assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
        const url = `file://${path.join(dir, "audit.html")}`;
        const measure = `(() => ({
            critical: Array.from(document.querySelectorAll("li.finding.critical")).map((e) => { const r = e.getBoundingClientRect(); return { code: e.dataset.code, top: r.top + scrollY, bottom: r.bottom + scrollY }; }),
            idLines: Array.from(document.querySelectorAll("td.id code, code.id")).map((e) => e.getClientRects().length),
            pageWidth: document.documentElement.scrollWidth, viewport: [innerWidth, innerHeight],
        }))()`;
        type Measured = { critical: { code: string; top: number; bottom: number }[]; idLines: number[]; pageWidth: number; viewport: number[] };
        const desktop = await inChromium<Measured>(CHROMIUM, url, { width: 1400, height: 900 }, measure);
        fs.writeFileSync(path.join(dir, "audit-1400.png"), desktop.png);
        assert.deepEqual(desktop.value.viewport, [1400, 900]);
        assert.equal(desktop.value.critical.length, 5);
        for (const c of desktop.value.critical) assert.ok(c.bottom <= 900, `${c.code} ends at ${c.bottom} px, below the first screen`);
        const phone = await inChromium<Measured>(CHROMIUM, url, { width: 390, height: 844, mobile: true }, measure);
        fs.writeFileSync(path.join(dir, "audit-390.png"), phone.png);
        assert.ok(phone.value.idLines.length > 100, "the ids are measured");
        assert.deepEqual([...new Set(phone.value.idLines)], [1], "every GUID on one line");
        assert.equal(phone.value.pageWidth, 390, "the page itself does not scroll sideways");

        const { width, height, channels, pixels } = decodePng(desktop.png);
        assert.equal(width, 1400);
        assert.equal(height, 900);
        const colors = new Set<number>();
        let nonWhite = 0;
        let redish = 0;
        for (let i = 0; i < pixels.length; i += channels) {
            const r = pixels[i], g = pixels[i + 1], b = pixels[i + 2];
            colors.add((r << 16) | (g << 8) | b);
            if (r < 240 || g < 240 || b < 240) nonWhite++;
            if (r > 180 && g < 80 && b < 80) redish++;
        }
        const total = width * height;
        assert.ok(colors.size > 50, `only ${colors.size} colours`);
        assert.ok(nonWhite / total > 0.03, `only ${(100 * nonWhite / total).toFixed(2)} % of the page is drawn`);
        assert.ok(redish > 500, "the critical findings' red marks are painted");
    });
});
