// keyrelay verify --attempts: N consecutive successes, each latency reported, and a success
// followed by AADSTS7000215 called out as propagation. Entra's replicas are played by a proxy in
// front of the local token server that refuses chosen requests of one app the way Entra does.
import { strict as assert } from "assert";
import * as https from "https";
import { runCli } from "../../../cli/main";
import { EXIT_CRITICAL, EXIT_OK, EXIT_USAGE } from "../../../cli/errors";
import { LocalVault, startLocalVault } from "../../vault/localVault";
import { listenOnLoopback, trustedTls } from "../../vault/tls";
import { AADSTS, TokenServer, startTokenServer } from "../../vault/tokenServer";
import { capturedContext, signInOperator } from "../fixtures";

const APP = "6d6d6d6d-aaaa-4bbb-8ccc-dddddddddddd";
const VALUE = "Rep~replicated-client-secret-value-0123";

interface Replicas {
    url: string;
    /** For the app's token requests in order: true = a replica that knows the secret (forwarded), false = one that does not yet. */
    script: boolean[];
    seen: number;
    close(): Promise<void>;
}

async function startReplicas(tokenServer: TokenServer): Promise<Replicas> {
    const tls = await trustedTls();
    const upstream = new URL(tokenServer.authorityHost);
    const replicas: Replicas = { url: "", script: [], seen: 0, close: async () => undefined };
    const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks);
            const form = new URLSearchParams(body.toString("utf8"));
            if (req.method === "POST" && form.get("client_id") === APP) {
                const known = replicas.script[replicas.seen++] ?? true;
                if (!known) {
                    const e = AADSTS.invalidSecret(APP);
                    res.writeHead(e.status, { "content-type": "application/json; charset=utf-8" });
                    res.end(JSON.stringify({ error: e.error, error_description: e.description, error_codes: [e.code] }));
                    return;
                }
            }
            const forward = https.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host }, ca: tls.ca }, (answer) => {
                const parts: Buffer[] = [];
                answer.on("data", (c: Buffer) => parts.push(c));
                answer.on("end", () => {
                    // The metadata names the endpoints: point them at the replicas too.
                    const text = Buffer.concat(parts).toString("utf8").split(tokenServer.authorityHost).join(replicas.url);
                    res.writeHead(answer.statusCode ?? 502, { "content-type": answer.headers["content-type"] ?? "application/json" });
                    res.end(text);
                });
            });
            forward.on("error", () => res.writeHead(502).end());
            forward.end(body);
        });
    });
    const listening = await listenOnLoopback(server);
    replicas.url = listening.url;
    replicas.close = listening.close;
    return replicas;
}

describe("keyrelay verify --attempts (Entra replicas)", function () {
    this.timeout(30_000);
    let tokenServer: TokenServer;
    let vault: LocalVault;
    let replicas: Replicas;
    let restoreEnv: () => void;

    before(async () => {
        tokenServer = await startTokenServer();
        restoreEnv = signInOperator(tokenServer).restore;
        vault = await startLocalVault({ tokenServer });
        tokenServer.registerClient({ clientId: APP, secrets: [{ value: VALUE }] });
        vault.writeOutOfBand("replicated", VALUE, { tags: { "managed-by": "keyrelay", app: "replicated", "client-id": APP } });
        replicas = await startReplicas(tokenServer);
    });
    after(async () => {
        restoreEnv();
        await replicas.close();
        await vault.close();
        await tokenServer.close();
    });

    async function verify(args: string[], script: boolean[]) {
        replicas.script = script;
        replicas.seen = 0;
        const context = await capturedContext();
        const code = await runCli(["verify", "--vault", vault.url, "--secret", "replicated", "--tenant", tokenServer.tenantId, "--authority-host", replicas.url, ...args], context);
        return { code, out: context.out.join(""), err: context.err.join(""), requests: replicas.seen };
    }

    it("asks N times in a row and reports each latency", async () => {
        const { code, out, requests } = await verify(["--attempts", "4", "--json"], []);
        assert.equal(code, EXIT_OK);
        assert.equal(requests, 4);
        const result = JSON.parse(out);
        assert.equal(result.tokenAttempts.length, 4);
        assert.ok(result.tokenAttempts.every((a: { ok: boolean; latencyMs: number }) => a.ok && a.latencyMs >= 0));
        assert.equal(result.propagating, false);
        const single = await verify(["--attempts", "1"], []);
        assert.equal(single.requests, 1);
        assert.match(single.out, /token requests: #1 ok \d+ ms\.\n$/);
    });

    it("does not call a secret good when a success is followed by AADSTS7000215, and says propagation is under way", async () => {
        // Within --wait (the version is seconds old): retried until three successes in a row.
        const retried = await verify(["--wait", "PT1M"], [true, false, true, true, true]);
        assert.equal(retried.code, EXIT_OK, retried.out + retried.err);
        assert.equal(retried.requests, 5);
        assert.match(retried.out, /after 5 attempts\.\n  token requests: #1 ok \d+ ms, #2 AADSTS7000215 \d+ ms, #3 ok \d+ ms, #4 ok \d+ ms, #5 ok \d+ ms\.\n  note: Entra issued a token, then refused the same value with AADSTS7000215: propagation is still under way/);

        // No waiting allowed: the refusal after a success is the verdict.
        const failed = await verify(["--wait", "PT0S", "--json"], [true, true, false]);
        assert.equal(failed.code, EXIT_CRITICAL);
        const result = JSON.parse(failed.out);
        assert.equal(result.ok, false);
        assert.equal(result.propagating, true);
        assert.deepEqual(result.tokenAttempts.map((a: { ok: boolean; code?: number }) => a.ok || a.code), [true, true, 7000215]);
        const text = await verify(["--wait", "PT0S"], [true, false]);
        assert.match(text.out, /^FAILED: .*AADSTS7000215.*\n  note: Entra issued a token, then refused the same value/);
        assert.ok(!(failed.out + text.out).includes(VALUE.slice(0, 8)), "no value");
    });

    it("rejects --attempts that is not 1 to 20 with exit 3", async () => {
        for (const bad of ["0", "21", "three"]) {
            const { code, err } = await verify(["--attempts", bad], []);
            assert.equal(code, EXIT_USAGE);
            assert.match(err, /^keyrelay verify: --attempts is ".*", not a whole number from 1 to 20/);
        }
    });
});
