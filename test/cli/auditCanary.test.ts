// Never a value: every output of keyrelay audit (table, JSON, HTML file, webhook body and headers,
// progress bar, every error line, the Azure SDK's verbose log) searched for every secret value in
// the vault, the operator's client secret and the webhook signing secret. Allowed: Entra's
// three-character hint. A Secret ID stored as a value is exempt: it is a keyId, public metadata.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { inspect } from "util";
import { AddressInfo } from "net";
import { AzureLogger, AzureLogLevel, getLogLevel, setLogLevel } from "@azure/logger";
import { EXIT_CRITICAL, EXIT_ENVIRONMENT } from "../../cli/errors";
import { AuditBed, startAuditBed } from "../graph/auditBed";
import { findingsTenant } from "../graph/tenants";
import { OPERATOR } from "./fixtures";

const WEBHOOK_SECRET = "whs~Q8vN2kT7pX4rL9mZ3cB6yW1";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Everything longer than the hint that would give a value away: its first 4 characters, and every 8-character run. */
function leaks(text: string, value: string): string[] {
    const found: string[] = [];
    const core = value.trim();
    if (core.length >= 4 && text.includes(core.slice(0, 4))) found.push(`prefix ${core.slice(0, 3)}…`);
    for (let i = 0; i + 8 <= core.length; i++) {
        if (text.includes(core.slice(i, i + 8))) {
            found.push(`8 characters at ${i}`);
            break;
        }
    }
    return found;
}

describe("audit canary: no value in any output of keyrelay audit", function () {
    this.timeout(90_000);
    let bed: AuditBed;
    let dir: string;
    const said: string[] = [];

    before(async () => {
        bed = await startAuditBed(findingsTenant);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-audit-canary-"));
    });
    after(async () => {
        await bed?.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("runs every output and failure path, then finds no value anywhere", async () => {
        const received: string[] = [];
        const receiver = http.createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                received.push(JSON.stringify(req.headers), Buffer.concat(chunks).toString("utf8"));
                res.writeHead(received.length > 4 ? 500 : 202).end();
            });
        });
        await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
        const webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
        const map = [...bed.fixture.map.flatMap((m) => ["--map", m]), "--read-values"];
        const env = { KEYRELAY_WEBHOOK_SECRET: WEBHOOK_SECRET };
        const sdkLog = AzureLogger.log;
        const level = getLogLevel();
        AzureLogger.log = (...args: unknown[]) => void said.push(args.map((a) => (typeof a === "string" ? a : inspect(a, { depth: 6 }))).join(" "));
        setLogLevel("verbose");
        const codes: number[] = [];
        const run = async (args: string[], overrides: object = {}) => {
            const r = await bed.run(args, env, overrides);
            said.push(r.out, r.err);
            codes.push(r.code);
        };
        try {
            const html = path.join(dir, "report.html");
            await run(["--vault", bed.vault.url, ...map]);
            await run(["--vault", bed.vault.url, ...map, "--json", "--html", html, "--webhook", webhook], { isTTY: true });
            await run(["--vault", bed.vault.url, ...map, "--webhook", webhook]);
            said.push(fs.readFileSync(html, "utf8"));
            // Failures: the webhook refuses, Graph denies the policies (skipped with a note), Graph throttles past the cap, the vault denies reads.
            await run(["--vault", bed.vault.url, ...map, "--webhook", webhook]);
            bed.graph.grant(bed.operatorObjectId, ["Application.Read.All"]);
            await run(["--vault", bed.vault.url, ...map]);
            bed.graph.grant(bed.operatorObjectId, ["Application.Read.All", "Policy.Read.All"]);
            bed.graph.throttle({ count: 1, retryAfterSeconds: 999 });
            await run(["--vault", bed.vault.url]);
            bed.vault.grant(bed.operatorObjectId, ["readMetadata"]);
            await run(["--vault", bed.vault.url, ...map, "--json"]);
        } finally {
            AzureLogger.log = sdkLog;
            setLogLevel(level as AzureLogLevel | undefined);
            bed.vault.grant(bed.operatorObjectId, ["getSecret", "readMetadata"]);
            await new Promise<void>((r) => receiver.close(() => r()));
        }
        said.push(...received);
        // The refused webhook (4th run) keeps the findings' exit code: a late delivery failure never hides it; the
        // throttled policy read (5th) skips the lifetime check with a note instead of aborting.
        assert.deepEqual(codes, [EXIT_CRITICAL, EXIT_CRITICAL, EXIT_CRITICAL, EXIT_CRITICAL, EXIT_CRITICAL, EXIT_ENVIRONMENT, EXIT_ENVIRONMENT]);
        assert.equal(received.length, 6, "three webhook posts, headers and body each");
        assert.ok(said.join("").includes("Kf2"), "the hints are there (the search is not looking at nothing)");

        const everything = said.join("\n");
        const secrets = [...bed.fixture.values.filter((v) => !GUID.test(v.trim())), WEBHOOK_SECRET];
        assert.ok(secrets.length >= 25);
        const found = secrets.flatMap((value) => leaks(everything, value).map((where) => `${value.slice(0, 3)}…: ${where}`));
        // The operator's test secret is made of words ("-secret-" is in every finding code): its whole value and its ends.
        for (const part of [OPERATOR.secret, OPERATOR.secret.slice(0, 4), OPERATOR.secret.slice(-12)]) {
            if (everything.includes(part)) found.push(`operator secret: ${part.length} characters`);
        }
        assert.deepEqual(found, []);
    });
});
