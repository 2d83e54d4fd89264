// keyrelay audit --html: one self-contained page, parsed and checked for its rows, then rendered
// by headless Chromium (Debian's chromium package; .ci/run installs it) to a screenshot that must
// not be blank.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { DOMParser } from "@xmldom/xmldom";
import { EXIT_CRITICAL } from "../../cli/errors";
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

    it("is one page with every finding, credential and secret as a row, and nothing to fetch", () => {
        const problems: string[] = [];
        const doc = new DOMParser({ onError: (level, message) => { problems.push(`${level}: ${message}`); } }).parseFromString(html, "text/html");
        assert.deepEqual(problems, []);
        const rows = (id: string) => Array.from(doc.getElementById(id)!.getElementsByTagName("tbody")[0].getElementsByTagName("tr"));
        const findings = rows("findings");
        assert.equal(findings.length, bed.fixture.expected.length);
        assert.deepEqual(findings.map((r) => r.getAttribute("data-code")).sort(), bed.fixture.expected.map((e) => e.code).sort());
        const credentialCount = bed.fixture.tenant.applications.reduce((n, a) => n + a.passwordCredentials.length + a.keyCredentials.length, 0) + 1;
        assert.equal(rows("credentials").length, credentialCount, "every credential, the service principal's too");
        const keyIds = new Set(rows("credentials").map((r) => r.getAttribute("data-key-id")));
        for (const app of bed.fixture.tenant.applications) for (const p of app.passwordCredentials) assert.ok(keyIds.has(p.keyId), p.keyId);
        assert.equal(rows("secrets").length, bed.fixture.secrets.length - 1);
        assert.equal(doc.getElementById("count-critical")!.textContent, String(bed.fixture.expected.filter((e) => ["credential-expired", "secret-holds-secret-id", "secret-value-whitespace", "secret-stale", "secret-wrong-app"].includes(e.code)).length));
        // Self-contained: no src or href to anything, and a policy that forbids fetching.
        assert.doesNotMatch(html, /\s(src|href)=/i);
        // url(#id) names a pattern inside the page's own SVG; any other url( would fetch.
        assert.doesNotMatch(html, /url\((?!#)/i);
        assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
        const svg = doc.getElementsByTagName("svg")[0];
        assert.ok(svg, "the timeline");
        assert.ok(svg.getElementsByTagName("rect").length >= credentialCount, "a bar per credential");
        assert.match(html, /th\.addEventListener\("click"/, "sortable columns");
    });

    it("renders in headless Chromium to a screenshot that is not blank", async function () {
        assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
        const profile = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-chromium-"));
        const screenshot = path.join(dir, "audit.png");
        try {
            const { code, stderr } = await runChromium([
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                `--user-data-dir=${profile}`, `--screenshot=${screenshot}`, "--window-size=1280,1600", "--hide-scrollbars",
                `file://${path.join(dir, "audit.html")}`,
            ], 90_000);
            assert.ok(fs.existsSync(screenshot), `no screenshot (exit ${code}): ${stderr.slice(-2000)}`);
        } finally {
            fs.rmSync(profile, { recursive: true, force: true });
        }
        const { width, height, channels, pixels } = decodePng(fs.readFileSync(screenshot));
        assert.equal(width, 1280);
        assert.equal(height, 1600);
        const colors = new Set<number>();
        let nonWhite = 0;
        let redish = 0;
        for (let i = 0; i < pixels.length; i += channels) {
            const r = pixels[i], g = pixels[i + 1], b = pixels[i + 2];
            colors.add((r << 16) | (g << 8) | b);
            if (r < 240 || g < 240 || b < 240) nonWhite++;
            if (r > 200 && g < 230 && b < 220 && r - b > 15) redish++;
        }
        const total = width * height;
        assert.ok(colors.size > 50, `only ${colors.size} colours`);
        assert.ok(nonWhite / total > 0.03, `only ${(100 * nonWhite / total).toFixed(2)} % of the page is drawn`);
        assert.ok(redish > 100, "the critical count's red box is painted");
    });
});
