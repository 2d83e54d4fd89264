// Issue 15 §2: --timeout bounds everything. A vault whose second list page is slow, a vault whose
// nextLink never ends, a webhook receiver that drips its answer, and verify's --wait: each ends at
// the one deadline with exit 4 (or verify's refusal), and the elapsed time is near the timeout.
import { strict as assert } from "assert";
import * as http from "http";
import * as https from "https";
import { AddressInfo } from "net";
import { DateTime } from "luxon";
import { runCli } from "../../cli/main";
import { EXIT_CRITICAL, EXIT_ENVIRONMENT, EXIT_USAGE } from "../../cli/errors";
import { AuditBed, startAuditBed } from "../graph/auditBed";
import { cleanTenant } from "../graph/tenants";
import { listenOnLoopback, trustedTls } from "../vault/tls";
import { KEY_VAULT_RESOURCE } from "../vault/localVault";
import { capturedContext } from "./fixtures";

type LaterPages = "slow" | "endless";

/**
 * A vault that lists one secret on its first page, then misbehaves on the pages after it: "slow"
 * never answers them; "endless" answers each at once with an empty page and a nextLink to a new
 * $skiptoken, forever (never the same link twice, so only the deadline can end it). Unauthenticated
 * requests get Key Vault's bearer challenge (WWW-Authenticate with authorization and resource,
 * as the SDK's challenge policy expects: @azure/keyvault-common parseWWWAuthenticateHeader).
 */
async function misbehavingVault(tenantId: string, later: LaterPages): Promise<{ url: string; host: string; pagesServed: () => number; close(): Promise<void> }> {
    const tls = await trustedTls();
    let served = 0;
    const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
        const url = new URL(req.url ?? "/", "https://127.0.0.1");
        if (!req.headers.authorization) {
            res.writeHead(401, { "WWW-Authenticate": `Bearer authorization="https://login.windows.net/${tenantId}", resource="${KEY_VAULT_RESOURCE}"` });
            res.end();
            return;
        }
        const skip = Number(url.searchParams.get("$skiptoken") ?? "0");
        if (skip > 0 && later === "slow") return; // accepts the request, never answers
        served++;
        const next = `${listening.url}/secrets?api-version=${url.searchParams.get("api-version")}&$skiptoken=${skip + 1}&maxresults=25`;
        const value = skip === 0 ? [{ id: `${listening.url}/secrets/other-secret`, attributes: { enabled: true } }] : [];
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify({ value, nextLink: next }));
    });
    const listening = await listenOnLoopback(server);
    return {
        url: listening.url, host: new URL(listening.url).host, pagesServed: () => served,
        close: async () => { server.closeAllConnections(); await listening.close(); },
    };
}

