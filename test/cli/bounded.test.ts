// Issue 9 §3 and §6: every wait of `keyrelay status` and `keyrelay verify` is bounded, and what
// they print is safe. Each probe is a row: the fault, the command, the one line it must end with.
import { strict as assert } from "assert";
import * as net from "net";
import { DateTime } from "luxon";
import { runCli } from "../../cli/main";
import { EXIT_ENVIRONMENT, EXIT_OK, EXIT_USAGE } from "../../cli/errors";
import { DEFAULT_TIMEOUT_SECONDS, REQUEST_TIMEOUT_MS, parseTimeout } from "../../lib/deadline";
import { LocalVault, startLocalVault } from "../vault/localVault";
import { TokenServer, startTokenServer } from "../vault/tokenServer";
import { capturedContext, signInOperator } from "./fixtures";

/** Accepts TCP connections and never says a word (not even a TLS handshake). */
async function silentHost(): Promise<{ url: string; host: string; close(): Promise<void> }> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => { sockets.add(s); s.on("error", () => undefined); });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    return {
        url: `https://${host}`, host,
        close: () => new Promise((resolve) => { sockets.forEach((s) => s.destroy()); server.close(() => resolve()); }),
    };
}

describe("keyrelay status and verify: every wait bounded, output safe", function () {
    this.timeout(60_000);
    let tokenServer: TokenServer;
    let vault: LocalVault;
    let restoreEnv: () => void;
    let silent: Awaited<ReturnType<typeof silentHost>>;

    before(async () => {
        tokenServer = await startTokenServer();
        restoreEnv = signInOperator(tokenServer).restore;
        vault = await startLocalVault({ tokenServer });
        silent = await silentHost();
        vault.writeOutOfBand("app-client-secret", "Gq7~a-long-enough-client-secret-value", {
            exp: Math.floor(DateTime.utc().plus({ days: 100 }).toSeconds()),
            tags: { "managed-by": "keyrelay", app: "app", "client-id": "cid-app", "next-rotation": DateTime.utc().plus({ days: 50 }).toISO()! },
        });
    });
    after(async () => {
        restoreEnv();
        await vault.close();
        await silent.close();
        await tokenServer.close();
    });

    async function run(args: string[]) {
        const context = await capturedContext({ maxRetryAfterMs: 50 });
        const started = Date.now();
        const code = await runCli(args, context);
        return { code, out: context.out.join(""), err: context.err.join(""), ms: Date.now() - started };
    }

    const hung = () => silent.url;
    const faults: { title: string; args: () => string[]; line: () => RegExp; withinMs: number }[] = [
        {
            title: "status: a vault that accepts the connection and never answers",
            args: () => ["status", "--vault", hung(), "--authority-host", tokenServer.authorityHost, "--timeout", "1"],
            line: () => new RegExp(`^keyrelay status: ${silent.host.replace(/\./g, "\\.")} did not answer`),
            withinMs: 4000,
        },
        {
            title: "status: an authority host that accepts the connection and never answers",
            args: () => ["status", "--vault", vault.url, "--authority-host", hung(), "--timeout", "1"],
            line: () => new RegExp(`^keyrelay status: ${silent.host.replace(/\./g, "\\.")} did not answer`),
            withinMs: 4000,
        },
        {
            title: "verify: a vault that never answers",
            args: () => ["verify", "--vault", hung(), "--secret", "app-client-secret", "--tenant", tokenServer.tenantId, "--authority-host", tokenServer.authorityHost, "--timeout", "1"],
            line: () => new RegExp(`^keyrelay verify: ${silent.host.replace(/\./g, "\\.")} did not answer`),
            withinMs: 4000,
        },
        {
            title: "verify: an authority host that never answers",
            args: () => ["verify", "--vault", vault.url, "--secret", "app-client-secret", "--tenant", tokenServer.tenantId, "--authority-host", hung(), "--timeout", "1.5"],
            line: () => new RegExp(`^keyrelay verify: ${silent.host.replace(/\./g, "\\.")} did not answer`),
            withinMs: 5000,
        },
        {
            title: "status: an authority host that does not resolve is named as such",
            args: () => ["status", "--vault", vault.url, "--authority-host", "https://login.keyrelay-probe.invalid", "--timeout", "20"],
            line: () => /^keyrelay status: the authority host login\.keyrelay-probe\.invalid does not resolve \(DNS lookup failed\)\. Check --authority-host/,
            withinMs: 15_000,
        },
        {
            title: "verify: an authority host that does not resolve is named as such",
            args: () => ["verify", "--vault", vault.url, "--secret", "app-client-secret", "--tenant", tokenServer.tenantId, "--authority-host", "https://login.keyrelay-probe.invalid", "--timeout", "20"],
            line: () => /^keyrelay verify: the authority host login\.keyrelay-probe\.invalid does not resolve/,
            withinMs: 15_000,
        },
        {
            title: "status: a vault host that does not resolve is named as such",
            args: () => ["status", "--vault", "https://kv-keyrelay-probe-zz.vault.azure.net", "--authority-host", tokenServer.authorityHost, "--timeout", "20"],
            line: () => /^keyrelay(?: status)?: the vault host kv-keyrelay-probe-zz\.vault\.azure\.net does not resolve/,
            withinMs: 15_000,
        },
        {
            title: "status: a vault that answers 429 with Retry-After: 3600 on every listing",
            args: () => {
                vault.inject({ fault: { kind: "throttle", retryAfterSeconds: 3600 }, method: "GET", pathPrefix: "/secrets", count: Infinity });
                return ["status", "--vault", vault.url, "--authority-host", tokenServer.authorityHost, "--timeout", "20"];
            },
            line: () => /^keyrelay status: cannot list secrets in https:\/\/127\.0\.0\.1:\d+: the vault kept answering 429 \(throttled\) through the bounded retries\. The vault's request budget/,
            withinMs: 10_000,
        },
    ];

    for (const { title, args, line, withinMs } of faults) {
        it(title, async () => {
            try {
                const { code, out, err, ms } = await run(args());
                assert.equal(code, EXIT_ENVIRONMENT, err);
                assert.equal(out, "");
                assert.equal(err.trim().split("\n").length, 1, `one line: ${err}`);
                assert.match(err, line());
                assert.ok(ms < withinMs, `ended in ${ms} ms`);
            } finally {
                vault.clearFaults();
            }
        });
    }

    it("a single Retry-After: 3600 costs one capped wait, and status succeeds", async () => {
        vault.inject({ fault: { kind: "throttle", retryAfterSeconds: 3600 }, method: "GET", pathPrefix: "/secrets", count: 1 });
        const { code, err, ms } = await run(["status", "--vault", vault.url, "--authority-host", tokenServer.authorityHost]);
        assert.equal(code, EXIT_OK, err);
        assert.ok(ms < 5000, `${ms} ms`);
    });

    it("--timeout: default 60 s, seconds or a duration (60s, 5m, PT2M) up to a day, else one line and exit 3", async () => {
        assert.equal(DEFAULT_TIMEOUT_SECONDS, 60);
        assert.equal(parseTimeout(undefined, "status"), 60_000);
        assert.equal(parseTimeout("2.5", "status"), 2500);
        assert.equal(parseTimeout("60s", "status"), 60_000);
        assert.equal(parseTimeout("5m", "verify"), 300_000);
        assert.equal(parseTimeout("PT2M", "audit"), 120_000);
        assert.ok(REQUEST_TIMEOUT_MS <= 60_000);
        for (const bad of ["0", "-1", "soon", "1e3", "25h", "P2D"]) {
            const { code, err } = await run(["status", "--vault", vault.url, "--timeout", bad]);
            assert.equal(code, EXIT_USAGE, bad);
            assert.match(err, /^keyrelay status: --timeout is ".*", not a duration from 1 ms up to 24 h/);
            assert.equal(err.trim().split("\n").length, 1);
        }
    });

    describe("output hygiene", () => {
        it("status strips escape sequences and control characters from names and tag values", async () => {
            const forged = await startLocalVault({ tokenServer });
            try {
                forged.writeOutOfBand("evil-client-secret", "x".repeat(20), {
                    exp: Math.floor(DateTime.utc().plus({ days: 100 }).toSeconds()),
                    tags: {
                        "managed-by": "keyrelay",
                        app: "\u001b[2J\u001b[Hcleared\u001b]0;title\u0007\u009b31m",
                        "client-id": "cid\r\nforged-row  ok  2099-01-01\u202e",
                        "next-rotation": "\u001b[31mnot-a-date\u0000",
                    },
                });
                const { out, err } = await run(["status", "--vault", forged.url, "--authority-host", tokenServer.authorityHost]);
                assert.ok(out.length > 0, err);
                assert.doesNotMatch(out, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/, "no control character but the line feeds");
                // A line break becomes a space (lib/terminalText.ts): the row stays one row.
                assert.match(out, /evil-client-secret +cleared +cid forged-row {2}ok {2}2099-01-01 /);
                assert.ok(!out.split("\n").some((l) => l.startsWith("forged-row")), "no forged row");
                assert.match(out, /next-rotation tag "not-a-date" is not a date/);
                const json = await run(["status", "--vault", forged.url, "--authority-host", tokenServer.authorityHost, "--json"]);
                assert.doesNotMatch(json.out, /\\u001b|\\u0000|\\r/);
            } finally {
                await forged.close();
            }
        });
    });
});
