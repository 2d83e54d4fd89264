// Issue 19 §4: every failure becomes an exit in one place (cli/errors.ts exitCodeOf, used by
// cli/main.ts). A CliError wraps a KeyrelayError with its exit code; a bare KeyrelayError gets the
// code of its kind; vault failures carry VaultError fields instead of a message to parse.
import { strict as assert } from "assert";
import { CliError, EXIT_ENVIRONMENT, EXIT_USAGE, environmentError, exitCodeOf, isCliError, usageError } from "../../cli/errors";
import { vaultCallError } from "../../cli/vaultAccess";
import { runCli } from "../../cli/main";
import { DeadlineError, OptionError, parseTimeout } from "../../lib/deadline";
import { GraphError, InputError, KeyrelayError, isKeyrelayError, isVaultError } from "../../lib/errors";
import { capturedContext } from "./fixtures";

describe("cli/errors: one way to fail, one place to exit", () => {
    it("a CliError wraps a KeyrelayError and keeps its message and exit code", () => {
        for (const [error, code] of [[usageError("keyrelay x: bad"), EXIT_USAGE], [environmentError("keyrelay x: down"), EXIT_ENVIRONMENT]] as const) {
            assert.ok(isCliError(error));
            assert.ok(isKeyrelayError(error.reason));
            assert.equal(error.message, error.reason.message);
            assert.equal(exitCodeOf(error), code);
        }
    });

    it("a bare KeyrelayError exits by its kind: bad input 3, everything it talks to 4; anything else 4", () => {
        assert.equal(exitCodeOf(new InputError("app", "rotation.every", "is not a duration", "Use P90D.")), EXIT_USAGE);
        assert.equal(exitCodeOf(new OptionError("keyrelay status: --timeout is \"x\"", "Use 60s.")), EXIT_USAGE);
        assert.equal(exitCodeOf(new GraphError({ request: "GET /v1.0/applications", graphUrl: "https://graph.microsoft.com", status: 403 }, "denied")), EXIT_ENVIRONMENT);
        assert.equal(exitCodeOf(new DeadlineError("audit", "kv.vault.azure.net", 3000)), EXIT_ENVIRONMENT);
        assert.equal(exitCodeOf(new KeyrelayError("Unavailable", "down")), EXIT_ENVIRONMENT);
        assert.equal(exitCodeOf(new Error("boom")), EXIT_ENVIRONMENT);
        assert.throws(() => parseTimeout("0.0001", "status"), (e: unknown) => exitCodeOf(e) === EXIT_USAGE);
    });

    it("the one timeout message names the command, the host and the --timeout", () => {
        assert.equal(new DeadlineError("audit", "127.0.0.1:4000", 3000).message,
            "keyrelay audit: 127.0.0.1:4000 did not answer within --timeout 3s. Check that host, your network, proxy and firewall, or raise --timeout.");
    });

    it("a failed vault call is a CliError around a VaultError with the vault's status and codes", () => {
        const denied = vaultCallError({ statusCode: 403, code: "Forbidden", details: { error: { innererror: { code: "ForbiddenByRbac" } } }, message: "Caller is not authorized" },
            "list secrets", "https://kv.vault.azure.net", "Key Vault Secrets User");
        assert.ok(isCliError(denied));
        assert.equal(denied.exitCode, EXIT_ENVIRONMENT);
        assert.ok(isVaultError(denied.reason));
        assert.deepEqual([denied.reason.action, denied.reason.status, denied.reason.serviceCode, denied.reason.innerCode], ["list", 403, "Forbidden", "ForbiddenByRbac"]);
        assert.match(denied.message, /^keyrelay: access denied to list secrets in https:\/\/kv\.vault\.azure\.net \(403 Forbidden\)\. Give the identity/);
    });

    it("runCli turns a KeyrelayError into one line and its exit code (also as JSON with --json)", async () => {
        const context = await capturedContext();
        const code = await runCli(["status", "--vault", "https://kv.vault.azure.net", "--timeout", "0.0001", "--json"], context);
        assert.equal(code, EXIT_USAGE);
        assert.equal(context.err.join("").trim().split("\n").length, 1);
        assert.deepEqual(JSON.parse(context.out.join("")), { error: context.err.join("").trim(), exitCode: EXIT_USAGE });
        assert.ok(new CliError(new KeyrelayError("X", "y"), 9) instanceof Error);
    });
});