/** A webhook receiver that sends its headers, then one byte every second, and never ends the answer. */
async function drippingReceiver(): Promise<{ url: string; host: string; close(): Promise<void> }> {
    const timers = new Set<NodeJS.Timeout>();
    const server = http.createServer((req, res) => {
        req.resume();
        res.writeHead(200, { "content-type": "text/plain" });
        res.flushHeaders();
        const timer = setInterval(() => res.write("."), 1000);
        timers.add(timer);
        res.on("close", () => { clearInterval(timer); timers.delete(timer); });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
        url: `http://${host}/hook`, host,
        close: () => new Promise((resolve) => { timers.forEach(clearInterval); server.closeAllConnections(); server.close(() => resolve()); }),
    };
}

const SLACK_MS = 2500;

describe("--timeout bounds every request of every command (issue 15 §2)", function () {
    this.timeout(30_000);
    let bed: AuditBed;
    before(async () => {
        bed = await startAuditBed(cleanTenant);
        // Load the Azure SDK before the clock starts: a cold require on a busy machine is not what is measured.
        await bed.run(["--vault", bed.vault.url]);
    });
    after(async () => bed.close());

    async function timed<T>(work: () => Promise<T>): Promise<T & { ms: number }> {
        const started = DateTime.now().toMillis();
        const result = await work();
        return { ...result, ms: DateTime.now().toMillis() - started };
    }

    for (const later of ["slow", "endless"] as const) {
        it(`audit: a vault whose later list pages are ${later === "slow" ? "never answered" : "an endless nextLink chain"} ends at --timeout 3s, exit 4 naming the vault`, async () => {
            const vault = await misbehavingVault(bed.tokenServer.tenantId, later);
            try {
                const { code, out, err, ms } = await timed(() => bed.run(["--vault", vault.url, "--timeout", "3s"]));
                assert.equal(code, EXIT_ENVIRONMENT, err);
                assert.equal(out, "");
                assert.equal(err.trim().split("\n").length, 1, err);
                assert.match(err, new RegExp(`^keyrelay audit: ${vault.host.replace(/\./g, "\\.")} did not answer within --timeout 3s\\. Check that host`));
                assert.ok(vault.pagesServed() >= 1, "the first page was read");
                assert.ok(ms >= 2900 && ms < 3000 + SLACK_MS, `ended after ${ms} ms`);
            } finally {
                await vault.close();
            }
        });
    }

    it("audit --webhook: a receiver that drips its answer one byte a second ends at --timeout 4s, exit 4 naming it", async () => {
        const receiver = await drippingReceiver();
        try {
            const { code, err, ms } = await timed(() => bed.run(["--webhook", receiver.url, "--timeout", "4s", "--json"], { KEYRELAY_WEBHOOK_SECRET: "whsec-test-0123456789" }));
            assert.equal(code, EXIT_ENVIRONMENT, err);
            assert.match(err, new RegExp(`^keyrelay audit: ${receiver.host.replace(/\./g, "\\.")} did not answer within --timeout 4s`));
            assert.ok(ms < 4000 + SLACK_MS, `ended after ${ms} ms`);
        } finally {
            await receiver.close();
        }
    });

    it("a --timeout that rounds to 0 ms is a usage error (exit 3), for every command", async () => {
        for (const timeout of ["0.0004", "0.4ms", "PT0.0001S"]) {
            for (const args of [
                ["status", "--vault", bed.vault.url],
                ["verify", "--vault", bed.vault.url, "--secret", "s", "--tenant", bed.tokenServer.tenantId],
                ["audit", "--graph-url", bed.graph.url],
            ]) {
                const context = await capturedContext();
                const code = await runCli([...args, "--timeout", timeout], context);
                const err = context.err.join("");
                assert.equal(code, EXIT_USAGE, `${args[0]} --timeout ${timeout}: ${err}`);
                assert.match(err, new RegExp(`^keyrelay ${args[0]}: --timeout is "${timeout.replace(/\./g, "\\.")}", not a duration from 1 ms`));
            }
        }
    });

    describe("verify --wait", () => {
        const APP = "7e7e7e7e-aaaa-4bbb-8ccc-dddddddddddd";
        const VALUE = "Prop~a-secret-entra-has-not-learned-yet-01";
        before(() => {
            // Entra refuses a new secret with AADSTS7000215 until it has propagated: here, not within the test.
            bed.tokenServer.registerClient({ clientId: APP, secrets: [{ value: VALUE, acceptedFrom: DateTime.utc().plus({ days: 1 }).toMillis() }] });
            bed.vault.writeOutOfBand("propagating-secret", VALUE, { tags: { "managed-by": "keyrelay", "client-id": APP } });
        });

        async function verify(extra: string[]) {
            const context = await capturedContext({ retryBaseDelayMs: 200 });
            return timed(async () => {
                const code = await runCli(["verify", "--vault", bed.vault.url, "--secret", "propagating-secret", "--tenant", bed.tokenServer.tenantId,
                    "--authority-host", bed.tokenServer.authorityHost, "--attempts", "1", ...extra], context);
                return { code, out: context.out.join(""), err: context.err.join("") };
            });
        }

        it("counts against --timeout: --wait PT1H with --timeout 3 stops retrying by 3 s and reports the refusal", async () => {
            const { code, out, err, ms } = await verify(["--wait", "PT1H", "--timeout", "3"]);
            assert.equal(code, EXIT_CRITICAL, err);
            assert.match(out, /^FAILED: /);
            assert.match(out, /note: stopped retrying before --wait ran out: the next retry would have passed --timeout/);
            assert.ok(ms < 3000 + SLACK_MS, `ended after ${ms} ms`);
        });

        it("refuses a --wait longer than a day (exit 3) before any request", async () => {
            for (const wait of ["P2D", "PT25H", "P1W"]) {
                const { code, err } = await verify(["--wait", wait]);
                assert.equal(code, EXIT_USAGE, wait);
                assert.match(err, new RegExp(`^keyrelay verify: --wait is "${wait}", longer than a day \\(P1D\\)`));
            }
            assert.equal((await verify(["--wait", "P1D", "--timeout", "1"])).code, EXIT_CRITICAL, "P1D itself is allowed");
        });
    });
});
