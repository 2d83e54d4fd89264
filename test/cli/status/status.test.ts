import { strict as assert } from "assert";
import { DateTime } from "luxon";
import { runCli } from "../../../cli/main";
import { EXIT_CRITICAL, EXIT_ENVIRONMENT, EXIT_OK, EXIT_USAGE, EXIT_WARNING } from "../../../cli/errors";
import { LocalVault, VAULT_ROLES, startLocalVault } from "../../vault/localVault";
import { TokenServer, startTokenServer } from "../../vault/tokenServer";
import { capturedContext, closedPort, signInOperator } from "../fixtures";
import { assertMatchesSchema } from "../outputSchemas";

const DAY_S = 24 * 60 * 60;

describe("keyrelay status (against the local HTTPS vault)", function () {
    this.timeout(30_000);
    let tokenServer: TokenServer;
    let restoreEnv: () => void;
    let operatorObjectId: string;
    const vaults: LocalVault[] = [];
    const nowS = () => Math.floor(DateTime.utc().toSeconds());

    before(async () => {
        tokenServer = await startTokenServer();
        const signedIn = signInOperator(tokenServer);
        restoreEnv = signedIn.restore;
        operatorObjectId = signedIn.objectId;
    });
    after(async () => {
        restoreEnv();
        await Promise.all(vaults.map((v) => v.close()));
        await tokenServer.close();
    });

    async function vaultWith(seed: (vault: LocalVault) => void, options: Partial<Parameters<typeof startLocalVault>[0]> = {}): Promise<LocalVault> {
        const vault = await startLocalVault({ tokenServer, ...options });
        vaults.push(vault);
        seed(vault);
        return vault;
    }

    function keyrelaySecret(vault: LocalVault, app: string, expiresInDays: number, nextRotationInDays: number, extraTags: Record<string, string> = {}) {
        vault.writeOutOfBand(`${app}-client-secret`, `${app.slice(0, 3)}~value-that-must-never-be-printed`, {
            exp: nowS() + Math.round(expiresInDays * DAY_S),
            tags: {
                "managed-by": "keyrelay", app, "client-id": `cid-${app}`, "rotation-every": "P90D",
                "next-rotation": DateTime.utc().plus({ days: nextRotationInDays }).toISO()!, ...extraTags,
            },
        });
    }

    async function status(args: string[], overrides = {}) {
        const context = await capturedContext(overrides);
        const code = await runCli(["status", ...args, "--authority-host", tokenServer.authorityHost], context);
        return { code, out: context.out.join(""), err: context.err.join("") };
    }

    it("judges fresh, due, near-expiry, expired and untagged secrets, ignores foreign ones, and exits 2", async () => {
        const vault = await vaultWith((v) => {
            keyrelaySecret(v, "fresh", 150, 60);
            keyrelaySecret(v, "due", 90.5, -0.5);
            keyrelaySecret(v, "near", 10, -80);
            keyrelaySecret(v, "gone", -2, -100);
            v.writeOutOfBand("untagged-client-secret", "unt~x", { exp: nowS() + 100 * DAY_S, tags: { "managed-by": "keyrelay", app: "untagged" } });
            v.writeOutOfBand("foreign-db-password", "for~x", { exp: nowS() + 5 * DAY_S, tags: { owner: "dba" } });
        });
        const { code, out, err } = await status(["--vault", vault.url]);
        assert.equal(code, EXIT_CRITICAL, err);
        const row = (secret: string) => out.split("\n").find((l) => l.startsWith(`${secret} `))!;
        assert.match(row("fresh-client-secret"), /fresh\s+cid-fresh\s+\d{4}-\d\d-\d\d\s+149\s+\d{4}-\d\d-\d\d\s+ok$/);
        assert.match(row("due-client-secret"), /\s90\s.*\sdue$/);
        assert.match(row("near-client-secret"), /\s9\s.*\snear expiry$/);
        assert.match(row("gone-client-secret"), /\s-2\s.*\sexpired$/);
        assert.match(row("untagged-client-secret"), /\smissing$/);
        assert.match(out, /untagged-client-secret: missing: no client-id tag, no next-rotation tag/);
        assert.ok(!out.includes("foreign-db-password"));
        assert.match(out, /5 keyrelay secrets: 1 ok, 1 due, 1 near expiry, 1 expired, 1 missing\. 1 other secrets ignored\. 1 list pages read\./);
        assert.ok(!out.includes("value-that-must-never-be-printed"));
        const reads = vault.requests.filter((r) => r.method === "GET" && /^\/secrets\/[^/?]+/.test(r.path));
        assert.deepEqual(reads, [], "status reads no secret, only the listing");
    });

    it("exits 1 when the worst is a due rotation and 0 when all are ok, with JSON on request", async () => {
        const dueVault = await vaultWith((v) => { keyrelaySecret(v, "a", 150, 30); keyrelaySecret(v, "b", 91, -1); });
        assert.equal((await status(["--vault", dueVault.url])).code, EXIT_WARNING);
        const okVault = await vaultWith((v) => { keyrelaySecret(v, "a", 150, 30); keyrelaySecret(v, "b", 120, 2); });
        const { code, out } = await status(["--vault", okVault.url, "--json"]);
        assert.equal(code, EXIT_OK);
        const report = JSON.parse(out);
        assertMatchesSchema("status", report);
        assert.equal(report.exitCode, EXIT_OK);
        assert.deepEqual(report.secrets.map((s: { secret: string; verdict: string }) => [s.secret, s.verdict]), [["b-client-secret", "ok"], ["a-client-secret", "ok"]]);
        assert.equal(report.counts.ok, 2);
    });

    it("honours --warn-days", async () => {
        const vault = await vaultWith((v) => keyrelaySecret(v, "a", 45, 10));
        assert.equal((await status(["--vault", vault.url])).code, EXIT_OK);
        const { code, out } = await status(["--vault", vault.url, "--warn-days", "60"]);
        assert.equal(code, EXIT_CRITICAL);
        assert.match(out, /44 days left \(under 60\)/);
    });

    it("reads 60 secrets in 3 pages of 25 and shows progress only on a terminal", async () => {
        const vault = await vaultWith((v) => { for (let i = 0; i < 60; i++) keyrelaySecret(v, `app${i}`, 150, 60); });
        const plain = await status(["--vault", vault.url]);
        assert.equal(plain.err, "");
        assert.match(plain.out, /60 keyrelay secrets: 60 ok\. 0 other secrets ignored\. 3 list pages read\./);
        const tty = await status(["--vault", vault.url], { isTTY: true });
        assert.match(tty.err, /\rscanning https:\/\/127\.0\.0\.1:\d+: 60 secrets, 3 pages\n$/);
        assert.equal(vault.requests.filter((r) => r.method === "GET" && r.path.startsWith("/secrets") && r.status === 200).length, 6);
    });

    it("says in one line that a vault holds no keyrelay secret, and exits 4", async () => {
        const vault = await vaultWith((v) => v.writeOutOfBand("other", "x", { tags: { owner: "me" } }));
        const { code, out, err } = await status(["--vault", vault.url]);
        assert.equal(code, EXIT_ENVIRONMENT);
        assert.equal(out, "");
        assert.match(err, /^keyrelay status: no secrets managed by keyrelay in https:\/\/127\.0\.0\.1:\d+ \(1 other secrets, none tagged managed-by=keyrelay\)\. Check --vault, or deploy a stack that writes to this vault first\.\n$/);
    });

    it("names the missing role when listing is forbidden, and exits 4", async () => {
        const vault = await vaultWith(() => undefined, { roles: { [operatorObjectId]: [] } });
        const { code, err } = await status(["--vault", vault.url]);
        assert.equal(code, EXIT_ENVIRONMENT);
        assert.match(err, /^keyrelay status: access denied to list secrets in https:\/\/127\.0\.0\.1:\d+ \(403 Forbidden\)\. Give the identity you signed in with the "Key Vault Reader" role on the vault\.\n$/);
    });

    it("needs only Key Vault Reader: it lists metadata and never reads a value", async () => {
        const vault = await vaultWith((v) => keyrelaySecret(v, "fresh", 150, 60), { roles: { [operatorObjectId]: VAULT_ROLES["Key Vault Reader"] } });
        const { code, err } = await status(["--vault", vault.url]);
        assert.equal(code, EXIT_OK, err);
        assert.ok(vault.requests.length > 0);
        assert.ok(vault.requests.every((r) => r.status !== 403), "no request needed more than metadata");
    });

    it("says in one line that an unreachable vault cannot be reached, and exits 4", async () => {
        const port = await closedPort();
        const { code, err } = await status(["--vault", `https://127.0.0.1:${port}`]);
        assert.equal(code, EXIT_ENVIRONMENT);
        assert.equal(err, `keyrelay status: cannot reach the vault at https://127.0.0.1:${port} (ECONNREFUSED). Check the URL, your network, and the vault's firewall or private endpoint.\n`);
    });

    it("rejects bad arguments with one line and exit 3", async () => {
        const cases: Array<[string[], RegExp]> = [
            [[], /^keyrelay status: required option '--vault <url>' not specified\n$/],
            [["--vault", "https://kv-x.vault.azure.net", "--warn-days", "soon"], /^keyrelay status: --warn-days is "soon", not a whole number of days\. Use a number from 0 to 730, e\.g\. --warn-days 30\.\n$/],
            [["--vault", "http://kv-x.vault.azure.net"], /^keyrelay status: command line: --vault is "http:\/\/kv-x\.vault\.azure\.net", not a Key Vault URL\. Use the vault's URI/],
            [["--vault", "https://kv-x.vault.azure.net", "--bogus"], /^keyrelay status: unknown option '--bogus'\n$/],
        ];
        for (const [args, message] of cases) {
            const context = await capturedContext();
            const code = await runCli(["status", ...args], context);
            assert.equal(code, EXIT_USAGE, args.join(" "));
            assert.match(context.err.join(""), message);
            assert.equal(context.err.join("").trim().split("\n").length, 1);
        }
    });
});
