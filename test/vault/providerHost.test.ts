// The path `pulumi up` really runs: the `__provider` text Pulumi records for a VaultSecret,
// evaluated by @pulumi/pulumi's dynamic provider host in a fresh node process, called over
// gRPC, writing the local vault with the credential it builds itself from the environment.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RETRY_TIME_SCALE_ENV } from "../../components/provider/vaultRetrySettings";
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
        // One small function per provider method (check, diff, create, read, update, delete) and the module location.
        assert.ok(providerText.length < 3000, `${providerText.length} characters`);
        const required = [...providerText.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
        assert.deepEqual(required, [], "nothing but the package by name, or the declaring file");
        assert.ok(providerText.includes('require(n + "/provider")'), "the installed package's provider entry, by name");
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

    it("refresh of a hand-written version (no notBefore, no content type, no tags): the host converts the result, and the next diff repairs it", async () => {
        const first = inputs("hand-edited-secret", "host-value-hand");
        const created = await host.create(URN, first);
        // What `az keyvault secret set --name ... --value ...` or a portal edit leaves: a bare version.
        bed.vault.writeOutOfBand("hand-edited-secret", "typed-by-hand");
        const read = await host.read(URN, created.id, created.outs);
        assert.equal(read.id, created.id);
        assert.equal(read.props.value, "typed-by-hand");
        assert.equal("notBefore" in read.props, false, "absent, not undefined");
        assert.equal("contentType" in read.props, false);
        assert.deepEqual(read.props.tags, {});
        assert.equal(read.props.version, created.outs.version, "state still names the version this resource wrote");
        const diff = await host.diff(URN, created.id, read.props, first);
        assert.equal(diff.changes, DIFF_CHANGES.some);
        const repaired = await host.update(URN, created.id, read.props, first);
        assert.equal(bed.vault.latest("hand-edited-secret")!.value, "host-value-hand");
        assert.equal(repaired.version, bed.vault.latest("hand-edited-secret")!.version);
    });

    it("rename through the host: the new resource writes, the old one's delete leaves the secret live", async () => {
        const old = inputs("renamed-secret", "host-value-before-rename");
        const oldState = await host.create(URN, old);
        const renamedUrn = URN.replace(/::billing-api-secret$/, "::billing-api-renamed-secret");
        await host.create(renamedUrn, { ...old, value: "host-value-after-rename" });
        await host.delete(URN, oldState.id, oldState.outs);
        assert.equal(bed.vault.isDeleted("renamed-secret"), false);
        assert.equal(bed.vault.latest("renamed-secret")!.value, "host-value-after-rename");
        // The host's stderr reaches this process after the RPC's answer: wait for it, within a bound.
        const said = /left secret "renamed-secret" in https:\/\/127\.0\.0\.1:\d+ in place/;
        for (let i = 0; i < 100 && !said.test(host.output().stderr); i++) await new Promise((resolve) => setTimeout(resolve, 50));
        assert.match(host.output().stderr, said);
    });

    it("check() in the host: inputs that were Outputs at declaration are checked before any write", async () => {
        const bad = { ...inputs("a b", "v"), vaultUrl: `${bed.vault.url}/secrets`, expiresOn: "2027-02-30T00:00:00Z" };
        const checked = await host.check(URN, {}, bad);
        assert.deepEqual(checked.failures.map((f) => f.property).sort(), ["expiresOn", "name", "vaultUrl"]);
        for (const f of checked.failures) assert.match(f.reason, /^keyrelay: VaultSecret/);
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const preview = await host.check(URN, {}, { ...inputs("ok-name", "v"), value: unknown, expiresOn: unknown, notBefore: unknown });
        assert.deepEqual(preview.failures, [], "unknown values wait for the next check");
        const respelled = await host.check(URN, {}, { ...inputs("ok-name", "v"), expiresOn: "2099-01-01T00:00:00Z", vaultUrl: `${bed.vault.url}/` });
        assert.deepEqual(respelled.failures, []);
        assert.equal(respelled.inputs.vaultUrl, bed.vault.url, "the vault URL is stored in canonical form");
        assert.equal(bed.vault.secret("a b"), undefined);
    });

    it("a silent authority host cannot hang pulumi up: token requests time out too, and nothing is written", async () => {
        const net = await import("net");
        const sockets = new Set<import("net").Socket>();
        const silent = net.createServer((socket) => { sockets.add(socket); socket.on("error", () => undefined); });
        await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
        const authority = `https://127.0.0.1:${(silent.address() as import("net").AddressInfo).port}`;
        const stalled = await startProviderHost({ env: bed.childEnv({ [RETRY_TIME_SCALE_ENV]: "0.001", AZURE_AUTHORITY_HOST: authority }) });
        const started = Date.now();
        try {
            await assert.rejects(stalled.create(URN, inputs("silent-authority-secret", "never-written")), /cannot write secret "silent-authority-secret"/);
            assert.ok(Date.now() - started < 45_000, `${Date.now() - started} ms`);
            assert.equal(bed.vault.secret("silent-authority-secret"), undefined);
        } finally {
            await stalled.close();
            sockets.forEach((socket) => socket.destroy());
            silent.close();
        }
    });

    it("proves a new client secret in the host, at the authority host of its environment, before writing it", async () => {
        const clientId = "0a1b2c3d-0000-4000-8000-00000000b0b0";
        bed.tokens.registerClient({ clientId, secrets: [{ value: "host-proven-secret-0123456789" }] });
        const proof = { tenantId: bed.tokens.tenantId, within: "PT2S" };
        const tags = { app: "proven-api", "client-id": clientId, "key-id": "kid-1" };
        const requestsBefore = bed.tokens.tokenRequests.filter((r) => r.clientId === clientId).length;
        await host.create(URN, { ...inputs("proven-secret", "host-proven-secret-0123456789"), tags, proof });
        assert.equal(bed.vault.latest("proven-secret")!.value, "host-proven-secret-0123456789");
        assert.deepEqual(bed.tokens.tokenRequests.filter((r) => r.clientId === clientId).slice(requestsBefore).map((r) => r.outcome), ["issued", "issued", "issued"]);

        await assert.rejects(host.create(URN, { ...inputs("unproven-secret", "not-a-secret-of-the-app-0123"), tags, proof }), (e: Error) => {
            assert.match(e.message, /did not write secret "unproven-secret" .* did not prove itself within PT2S: 0 of 3 token requests in a row succeeded.*AADSTS7000215/);
            assert.ok(!e.message.includes("not-a-secret-of-the-app-0123"));
            return true;
        });
        assert.equal(bed.vault.secret("unproven-secret"), undefined, "nothing reached the vault");
    });

    it("an authority host that does not resolve is named as such, not as a failed EnvironmentCredential", async () => {
        const lost = await startProviderHost({ env: bed.childEnv({ [RETRY_TIME_SCALE_ENV]: "0.001", AZURE_AUTHORITY_HOST: "https://login.keyrelay-probe.invalid" }) });
        try {
            await assert.rejects(lost.create(URN, inputs("lost-authority-secret", "never-written")), (e: Error) => {
                assert.match(e.message, /cannot write secret "lost-authority-secret" in https:\/\/127\.0\.0\.1:\d+: the authority host login\.keyrelay-probe\.invalid does not resolve \((ENOTFOUND|EAI_AGAIN)\)/);
                assert.doesNotMatch(e.message, /EnvironmentCredential/);
                return true;
            });
            assert.equal(bed.vault.secret("lost-authority-secret"), undefined);
        } finally {
            await lost.close();
        }
    });

    it("from the installed package: a host in the program's directory loads keyrelay/provider from its node_modules, through the package's exports", async () => {
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
                /keyrelay: install keyrelay beside the program \(Error: Cannot find module 'keyrelay\/provider'/);
        } finally {
            await emptyHost?.close();
            fs.rmSync(program, { recursive: true, force: true });
        }
    });
});

