import { strict as assert } from "assert";
import { DateTime } from "luxon";
import { runCli } from "../../../cli/main";
import { EXIT_CRITICAL, EXIT_ENVIRONMENT, EXIT_OK, EXIT_USAGE } from "../../../cli/errors";
import { LocalVault, startLocalVault } from "../../vault/localVault";
import { AADSTS, TokenServer, startTokenServer } from "../../vault/tokenServer";
import { capturedContext, closedPort, signInOperator } from "../fixtures";
import { assertMatchesSchema } from "../outputSchemas";

const APP = "5e5e5e5e-aaaa-4bbb-8ccc-dddddddddddd";
const GOOD_VALUE = "Gq7~good-client-secret-value-abcdefghijkl";

describe("keyrelay verify (against the local HTTPS vault and token server)", function () {
    this.timeout(30_000);
    let tokenServer: TokenServer;
    let vault: LocalVault;
    let restoreEnv: () => void;

    before(async () => {
        tokenServer = await startTokenServer();
        restoreEnv = signInOperator(tokenServer).restore;
        vault = await startLocalVault({ tokenServer });
        tokenServer.registerClient({ clientId: APP, secrets: [{ value: GOOD_VALUE }] });
    });
    after(async () => {
        restoreEnv();
        await vault.close();
        await tokenServer.close();
    });

    function store(name: string, value: string, clientId = APP) {
        vault.writeOutOfBand(name, value, { tags: { "managed-by": "keyrelay", app: name, "client-id": clientId } });
    }

    async function verify(args: string[], overrides = {}) {
        const context = await capturedContext(overrides);
        const code = await runCli(["verify", "--vault", vault.url, "--tenant", tokenServer.tenantId, "--authority-host", tokenServer.authorityHost, ...args], context);
        return { code, out: context.out.join(""), err: context.err.join("") };
    }

    function assertNoValue(text: string, value: string) {
        assert.ok(!text.includes(value), "the secret value is never printed");
        assert.ok(!text.includes(value.slice(0, 8)), "not even a long prefix of it");
    }

    it("says OK with a three-character hint when Entra issues a token", async () => {
        store("good-secret", GOOD_VALUE);
        const { code, out, err } = await verify(["--secret", "good-secret"]);
        assert.equal(code, EXIT_OK, err);
        assert.match(out, new RegExp(`^OK: "good-secret" \\(version [0-9a-f]{8}, value Gq7…\\) gets a token for app ${APP} in tenant ${tokenServer.tenantId}\\.\\n  token requests: #1 ok \\d+ ms, #2 ok \\d+ ms, #3 ok \\d+ ms\\.\\n$`));
        assertNoValue(out + err, GOOD_VALUE);
        assert.equal(tokenServer.tokenRequests.filter((r) => r.clientId === APP).at(-1)!.outcome, "issued");
        assert.equal(tokenServer.tokenRequests.filter((r) => r.clientId === APP).at(-1)!.scope, "https://vault.azure.net/.default");
    });

    it("diagnoses AADSTS7000215 and spots a Secret ID pasted as the value", async () => {
        const keyId = "9c8b7a65-4321-4fed-8cba-0123456789ab";
        store("pasted-id", keyId);
        const { code, out } = await verify(["--secret", "pasted-id", "--wait", "PT0S"]);
        assert.equal(code, EXIT_CRITICAL);
        assert.match(out, /^FAILED: Entra rejects the value in "pasted-id" as a client secret of app .* \(AADSTS7000215: invalid client secret\)\./);
        assert.match(out, /note: the value has the shape of a GUID: this is probably the Secret ID, not the secret's Value\./);
        assert.match(out, /value in Key Vault: 9c8… .*1 attempt\./);
        assert.match(out, /fix: Check that the secret holds the client secret's Value, not its Secret ID/);
        assertNoValue(out, keyId);
    });

    it("notices trailing whitespace behind an AADSTS7000215", async () => {
        store("with-newline", `${GOOD_VALUE}\n`);
        const { code, out } = await verify(["--secret", "with-newline", "--wait", "PT0S", "--json"]);
        assert.equal(code, EXIT_CRITICAL);
        const result = JSON.parse(out);
        assertMatchesSchema("verify", result);
        assert.equal(result.refusal.code, 7000215);
        assert.equal(result.refusal.cause, "wrong-value");
        assert.deepEqual(result.valueWarnings, ["the value ends with a line break"]);
        assertNoValue(out, GOOD_VALUE);
    });

    it("notes what the policy pack would (one shared module): zero-width characters and typographic quotes", async () => {
        const cases: [string, string, string[]][] = [
            ["zero-width", `\u200B${GOOD_VALUE}\uFEFF`, ["the value starts with a zero-width character (U+200B)", "the value ends with a zero-width character (U+FEFF)"]],
            ["curly-quoted", `\u201C${GOOD_VALUE}\u201D`, ["the value is wrapped in typographic quotes"]],
            ["single-curly", `\u2018${GOOD_VALUE}\u2019`, ["the value is wrapped in typographic quotes"]],
        ];
        for (const [name, value, notes] of cases) {
            store(name, value);
            const { code, out } = await verify(["--secret", name, "--wait", "PT0S", "--json"]);
            assert.equal(code, EXIT_CRITICAL, name);
            assert.deepEqual(JSON.parse(out).valueWarnings, notes, name);
            assertNoValue(out, GOOD_VALUE);
        }
    });

    it("shows at most a 3-character hint, and none for a value of 12 characters or fewer", async () => {
        const cases: [string, string, string][] = [["twelve", "Ab3~short-12", "…"], ["thirteen", "Ab3~short-13x", "Ab3…"], ["long", GOOD_VALUE, "Gq7…"]];
        for (const [name, value, hint] of cases) {
            assert.ok(name !== "twelve" || value.length === 12);
            store(`hint-${name}`, value);
            const { out } = await verify(["--secret", `hint-${name}`, "--wait", "PT0S", "--json"]);
            const result = JSON.parse(out);
            assertMatchesSchema("verify", result);
            assert.equal(result.hint, hint, name);
            if (value.length <= 12) assert.ok(!out.includes(value.slice(0, 1) + value.slice(1, 3)), "no characters of a short value");
        }
    });

    it("diagnoses an expired secret (AADSTS7000222)", async () => {
        const expiredApp = "7e7e7e7e-aaaa-4bbb-8ccc-dddddddddddd";
        tokenServer.registerClient({ clientId: expiredApp, secrets: [{ value: "Exp~expired-value-0123456789", expiresAt: DateTime.utc().minus({ days: 1 }).toMillis() }] });
        store("expired-secret", "Exp~expired-value-0123456789", expiredApp);
        const { code, out } = await verify(["--secret", "expired-secret"]);
        assert.equal(code, EXIT_CRITICAL);
        assert.match(out, /^FAILED: the client secret in "expired-secret" for app 7e7e7e7e-.* has expired \(AADSTS7000222\)\./);
        assert.match(out, /fix: The scheduled rotation has not run for too long: run `pulumi up`/);
    });

    it("diagnoses an app missing from the tenant (AADSTS700016) and an unknown tenant (AADSTS90002)", async () => {
        store("stray-app", GOOD_VALUE, "00000000-dead-4bee-8fee-000000000000");
        const stray = await verify(["--secret", "stray-app"]);
        assert.equal(stray.code, EXIT_CRITICAL);
        assert.match(stray.out, /app 00000000-dead-4bee-8fee-000000000000 is not found in tenant .* \(AADSTS700016\)/);
        store("good-again", GOOD_VALUE);
        const context = await capturedContext();
        const code = await runCli(["verify", "--vault", vault.url, "--secret", "good-again", "--tenant", "contoso.example", "--authority-host", tokenServer.authorityHost], context);
        assert.equal(code, EXIT_CRITICAL);
        assert.match(context.out.join(""), /tenant contoso\.example is not found \(AADSTS90002\)\.\n(.*\n)+\s+fix: Check --tenant/);
    });

    it("retries a fresh secret while Entra has not propagated it, and succeeds within the wait", async () => {
        const freshApp = "8f8f8f8f-aaaa-4bbb-8ccc-dddddddddddd";
        tokenServer.registerClient({ clientId: freshApp, secrets: [{ value: "New~fresh-value-0123456789abcdef", acceptedFrom: DateTime.utc().plus({ milliseconds: 1500 }).toMillis() }] });
        store("fresh-secret", "New~fresh-value-0123456789abcdef", freshApp);
        const { code, out } = await verify(["--secret", "fresh-secret", "--wait", "PT1M"], { retryBaseDelayMs: 100 });
        assert.equal(code, EXIT_OK, out);
        const attempts = tokenServer.tokenRequests.filter((r) => r.clientId === freshApp);
        assert.ok(attempts.length >= 2, `retried with backoff: ${attempts.length} attempts`);
        assert.equal(attempts[0].outcome, "AADSTS7000215");
        // Refused until propagated, then the three consecutive successes --attempts asks for by default.
        assert.deepEqual(attempts.slice(0, -3).map((a) => a.outcome), attempts.slice(0, -3).map(() => "AADSTS7000215"));
        assert.deepEqual(attempts.slice(-3).map((a) => a.outcome), ["issued", "issued", "issued"]);
        assert.match(out, new RegExp(`after ${attempts.length} attempts\\.\\n  token requests: #1 AADSTS7000215 \\d+ ms, .*#${attempts.length} ok \\d+ ms\\.\\n$`));
    });

    it("concludes AADSTS7000215 once the wait window is over", async () => {
        const slowApp = "9a9a9a9a-aaaa-4bbb-8ccc-dddddddddddd";
        tokenServer.registerClient({ clientId: slowApp, secrets: [{ value: "Slo~slow-value-0123456789abcdef", acceptedFrom: DateTime.utc().plus({ minutes: 5 }).toMillis() }] });
        store("slow-secret", "Slo~slow-value-0123456789abcdef", slowApp);
        const started = DateTime.utc();
        // Version timestamps have whole seconds: the window ends 2 to 3 s after the write.
        const { code, out } = await verify(["--secret", "slow-secret", "--wait", "PT2S"], { retryBaseDelayMs: 100 });
        const elapsed = DateTime.utc().diff(started).as("milliseconds");
        assert.equal(code, EXIT_CRITICAL);
        assert.match(out, /AADSTS7000215/);
        assert.ok(elapsed < 4000, `gave up after the window (${elapsed} ms)`);
        assert.ok(tokenServer.tokenRequests.filter((r) => r.clientId === slowApp).length >= 3);
    });

    it("reports an injected token-endpoint error body for the client", async () => {
        store("injected", GOOD_VALUE);
        tokenServer.injectError(AADSTS.expiredSecret(APP), { clientId: APP });
        const { code, out } = await verify(["--secret", "injected"]);
        assert.equal(code, EXIT_CRITICAL);
        assert.match(out, /has expired \(AADSTS7000222\)/);
    });

    it("exits 4 with one line for a missing secret, a disabled one and an unreachable authority", async () => {
        const missing = await verify(["--secret", "no-such-secret"]);
        assert.equal(missing.code, EXIT_ENVIRONMENT);
        assert.match(missing.err, /^keyrelay verify: secret "no-such-secret" is not in https:\/\/127\.0\.0\.1:\d+\. Check --secret \(keyrelay status lists the vault's keyrelay secrets\)\.\n$/);

        const version = vault.writeOutOfBand("disabled-secret", GOOD_VALUE, { tags: { "client-id": APP } });
        vault.setVersionEnabled("disabled-secret", version.version, false);
        const disabled = await verify(["--secret", "disabled-secret"]);
        assert.equal(disabled.code, EXIT_ENVIRONMENT);
        assert.match(disabled.err, /^keyrelay verify: the newest version of "disabled-secret" .* is disabled/);

        store("good-3", GOOD_VALUE);
        const port = await closedPort();
        const context = await capturedContext();
        const code = await runCli(["verify", "--vault", vault.url, "--secret", "good-3", "--tenant", tokenServer.tenantId, "--authority-host", `https://127.0.0.1:${port}`], context);
        assert.equal(code, EXIT_ENVIRONMENT);
        const err = context.err.join("");
        assert.match(err, /^keyrelay verify: cannot get a token to read secret "good-3" in https:\/\/127\.0\.0\.1:\d+: .*Sign in with `az login`/);
        assert.equal(err.trim().split("\n").length, 1);
    });

    it("rejects bad arguments with one line and exit 3", async () => {
        store("no-client-id", GOOD_VALUE, "");
        const cases: Array<[string[], RegExp]> = [
            [["--secret", "bad_name"], /^keyrelay verify: --secret is "bad_name", not a Key Vault secret name/],
            [["--secret", "good-secret", "--wait", "5 minutes"], /^keyrelay verify: --wait is "5 minutes", not an ISO-8601 duration/],
            [["--secret", "good-secret", "--authority-host", "login.example"], /^keyrelay verify: authority host "login\.example" \(--authority-host or AZURE_AUTHORITY_HOST\) is not an https URL/],
            [["--secret", "no-client-id"], /^keyrelay verify: secret "no-client-id" has no client-id tag \(it was not written by keyrelay\)\. Pass --client-id/],
        ];
        for (const [args, message] of cases) {
            const { code, err } = await verify(args);
            assert.equal(code, EXIT_USAGE, args.join(" "));
            assert.match(err, message);
            assert.equal(err.trim().split("\n").length, 1);
        }
        const context = await capturedContext({ env: {} });
        assert.equal(await runCli(["verify", "--vault", vault.url, "--secret", "good-secret"], context), EXIT_USAGE);
        assert.equal(context.err.join(""), "keyrelay verify: no tenant. Pass --tenant <directory id or domain>, or set AZURE_TENANT_ID.\n");
    });
});
