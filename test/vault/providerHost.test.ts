// The path `pulumi up` really runs: the `__provider` text Pulumi records for a VaultSecret,
// evaluated by @pulumi/pulumi's dynamic provider host in a fresh node process, called over
// gRPC, writing the local vault with the credential it builds itself from the environment.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RETRY_TIME_SCALE_ENV } from "../../components/vaultRetry";
import { DIFF_CHANGES, ProviderHost, installedKeyrelay, serializedVaultSecretProvider, startProviderHost } from "./providerHost";
import { startVaultTestbed, VaultTestbed } from "./testbed";

const URN = "urn:pulumi:test::keyrelay::keyrelay:index:RotatedAppRegistration$pulumi-nodejs:dynamic/keyrelay:VaultSecret::billing-api-secret";

describe("VaultSecret through the engine's dynamic provider host (serialized, fresh process)", function () {
    this.timeout(60_000);
    let bed: VaultTestbed;
    let host: ProviderHost;
    let providerText: string;

    before(async () => {
        providerText = await serializedVaultSecretProvider();
        bed = await startVaultTestbed();
        host = await startProviderHost({ env: bed.childEnv({ [RETRY_TIME_SCALE_ENV]: "0.001" }) });
    });
    after(async () => {
        await host?.close();
        await bed?.close();
    });

    const inputs = (name: string, value: string) => ({
        __provider: providerText, vaultUrl: bed.vault.url, name, value,
        expiresOn: "2027-03-01T00:00:00Z", notBefore: "2026-11-26T00:00:00Z", tags: { app: "billing-api", "key-id": "kid-1" },
    });

    it("the serialized provider is a small loader: no provider code, no relative module, no credential captured", () => {
        assert.ok(providerText.length < 2500, `${providerText.length} characters`);
        const required = [...providerText.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
        assert.deepEqual([...new Set(required)].sort(), ["fs", "module", "path"]);
        assert.ok(!/SecretClient|DefaultAzureCredential|setSecret/.test(providerText), "the provider's code is loaded in the host, not serialized");
        assert.ok(!/AZURE_CLIENT_SECRET\s*[:=]/.test(providerText));
        assert.ok(providerText.includes("exports.handler"));
    });

    it("create, no-op diff, update, read and delete run in the host against the vault", async () => {
        const first = inputs("billing-api-client-secret", "host-value-one");
        const created = await host.create(URN, first);
        assert.equal(created.id, `${bed.vault.url}/secrets/billing-api-client-secret`);
        const v1 = bed.vault.latest("billing-api-client-secret")!;
        assert.equal(v1.value, "host-value-one");
        assert.equal(v1.tags?.["managed-by"], "keyrelay");
        assert.equal(created.outs.version, v1.version);
        assert.equal(created.outs.__provider, providerText);

        const reserialized = { ...first, __provider: `${providerText}\n// changed provider build` };
        const noop = await host.diff(URN, created.id, created.outs, reserialized);
        assert.equal(noop.changes, DIFF_CHANGES.none, "a changed serialized provider alone changes nothing");

        const second = { ...first, value: "host-value-two", expiresOn: "2027-06-01T00:00:00Z" };
        const diff = await host.diff(URN, created.id, created.outs, second);
        assert.equal(diff.changes, DIFF_CHANGES.some);
        assert.deepEqual(diff.replaces, []);
        const updated = await host.update(URN, created.id, created.outs, second);
        const versions = bed.vault.secret("billing-api-client-secret")!.versions;
        assert.deepEqual(versions.map((v) => v.value), ["host-value-one", "host-value-two"]);
        assert.equal(updated.version, versions[1].version);

        const read = await host.read(URN, created.id, updated);
        assert.equal(read.id, created.id);
        assert.equal(read.props.value, "host-value-two");
        assert.equal(read.props.expiresOn, "2027-06-01T00:00:00.000Z");

        await host.delete(URN, created.id, updated);
        assert.equal(bed.vault.isDeleted("billing-api-client-secret"), true);
    });

    it("honours the retry time scale from its environment: a bare-429 storm clears in milliseconds", async () => {
        const secret = inputs("storm-secret", "storm-value");
        bed.vault.inject({ fault: { kind: "throttle" }, method: "PUT", pathPrefix: "/secrets/storm-secret", count: 3 });
        const started = Date.now();
        await host.create(URN, secret);
        assert.ok(Date.now() - started < 5000);
        const puts = bed.vault.requests.filter((r) => r.method === "PUT" && r.path === "/secrets/storm-secret");
        assert.deepEqual(puts.map((r) => r.status), [429, 429, 429, 200]);
    });

    it("a failure reaches the engine as the provider's message: 403 names the vault and the role", async () => {
        bed.vault.grant(bed.identity.objectId, ["getSecret", "readMetadata"]);
        try {
            await assert.rejects(host.create(URN, inputs("denied-secret", "denied-value")), (e: Error) => {
                assert.match(e.message, /cannot write secret "denied-secret" in https:\/\/127\.0\.0\.1:\d+: access denied \(HTTP 403/);
                assert.match(e.message, /Key Vault Secrets Officer/);
                return true;
            });
        } finally {
            bed.vault.grant(bed.identity.objectId, ["getSecret", "readMetadata", "setSecret", "update", "delete", "recover", "purge"]);
        }
    });

    it("from the installed package: a host in the program's directory loads keyrelay from its node_modules, whatever the package's exports", async () => {
        const program = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-installed-"));
        let installedHost: ProviderHost | undefined;
        try {
            const installedText = await installedKeyrelay(program);
            assert.ok(!installedText.includes(path.resolve(__dirname, "..", "..")), "nothing points back at this repository");
            installedHost = await startProviderHost({ env: bed.childEnv({ [RETRY_TIME_SCALE_ENV]: "0.001" }), cwd: program });
            const secret = { ...inputs("installed-secret", "installed-value"), __provider: installedText };
            const created = await installedHost.create(URN, secret);
            assert.equal(bed.vault.latest("installed-secret")!.value, "installed-value");
            const noop = await installedHost.diff(URN, created.id, created.outs, secret);
            assert.equal(noop.changes, DIFF_CHANGES.none);
            await installedHost.delete(URN, created.id, created.outs);
            assert.equal(bed.vault.isDeleted("installed-secret"), true);
        } finally {
            await installedHost?.close();
            fs.rmSync(program, { recursive: true, force: true });
        }
    });

    it("a host that finds keyrelay nowhere says what to install", async () => {
        const program = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-missing-"));
        let emptyHost: ProviderHost | undefined;
        try {
            const installedText = await installedKeyrelay(program);
            fs.rmSync(path.join(program, "node_modules", "keyrelay"), { recursive: true, force: true });
            emptyHost = await startProviderHost({ env: bed.childEnv({}), cwd: program });
            await assert.rejects(emptyHost.create(URN, { ...inputs("nowhere-secret", "nowhere-value"), __provider: installedText }),
                /keyrelay: install keyrelay beside the program: no bin\/components\/vaultSecretProvider\.js from /);
        } finally {
            await emptyHost?.close();
            fs.rmSync(program, { recursive: true, force: true });
        }
    });
});
