// VaultSecret's provider against the local HTTPS vault, through the real @azure/keyvault-secrets
// and @azure/identity clients: every behaviour, each checked on what the vault holds afterwards.
import { strict as assert } from "assert";
import { isVaultError } from "../../lib/errors";
import { SecretClient } from "@azure/keyvault-secrets";
import { createVaultSecretProvider } from "../../components/provider/vaultSecretProvider";
import { VaultSecretFields, vaultSecretChange } from "../../components/provider/vaultSecretDiff";
import { vaultRetrySettings } from "../../components/provider/vaultRetrySettings";
import { VAULT_ROLES } from "./localVault";
import { startVaultTestbed, VaultTestbed } from "./testbed";

/** Every wait 1,000 times shorter: 1 ms instead of 1 s. */
const FAST = vaultRetrySettings(0.001);
const EXPIRES = "2027-03-01T00:00:00Z";
const NOT_BEFORE = "2026-11-26T00:00:00Z";
const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);

describe("VaultSecret provider against a local Key Vault over HTTPS", function () {
    this.timeout(30_000);
    let bed: VaultTestbed;
    let sdk: SecretClient;
    let counter = 0;

    before(async () => {
        bed = await startVaultTestbed();
        sdk = bed.clientFactory()(bed.vault.url, FAST);
    });
    after(async () => bed?.close());
    afterEach(() => bed.vault.clearFaults());

    function provider(extra: { sleep?: (ms: number) => Promise<void>; settings?: typeof FAST } = {}) {
        return createVaultSecretProvider({ clientFor: bed.clientFactory(), settings: extra.settings ?? FAST, pacers: new Map(), sleep: extra.sleep });
    }

    function secret(overrides: Partial<VaultSecretFields> = {}): VaultSecretFields {
        counter += 1;
        return {
            vaultUrl: bed.vault.url, name: `app-${counter}-client-secret`, value: `value-${counter}-one`, expiresOn: EXPIRES, notBefore: NOT_BEFORE,
            contentType: "text/plain", tags: { app: `app-${counter}`, "client-id": "11111111-2222-3333-4444-555555555555", "key-id": "kid-1" },
            ...overrides,
        };
    }

    const putsTo = (name: string) => bed.vault.requests.filter((r) => r.method === "PUT" && r.path === `/secrets/${name}` && r.status !== 401);

    describe("create, update, diff", () => {
        it("create writes one version with the value, expiry, activation, content type and tags plus managed-by", async () => {
            const inputs = secret();
            const { id, outs } = await provider().create(inputs);
            const stored = bed.vault.secret(inputs.name)!;
            assert.equal(stored.versions.length, 1);
            const v = stored.versions[0];
            assert.equal(v.value, inputs.value);
            assert.equal(v.exp, unix(EXPIRES));
            assert.equal(v.nbf, unix(NOT_BEFORE));
            assert.equal(v.enabled, true);
            assert.equal(v.contentType, "text/plain");
            assert.deepEqual(v.tags, { ...inputs.tags, "managed-by": "keyrelay" });
            assert.equal(id, `${bed.vault.url}/secrets/${inputs.name}`);
            assert.equal(outs.version, v.version);
            assert.equal(outs.versionId, `${bed.vault.url}/secrets/${inputs.name}/${v.version}`);
            assert.equal(outs.secretUri, id);
        });

        it("a new value writes a new version, and the older version stays readable by its id", async () => {
            const p = provider();
            const first = secret();
            const { outs } = await p.create(first);
            const second = { ...first, value: `${first.value}-rotated`, expiresOn: "2027-06-01T00:00:00Z", tags: { ...first.tags, "key-id": "kid-2" } };
            assert.equal((await p.diff("id", outs, second)).changes, true);
            const updated = await p.update("id", outs, second);
            const versions = bed.vault.secret(first.name)!.versions;
            assert.equal(versions.length, 2);
            assert.equal(versions[1].value, second.value);
            assert.equal(versions[1].exp, unix("2027-06-01T00:00:00Z"));
            assert.equal(versions[1].tags?.["key-id"], "kid-2");
            assert.equal(updated.outs.version, versions[1].version);
            assert.ok(versions.every((v) => v.enabled), "older versions are not disabled");
            const old = await sdk.getSecret(first.name, { version: outs.version });
            assert.equal(old.value, first.value);
            assert.equal((await sdk.getSecret(first.name)).value, second.value);
        });

        it("writes nothing when no written field changed: state outputs against the same inputs, a new __provider, retainOnDelete", async () => {
            const p = provider();
            const inputs = secret({ contentType: undefined });
            const { outs } = await p.create(inputs);
            const withNewProvider = { ...inputs, __provider: "exports.handler = () => ({})" } as VaultSecretFields;
            for (const news of [inputs, withNewProvider, { ...inputs, retainOnDelete: true }, { ...inputs, expiresOn: "2027-03-01T00:00:00.000Z" }]) {
                const diff = await p.diff("id", outs, news);
                assert.equal(vaultSecretChange(outs, news).writesVersion, false);
                const updated = await p.update("id", outs, news);
                assert.equal(updated.outs.version, outs.version);
                assert.equal(diff.replaces?.length ?? 0, 0);
            }
            assert.equal((await p.diff("id", outs, inputs)).changes, false, "outputs carry managed-by and the default content type; inputs do not");
            assert.equal(bed.vault.secret(inputs.name)!.versions.length, 1);
        });

        it("a change of vault or name replaces the secret", async () => {
            const p = provider();
            const inputs = secret();
            const { outs } = await p.create(inputs);
            assert.deepEqual((await p.diff("id", outs, { ...inputs, name: `${inputs.name}-2` })).replaces, ["name"]);
            assert.deepEqual((await p.diff("id", outs, { ...inputs, vaultUrl: "https://other.vault.azure.net" })).replaces, ["vaultUrl"]);
            assert.deepEqual((await p.diff("id", outs, { ...inputs, name: inputs.name.toUpperCase() })).replaces, [], "Key Vault names ignore case");
        });

        it("an expiresOn that is not RFC 3339 fails with the secret, the field and an example", async () => {
            const inputs = secret({ expiresOn: "next tuesday" });
            await assert.rejects(provider().create(inputs), /VaultSecret "app-\d+-client-secret": expiresOn is "next tuesday", not an RFC 3339 time .*2027-03-01T00:00:00Z/);
            assert.equal(bed.vault.secret(inputs.name), undefined);
        });
    });

    describe("read (refresh) and drift", () => {
        it("reports the newest version as it is; without drift the next diff is empty", async () => {
            const p = provider();
            const inputs = secret();
            const { id, outs } = await p.create(inputs);
            const read = await p.read(id, outs);
            assert.equal(read.id, id);
            assert.equal((await p.diff(id, read.props!, inputs)).changes, false);
        });

        it("a portal edit of the value and expiry shows as a diff, and the next up restores the managed value as a new version", async () => {
            const p = provider();
            const inputs = secret();
            const { id, outs } = await p.create(inputs);
            bed.vault.writeOutOfBand(inputs.name, "typed-into-the-portal", { exp: unix("2030-01-01T00:00:00Z") });
            const read = await p.read(id, outs);
            assert.notEqual(read.props!.value, inputs.value);
            assert.equal(read.props!.expiresOn, "2030-01-01T00:00:00.000Z");
            const change = vaultSecretChange(read.props!, inputs);
            assert.deepEqual(change.changed.filter((f) => f === "value" || f === "expiresOn"), ["value", "expiresOn"]);
            assert.equal((await p.diff(id, read.props!, inputs)).changes, true);
            const restored = await p.update(id, read.props!, inputs);
            const versions = bed.vault.secret(inputs.name)!.versions;
            assert.equal(versions.length, 3);
            assert.equal(versions[2].value, inputs.value);
            assert.equal(versions[2].exp, unix(EXPIRES));
            assert.equal(restored.outs.version, versions[2].version);
        });

        it("a disabled newest version reads as drift, and the next up writes an enabled one", async () => {
            const p = provider();
            const inputs = secret();
            const { id, outs } = await p.create(inputs);
            bed.vault.setVersionEnabled(inputs.name, outs.version, false);
            const read = await p.read(id, outs);
            assert.equal(read.id, id);
            assert.equal((await p.diff(id, read.props!, inputs)).changes, true);
            await p.update(id, read.props!, inputs);
            const latest = bed.vault.latest(inputs.name)!;
            assert.equal(latest.enabled, true);
            assert.equal(latest.value, inputs.value);
        });

        it("a secret deleted outside Pulumi reads as gone; creating it again recovers it and writes a new version", async () => {
            const p = provider();
            const inputs = secret();
            const { id, outs } = await p.create(inputs);
            bed.vault.deleteOutOfBand(inputs.name);
            const read = await p.read(id, outs);
            assert.equal(read.id, "");
            assert.equal(read.props, undefined);
            await p.create(inputs);
            assert.equal(bed.vault.isDeleted(inputs.name), false);
            const versions = bed.vault.secret(inputs.name)!.versions;
            assert.equal(versions.length, 2, "the recovered version plus the new one");
            assert.equal(versions[1].value, inputs.value);
        });
    });

    describe("delete and soft delete", () => {
        it("delete soft-deletes: the name is in deletedsecrets and no longer readable", async () => {
            const p = provider();
            const inputs = secret();
            const { id, outs } = await p.create(inputs);
            await p.delete(id, outs);
            assert.equal(bed.vault.isDeleted(inputs.name), true);
            assert.equal(bed.vault.secret(inputs.name), undefined);
            const deleted = await sdk.getDeletedSecret(inputs.name);
            assert.equal(deleted.properties.recoveryId, `${bed.vault.url}/deletedsecrets/${inputs.name}`);
        });

        it("retainOnDelete keeps the secret and every version", async () => {
            const p = provider();
            const inputs = secret({ retainOnDelete: true });
            const { id, outs } = await p.create(inputs);
            await p.delete(id, outs);
            assert.equal(bed.vault.isDeleted(inputs.name), false);
            assert.equal(bed.vault.latest(inputs.name)!.value, inputs.value);
        });

        it("deleting a secret that is already gone succeeds", async () => {
            const p = provider();
            const inputs = secret();
            const { id, outs } = await p.create(inputs);
            bed.vault.deleteOutOfBand(inputs.name);
            await p.delete(id, outs);
            assert.equal(bed.vault.isDeleted(inputs.name), true);
        });

        it("re-creating a soft-deleted name recovers it (old versions back) and writes a new version", async () => {
            const p = provider();
            const inputs = secret();
            const { id, outs } = await p.create(inputs);
            await p.delete(id, outs);
            const again = { ...inputs, value: `${inputs.value}-again` };
            const created = await p.create(again);
            const versions = bed.vault.secret(inputs.name)!.versions;
            assert.deepEqual(versions.map((v) => v.value), [inputs.value, again.value]);
            assert.equal(created.outs.version, versions[1].version);
            assert.equal(bed.vault.isDeleted(inputs.name), false);
        });

        it("when the identity may not recover, fails saying to recover or purge, and writes nothing", async () => {
            const p = provider();
            const inputs = secret();
            const { id, outs } = await p.create(inputs);
            await p.delete(id, outs);
            bed.vault.grant(bed.identity.objectId, VAULT_ROLES["Key Vault Secrets Officer"].filter((a) => a !== "recover"));
            try {
                await assert.rejects(p.create(inputs), (e: Error) => {
                    assert.match(e.message, new RegExp(`cannot write secret "${inputs.name}" in ${bed.vault.url.replace(/\./g, "\\.")}`));
                    assert.match(e.message, /soft-deleted/);
                    assert.match(e.message, /az keyvault secret recover --vault-name 127 --name app-\d+-client-secret/);
                    assert.match(e.message, /az keyvault secret purge/);
                    assert.ok(isVaultError(e) && e.action === "recover" && e.secret === inputs.name && e.status === 403);
                    assert.match(e.message, /purge protection on, purge is refused .*so recover the secret instead/);
                    assert.match(e.message, /Key Vault Secrets Officer/);
                    assert.ok(!e.message.includes(inputs.value));
                    return true;
                });
            } finally {
                bed.vault.grant(bed.identity.objectId, VAULT_ROLES["Key Vault Secrets Officer"]);
            }
            assert.equal(bed.vault.isDeleted(inputs.name), true);
        });
    });

    describe("authorization", () => {
        it("a 403 names the vault and the role to grant, without the value", async () => {
            bed.vault.grant(bed.identity.objectId, VAULT_ROLES["Key Vault Secrets User"]);
            const inputs = secret();
            try {
                await assert.rejects(provider().create(inputs), (e: Error) => {
                    assert.match(e.message, new RegExp(`cannot write secret "${inputs.name}" in ${bed.vault.url.replace(/\./g, "\\.")}: access denied \\(HTTP 403`));
                    assert.match(e.message, /Give the identity running Pulumi the "Key Vault Secrets Officer" role/);
                    assert.ok(!e.message.includes(inputs.value));
                    // Callers branch on fields, never on the text.
                    assert.ok(isVaultError(e));
                    assert.deepEqual([e.action, e.secret, e.vaultUrl, e.status, e.serviceCode], ["set", inputs.name, bed.vault.url, 403, "Forbidden"]);
                    return true;
                });
            } finally {
                bed.vault.grant(bed.identity.objectId, VAULT_ROLES["Key Vault Secrets Officer"]);
            }
            assert.equal(bed.vault.secret(inputs.name), undefined);
        });
    });

    describe("throttling and faults", () => {
        it("a bare-429 storm is backed off with growing delays, then the write succeeds once", async () => {
            const inputs = secret();
            bed.vault.inject({ fault: { kind: "throttle" }, method: "PUT", pathPrefix: `/secrets/${inputs.name}`, count: 4 });
            const delays: number[] = [];
            const p = provider({ sleep: (ms) => { delays.push(ms); return new Promise((r) => setTimeout(r, ms)); } });
            await p.create(inputs);
            assert.deepEqual(putsTo(inputs.name).map((r) => r.status), [429, 429, 429, 429, 200]);
            assert.equal(delays.length, 4);
            // Within +-20% of 1, 2, 4, 8 (ms here), give or take the rounding to whole ms.
            delays.forEach((d, i) => assert.ok(d >= Math.floor(FAST.throttleDelaysMs[i] * 0.8) && d <= Math.ceil(FAST.throttleDelaysMs[i] * 1.2), `delay ${i}: ${d} ms`));
            assert.equal(bed.vault.secret(inputs.name)!.versions.length, 1);
        });

        it("bare 429s beyond the bound fail with a clear error after 6 attempts, and nothing is written", async () => {
            const inputs = secret();
            bed.vault.inject({ fault: { kind: "throttle" }, method: "PUT", pathPrefix: `/secrets/${inputs.name}`, count: Infinity });
            await assert.rejects(provider().create(inputs), /cannot write secret .*429 \(throttled, no Retry-After\) through 6 attempts.*run again later/);
            assert.equal(putsTo(inputs.name).length, 6);
            assert.equal(bed.vault.secret(inputs.name), undefined);
        });

        it("a 429 with Retry-After is left to the SDK, which waits as told (within the cap)", async () => {
            const inputs = secret();
            bed.vault.inject({ fault: { kind: "throttle", retryAfterSeconds: 1 }, method: "PUT", pathPrefix: `/secrets/${inputs.name}`, count: 1 });
            const delays: number[] = [];
            const started = Date.now();
            await provider({ sleep: async (ms) => void delays.push(ms), settings: { ...FAST, maxRetryAfterMs: 60_000 } }).create(inputs);
            assert.ok(Date.now() - started >= 950, "the SDK waited the second it was told");
            assert.deepEqual(delays, [], "keyrelay's own backoff was not used");
            assert.deepEqual(putsTo(inputs.name).map((r) => r.status), [429, 200]);
        });

        it("Retry-After: 3600 is cut to the cap per wait; a vault that keeps asking fails after the SDK's bounded retries with the budget advice", async () => {
            const inputs = secret();
            // FAST caps each wait at 60 ms, as production caps it at 60 s.
            bed.vault.inject({ fault: { kind: "throttle", retryAfterSeconds: 3600 }, method: "PUT", pathPrefix: `/secrets/${inputs.name}`, count: 1 });
            let started = Date.now();
            await provider().create(inputs);
            assert.ok(Date.now() - started < 5000, `one capped wait, not an hour (${Date.now() - started} ms)`);
            assert.deepEqual(putsTo(inputs.name).map((r) => r.status), [429, 200]);

            const stuck = secret();
            bed.vault.inject({ fault: { kind: "throttle", retryAfterSeconds: 3600 }, method: "PUT", pathPrefix: `/secrets/${stuck.name}`, count: Infinity });
            started = Date.now();
            await assert.rejects(provider().create(stuck), (e: Error) => {
                assert.match(e.message, new RegExp(`cannot write secret "${stuck.name}"`));
                assert.match(e.message, /429/);
                assert.match(e.message, /request budget .* run again later, or lower the number of secrets written at once \(pulumi up --parallel\)/);
                return true;
            });
            assert.ok(Date.now() - started < 5000, "bounded in total");
            assert.equal(putsTo(stuck.name).length, FAST.transientRetries + 1, "the SDK's retry count bounds the waits");
            assert.equal(bed.vault.secret(stuck.name), undefined);
        });

        it("a persistent 503 fails after the SDK's bounded retries; nothing is recorded, and the next run writes", async () => {
            const inputs = secret();
            bed.vault.inject({ fault: { kind: "status", status: 503, code: "ServiceUnavailable" }, method: "PUT", pathPrefix: `/secrets/${inputs.name}`, count: Infinity });
            await assert.rejects(provider().create(inputs), new RegExp(`cannot write secret "${inputs.name}" .*\\(HTTP 503`));
            assert.equal(putsTo(inputs.name).length, 1 + FAST.transientRetries);
            assert.equal(bed.vault.secret(inputs.name), undefined);
            bed.vault.clearFaults();
            const { outs } = await provider().create(inputs);
            assert.equal(bed.vault.latest(inputs.name)!.value, inputs.value);
            assert.equal(outs.version, bed.vault.latest(inputs.name)!.version);
        });

        it("a 500 then success is retried by the SDK", async () => {
            const inputs = secret();
            bed.vault.inject({ fault: { kind: "status", status: 500, code: "InternalServerError" }, method: "PUT", pathPrefix: `/secrets/${inputs.name}`, count: 2 });
            await provider().create(inputs);
            assert.deepEqual(putsTo(inputs.name).map((r) => r.status), [500, 500, 200]);
        });

        it("a connection reset after the vault stored the write: the retry writes again, and state names the newest version", async () => {
            const inputs = secret();
            bed.vault.inject({ fault: { kind: "reset", afterApply: true }, method: "PUT", pathPrefix: `/secrets/${inputs.name}`, count: 1 });
            const { outs } = await provider().create(inputs);
            const versions = bed.vault.secret(inputs.name)!.versions;
            assert.equal(versions.length, 2, "the dropped answer's version and the retry's");
            assert.ok(versions.every((v) => v.value === inputs.value));
            assert.equal(outs.version, versions[1].version);
        });

        it("a connection reset before the vault stored the write is retried", async () => {
            const inputs = secret();
            bed.vault.inject({ fault: { kind: "reset" }, method: "PUT", pathPrefix: `/secrets/${inputs.name}`, count: 2 });
            await provider().create(inputs);
            assert.deepEqual(putsTo(inputs.name).map((r) => r.status), ["reset", "reset", 200]);
            assert.equal(bed.vault.secret(inputs.name)!.versions.length, 1);
        });

        it("a slow answer within the timeout succeeds; one beyond it is abandoned and retried, within a bound", async () => {
            const settings = { ...FAST, requestTimeoutMs: 250 };
            const slow = secret();
            bed.vault.inject({ fault: { kind: "delay", ms: 100 }, method: "PUT", pathPrefix: `/secrets/${slow.name}`, count: 1 });
            await provider({ settings }).create(slow);
            assert.equal(bed.vault.secret(slow.name)!.versions.length, 1);
            const stuck = secret();
            bed.vault.inject({ fault: { kind: "delay", ms: 1000 }, method: "PUT", pathPrefix: `/secrets/${stuck.name}`, count: 1 });
            await provider({ settings }).create(stuck);
            assert.ok(putsTo(stuck.name).length >= 2, "the stuck request was given up and sent again");
            assert.equal(bed.vault.latest(stuck.name)!.value, stuck.value);
            const hung = secret();
            bed.vault.inject({ fault: { kind: "delay", ms: 1000 }, method: "PUT", pathPrefix: `/secrets/${hung.name}`, count: Infinity });
            await assert.rejects(provider({ settings }).create(hung), new RegExp(`cannot write secret "${hung.name}" .*did not answer within 0\\.3 s, ${1 + FAST.transientRetries} times in a row`));
        });

        it("under a bare-429 rate limit, a batch of writes paces itself near the limit: every write lands", async () => {
            const settings = vaultRetrySettings(0.05);
            const limit = 20;
            bed.vault.setRateLimit({ requests: limit, windowMs: settings.windowMs });
            try {
                const p = createVaultSecretProvider({ clientFor: bed.clientFactory(), settings, pacers: new Map() });
                const batch = Array.from({ length: 50 }, () => secret());
                const queue = [...batch];
                const firstRequest = bed.vault.requests.length;
                const started = Date.now();
                await Promise.all(Array.from({ length: 8 }, async () => {
                    for (let next = queue.shift(); next; next = queue.shift()) await p.create(next);
                }));
                const elapsed = Date.now() - started;
                assert.ok(batch.every((s) => bed.vault.latest(s.name)?.value === s.value));
                const throttled = bed.vault.requests.slice(firstRequest).filter((r) => r.status === 429).length;
                // 50 writes through 20 per window need two full windows at least; pacing keeps it near that.
                const minimum = Math.floor((batch.length - 1) / limit) * settings.windowMs;
                assert.ok(elapsed >= minimum, "the vault's limit was honoured");
                assert.ok(elapsed <= 1.5 * minimum + 500, `took ${elapsed} ms`);
                assert.ok(throttled <= 2 * 8, `${throttled} 429s: the pacer stops the workers hammering the vault`);
            } finally {
                bed.vault.setRateLimit(undefined);
            }
        });
    });

    describe("authentication", () => {
        it("the credential honours AZURE_AUTHORITY_HOST: tokens came from the local authority, one per client", async () => {
            const before = bed.tokens.tokenRequests.length;
            const inputs = secret();
            const p = provider();
            await p.create(inputs);
            await p.create({ ...inputs, value: `${inputs.value}-2` });
            const issued = bed.tokens.tokenRequests.slice(before);
            assert.deepEqual(issued.map((t) => [t.clientId, t.scope, t.outcome]), [[bed.identity.clientId, "https://vault.azure.net/.default", "issued"]]);
        });

        it("a burst of writes from a fresh client meets one bearer challenge, not one per write", async () => {
            const from = bed.vault.requests.length;
            const p = provider();
            const batch = Array.from({ length: 30 }, () => secret());
            await Promise.all(batch.map((s) => p.create(s)));
            const seen = bed.vault.requests.slice(from);
            assert.equal(seen.filter((r) => r.status === 401).length, 1);
            assert.equal(seen.filter((r) => r.method === "PUT" && r.status === 200).length, 30);
        });

        it("a wrong client secret fails with the AADSTS code and never the secret", async () => {
            const { SecretClient: Client } = await import("@azure/keyvault-secrets");
            const { createAzureCredential } = await import("../../components/provider/azureCredential");
            const { withEnv } = await import("./testbed");
            const wrongSecret = "wrong-secret-value-123";
            const credential = withEnv({ ...bed.credentialEnv, AZURE_CLIENT_SECRET: wrongSecret }, () => createAzureCredential({ tlsOptions: { ca: bed.tls.ca } }));
            const { secretClientOptions } = await import("../../components/provider/vaultSecretProvider");
            const p = createVaultSecretProvider({
                clientFor: (url, s) => new Client(url, credential, secretClientOptions(url, s, { ca: bed.tls.ca })), settings: FAST, pacers: new Map(),
            });
            const inputs = secret();
            await assert.rejects(p.create(inputs), (e: Error) => {
                assert.match(e.message, /AADSTS7000215/);
                assert.ok(!e.message.includes(wrongSecret) && !e.message.includes(inputs.value));
                return true;
            });
        });
    });
});
