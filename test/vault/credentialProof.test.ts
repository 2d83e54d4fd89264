// Proof before promote, through the VaultSecret provider against the local token endpoint and the
// local vault over HTTPS: a new client secret is written only after it got tokens N times in a row.
import { strict as assert } from "assert";
import * as crypto from "crypto";
import { DateTime } from "luxon";
import { createVaultSecretProvider } from "../../components/provider/vaultSecretProvider";
import { VaultSecretFields } from "../../components/provider/vaultSecretDiff";
import { vaultRetrySettings } from "../../components/provider/vaultRetrySettings";
import { proofEndpoint } from "../../components/provider/proveBeforeWrite";
import { isCredentialProofError, CredentialProofError } from "../../lib/errors";
import { aadstsError } from "./tokenServer";
import { startVaultTestbed, VaultTestbed } from "./testbed";

const FAST = vaultRetrySettings(0.001);
const EXPIRES = "2027-03-01T00:00:00Z";

describe("VaultSecret proof before promote (local token endpoint and vault)", function () {
    this.timeout(30_000);
    let bed: VaultTestbed;
    let counter = 0;

    before(async () => { bed = await startVaultTestbed(); });
    after(async () => bed?.close());

    /** Backoff 100 times shorter (10 ms, 20 ms, ... 160 ms); the budget is the resource's own `within`. */
    function provider() {
        return createVaultSecretProvider({
            clientFor: bed.clientFactory(), settings: FAST, pacers: new Map(),
            proof: { authorityHost: bed.tokens.authorityHost, ca: bed.tls.ca, timeScale: 0.01 },
        });
    }

    /** An app with one working secret, and fields for a VaultSecret holding it. */
    function app(within = "PT5S") {
        counter += 1;
        const clientId = crypto.randomUUID();
        const first = `first-${crypto.randomBytes(12).toString("hex")}`;
        const entry = bed.tokens.registerClient({ clientId, secrets: [{ value: first }] });
        const fields: VaultSecretFields = {
            vaultUrl: bed.vault.url, name: `proof-${counter}-client-secret`, value: first, expiresOn: EXPIRES,
            tags: { app: `proof-${counter}`, "client-id": clientId, "key-id": "kid-1" },
            proof: { tenantId: bed.tokens.tenantId, within },
        };
        return { clientId, first, fields, entry };
    }

    const tokenRequestsOf = (clientId: string) => bed.tokens.tokenRequests.filter((r) => r.clientId === clientId);
    const putsTo = (name: string) => bed.vault.requests.filter((r) => r.method === "PUT" && r.path === `/secrets/${name}` && r.status !== 401);

    it("waits out Entra's propagation delay, then writes: AADSTS7000215 until the new secret is accepted, then 3 tokens in a row", async () => {
        const { clientId, fields, entry } = app();
        const p = provider();
        const { outs } = await p.create(fields);
        assert.deepEqual(tokenRequestsOf(clientId).map((r) => r.outcome), ["issued", "issued", "issued"], "create is proven too");
        const second = `second-${crypto.randomBytes(12).toString("hex")}`;
        entry.secrets.push({ value: second, acceptedFrom: DateTime.now().toMillis() + 600 });
        const started = DateTime.now();
        await p.update("id", outs, { ...fields, value: second, tags: { ...fields.tags, "key-id": "kid-2" } });
        const outcomes = tokenRequestsOf(clientId).slice(3).map((r) => r.outcome);
        assert.ok(outcomes.length >= 4, outcomes.join(","));
        assert.ok(outcomes.slice(0, -3).every((o) => o === "AADSTS7000215"), outcomes.join(","));
        assert.deepEqual(outcomes.slice(-3), ["issued", "issued", "issued"]);
        assert.ok(DateTime.now().diff(started).toMillis() >= 600, "the write waited for the secret to be accepted");
        const versions = bed.vault.secret(fields.name)!.versions;
        assert.equal(versions.length, 2);
        assert.equal(versions[1].value, second);
        assert.ok(tokenRequestsOf(clientId).every((r) => r.scope === "https://vault.azure.net/.default"));
    });

    async function failedUpdate(fields: VaultSecretFields, news: VaultSecretFields): Promise<{ error: CredentialProofError; ms: number; tokenRequests: number }> {
        const p = provider();
        const { outs } = await p.create(fields);
        const started = DateTime.now();
        const requestsBefore = bed.tokens.tokenRequests.length;
        const error = await p.update("id", outs, news).then(() => undefined, (e) => e);
        assert.ok(isCredentialProofError(error), `a CredentialProofError, not ${error}`);
        assert.equal(bed.vault.secret(fields.name)!.versions.length, 1, "Key Vault keeps the previous version only");
        assert.equal(bed.vault.latest(fields.name)!.value, fields.value);
        assert.equal(putsTo(fields.name).length, 1, "no write reached the vault after the first");
        assert.ok(!error.message.includes(news.value) && !error.message.includes(fields.value), "no secret in the message");
        assert.match(error.message, new RegExp(`still points at the previous version \\(${bed.vault.latest(fields.name)!.version.slice(0, 8)}\\)`));
        return { error, ms: DateTime.now().diff(started).toMillis(), tokenRequests: bed.tokens.tokenRequests.length - requestsBefore };
    }

    it("a secret Entra never accepts is not written: the budget runs out, and the error names AADSTS7000215 and its fix", async () => {
        const { clientId, fields } = app("PT1S");
        const { error, ms } = await failedUpdate(fields, { ...fields, value: "never-registered-value-0123456789" });
        assert.equal(error.aadstsCode, 7000215);
        assert.equal(error.code, "CredentialNotProven");
        assert.match(error.message, /did not prove itself within PT1S: 0 of 3 token requests in a row succeeded/);
        assert.match(error.fix!, /raise proof\.within/);
        assert.ok(ms >= 900 && ms < 3000, `the budget bounds the wait: ${ms} ms`);
        assert.ok(tokenRequestsOf(clientId).length < 40, "backoff, not a busy loop");
    });

    it("the wrong app (AADSTS700016) is not written either, and the fix names the tenant and client id", async () => {
        const { fields, entry } = app("PT1S");
        const other = crypto.randomUUID();
        entry.secrets.push({ value: "a-secret-of-some-app-0123456789" });
        const { error } = await failedUpdate(fields, { ...fields, value: "a-secret-of-some-app-0123456789", proof: { tenantId: bed.tokens.tenantId, clientId: other, within: "PT1S" } });
        assert.equal(error.aadstsCode, 700016);
        assert.equal(error.clientId, other);
        assert.match(error.message, /AADSTS700016/);
        assert.match(error.fix!, /proof\.tenantId.*client id/);
    });

    it("an expired secret (AADSTS7000222) fails at once: waiting cannot change it", async () => {
        const { fields, entry } = app("PT5S");
        entry.secrets.push({ value: "expired-secret-0123456789abcdef", expiresAt: DateTime.now().toMillis() - 1000 });
        const { error, ms, tokenRequests } = await failedUpdate(fields, { ...fields, value: "expired-secret-0123456789abcdef" });
        assert.equal(error.aadstsCode, 7000222);
        assert.equal(tokenRequests, 1);
        assert.ok(ms < 2000, `${ms} ms`);
        assert.match(error.fix!, /endDate/);
    });

    it("Entra's text is quoted without the secret and without control characters", async () => {
        const { clientId, fields } = app("PT5S");
        const value = "echoed-value-0123456789abcdef";
        bed.tokens.injectError(aadstsError(400, "invalid_request", 9002313, `AADSTS9002313: Invalid request: ${value}\u001b[2J`), { clientId, count: 10 });
        const p = provider();
        const error = await p.create({ ...fields, value }).then(() => undefined, (e) => e);
        assert.ok(isCredentialProofError(error));
        assert.match(error.message, /\[redacted\]/);
        assert.ok(!error.message.includes(value) && !error.message.includes("\u001b"));
        assert.equal(bed.vault.secret(fields.name), undefined, "nothing created");
    });

    it("proof: false writes with no token request; a change that keeps the value asks none either", async () => {
        const { clientId, fields } = app();
        const p = provider();
        const { outs } = await p.create({ ...fields, proof: false });
        assert.equal(tokenRequestsOf(clientId).length, 0);
        await p.update("id", { ...outs, proof: fields.proof }, { ...fields, tags: { ...fields.tags, "key-id": "kid-9" } });
        assert.equal(tokenRequestsOf(clientId).length, 0);
        assert.equal(bed.vault.secret(fields.name)!.versions.length, 2);
    });

    it("check names the proof field and the fix before anything is written", async () => {
        const { fields } = app();
        const p = provider();
        const failures = async (proof: unknown, tags = fields.tags) => (await p.check({}, { ...fields, tags, proof } as VaultSecretFields)).failures!.map((f) => `${f.property}: ${f.reason}`);
        assert.match((await failures({ tenantId: "t", attempts: 0 })).join(), /proof\.attempts: .* is 0, not a whole number from 1 to 10/);
        assert.match((await failures({ tenantId: "t", within: "PT31M" })).join(), /proof\.within: .* outside \(PT0S, PT30M\]/);
        assert.match((await failures({ tenantId: "t", within: "5 minutes" })).join(), /proof\.within: .* not an ISO-8601 duration/);
        assert.match((await failures({ tenantId: "t" }, { app: "x" })).join(), /proof\.clientId: .* no client-id tag/);
        assert.deepEqual(await failures({ tenantId: "t", attempts: 10, within: "PT30M" }), []);
        assert.deepEqual(await failures(false), []);
    });

    it("asks each vault's own cloud: sovereign vaults use their authority host and Key Vault resource", () => {
        assert.deepEqual(proofEndpoint("https://kv-x.vault.azure.net", {}), { authorityHost: "https://login.microsoftonline.com", scope: "https://vault.azure.net/.default" });
        assert.deepEqual(proofEndpoint("https://kv-x.vault.usgovcloudapi.net", {}), { authorityHost: "https://login.microsoftonline.us", scope: "https://vault.usgovcloudapi.net/.default" });
        assert.deepEqual(proofEndpoint("https://kv-x.vault.azure.cn", {}), { authorityHost: "https://login.chinacloudapi.cn", scope: "https://vault.azure.cn/.default" });
        assert.equal(proofEndpoint("https://kv-x.vault.azure.net", { AZURE_AUTHORITY_HOST: "https://login.example.test/" }).authorityHost, "https://login.example.test");
    });
});
