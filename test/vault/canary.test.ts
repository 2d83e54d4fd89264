// A known secret value goes through every VaultSecret path (writes, rotation, drift, delete,
// recovery, every fault, every failure, in-process and in the engine's provider host), and
// everything printed, logged or raised on the way is searched for it: zero hits.
import { strict as assert } from "assert";
import { inspect } from "util";
import { AzureLogger, getLogLevel, setLogLevel, AzureLogLevel } from "@azure/logger";
import { SecretClient } from "@azure/keyvault-secrets";
import { createAzureCredential } from "../../components/azureCredential";
import { createVaultSecretProvider, secretClientOptions, VaultSecretProvider } from "../../components/provider/vaultSecretProvider";
import { VaultSecretFields } from "../../components/vaultSecretDiff";
import { RETRY_TIME_SCALE_ENV, vaultRetrySettings } from "../../components/vaultRetry";
import { VAULT_ROLES } from "./localVault";
import { serializedVaultSecretProvider, startProviderHost } from "./providerHost";
import { startVaultTestbed, VaultTestbed, withEnv } from "./testbed";

const CANARY = "KRCANARY~q7Z2x9vP4mT8wL1nB6cR3";
const FAST = vaultRetrySettings(0.001);
const URN = "urn:pulumi:test::keyrelay::pulumi-nodejs:dynamic/keyrelay:VaultSecret::canary";

/** Everything said during `fn`: stdout, stderr and the Azure SDK's verbose log, kept out of the test output. */
async function capturing(sink: string[], fn: () => Promise<void>): Promise<void> {
    const stdoutWrite = process.stdout.write;
    const stderrWrite = process.stderr.write;
    const sdkLog = AzureLogger.log;
    const level = getLogLevel();
    const keep = (chunk: unknown) => {
        sink.push(String(chunk));
        return true;
    };
    process.stdout.write = keep as typeof process.stdout.write;
    process.stderr.write = keep as typeof process.stderr.write;
    AzureLogger.log = (...args: unknown[]) => void sink.push(args.map((a) => (typeof a === "string" ? a : inspect(a, { depth: 6 }))).join(" "));
    setLogLevel("verbose");
    try {
        await fn();
    } finally {
        process.stdout.write = stdoutWrite;
        process.stderr.write = stderrWrite;
        AzureLogger.log = sdkLog;
        setLogLevel(level as AzureLogLevel | undefined);
    }
}

describe("canary: a secret value never appears in output, logs, errors or diagnostics", function () {
    this.timeout(60_000);
    let bed: VaultTestbed;
    const said: string[] = [];
    const errors: unknown[] = [];
    let paths = 0;

    before(async () => {
        bed = await startVaultTestbed();
    });
    after(async () => bed?.close());

    /** Runs one path; a failure is expected or not, and its error is kept for the search either way. */
    async function path(run: () => Promise<unknown>, expectFailure: boolean): Promise<void> {
        paths += 1;
        try {
            await run();
            assert.equal(expectFailure, false, `path ${paths} was expected to fail`);
        } catch (error) {
            if ((error as Error).name === "AssertionError") throw error;
            errors.push(error);
            assert.equal(expectFailure, true, `path ${paths} failed: ${(error as Error).message.split(CANARY).join("[CANARY]")}`);
        }
    }

    it("in process: every operation, fault and failure", async () => {
        const p: VaultSecretProvider = createVaultSecretProvider({ clientFor: bed.clientFactory(), settings: FAST, pacers: new Map() });
        const base: VaultSecretFields = {
            vaultUrl: bed.vault.url, name: "canary-secret", value: CANARY, expiresOn: "2027-03-01T00:00:00Z",
            tags: { app: "canary", "key-id": "kid-1" },
        };
        const named = (name: string, value = CANARY): VaultSecretFields => ({ ...base, name, value });
        const putFault = (name: string, fault: Parameters<VaultTestbed["vault"]["inject"]>[0]["fault"], count = 1) =>
            bed.vault.inject({ fault, method: "PUT", pathPrefix: `/secrets/${name}`, count });

        await capturing(said, async () => {
            let outs = (await p.create(base)).outs;
            await path(async () => (outs = (await p.update("id", outs, { ...base, value: `${CANARY}-rotated` })).outs), false);
            await path(() => p.diff("id", outs, base), false);
            bed.vault.writeOutOfBand("canary-secret", `${CANARY}-portal`);
            await path(async () => {
                const read = await p.read("id", outs);
                outs = (await p.update("id", read.props!, base)).outs;
            }, false);
            await path(() => p.delete("id", outs), false);
            await path(() => p.create(base), false);

            putFault("storm", { kind: "throttle" }, 3);
            await path(() => p.create(named("storm")), false);
            putFault("retry-after", { kind: "throttle", retryAfterSeconds: 0 }, 2);
            await path(() => p.create(named("retry-after")), false);
            putFault("reset", { kind: "reset", afterApply: true });
            await path(() => p.create(named("reset")), false);
            putFault("flaky", { kind: "status", status: 500 }, 2);
            await path(() => p.create(named("flaky")), false);

            putFault("throttled", { kind: "throttle" }, Infinity);
            await path(() => p.create(named("throttled")), true);
            putFault("unavailable", { kind: "status", status: 503 }, Infinity);
            await path(() => p.create(named("unavailable")), true);
            putFault("hung", { kind: "delay", ms: 600 }, Infinity);
            const impatient = createVaultSecretProvider({ clientFor: bed.clientFactory(), settings: { ...FAST, requestTimeoutMs: 200 }, pacers: new Map() });
            await path(() => impatient.create(named("hung")), true);
            await path(() => p.create({ ...named("bad-time"), expiresOn: CANARY }), true);
            await path(() => p.create(named("bad name with spaces")), true);

            bed.vault.grant(bed.identity.objectId, VAULT_ROLES["Key Vault Secrets User"]);
            await path(() => p.create(named("forbidden")), true);
            await path(() => p.read("id", { ...outs, name: "canary-secret" }), false);
            bed.vault.grant(bed.identity.objectId, VAULT_ROLES["Key Vault Secrets Officer"]);

            const doomed = (await p.create(named("doomed"))).outs;
            await p.delete("id", doomed);
            bed.vault.grant(bed.identity.objectId, VAULT_ROLES["Key Vault Secrets Officer"].filter((a) => a !== "recover"));
            await path(() => p.create(named("doomed")), true);
            bed.vault.grant(bed.identity.objectId, VAULT_ROLES["Key Vault Secrets Officer"]);

            const wrongSecret = withEnv({ ...bed.credentialEnv, AZURE_CLIENT_SECRET: CANARY }, () => createAzureCredential({ tlsOptions: { ca: bed.tls.ca } }));
            const unauthenticated = createVaultSecretProvider({
                clientFor: (url, s) => new SecretClient(url, wrongSecret, secretClientOptions(url, s, { ca: bed.tls.ca })), settings: FAST, pacers: new Map(),
            });
            await path(() => unauthenticated.create(named("wrong-credential")), true);
        });
        assert.ok(bed.vault.secret("canary-secret")!.versions.some((v) => v.value === CANARY), "the canary really went through the vault");
        assert.ok(said.join("").length > 1000, "the SDK's verbose log was captured");
    });

    it("in the engine's provider host: writes, faults and failures, with the SDK logging verbosely", async () => {
        const providerText = await serializedVaultSecretProvider();
        const host = await startProviderHost({ env: bed.childEnv({ [RETRY_TIME_SCALE_ENV]: "0.001", AZURE_LOG_LEVEL: "verbose" }) });
        try {
            const props = (name: string) => ({ __provider: providerText, vaultUrl: bed.vault.url, name, value: CANARY, expiresOn: "2027-03-01T00:00:00Z" });
            let outs: Record<string, any> = {};
            await path(async () => (outs = (await host.create(URN, props("host-canary"))).outs), false);
            await path(async () => (outs = await host.update(URN, "id", outs, { ...props("host-canary"), value: `${CANARY}-rotated` })), false);
            bed.vault.inject({ fault: { kind: "throttle" }, method: "PUT", pathPrefix: "/secrets/host-storm", count: 2 });
            await path(() => host.create(URN, props("host-storm")), false);
            bed.vault.inject({ fault: { kind: "status", status: 503 }, method: "PUT", pathPrefix: "/secrets/host-down", count: Infinity });
            await path(() => host.create(URN, props("host-down")), true);
            await path(() => host.create(URN, { ...props("host-bad-time"), expiresOn: "not-a-time" }), true);
            bed.vault.grant(bed.identity.objectId, VAULT_ROLES["Key Vault Secrets User"]);
            await path(() => host.create(URN, props("host-forbidden")), true);
            await path(() => host.delete(URN, "id", { ...outs, name: "host-canary" }), true);
            bed.vault.grant(bed.identity.objectId, VAULT_ROLES["Key Vault Secrets Officer"]);
            await path(() => host.delete(URN, "id", { ...outs, name: "host-canary" }), false);
        } finally {
            await host.close();
            said.push(host.output().stdout, host.output().stderr);
        }
        assert.equal(bed.vault.latest("host-storm")?.value, CANARY);
        assert.ok(host.output().stderr.length > 1000, "the host's SDK log was captured");
    });

    it("zero hits in everything captured", () => {
        const texts = [
            ...said,
            ...errors.flatMap((e) => [String(e), (e as Error).stack ?? "", inspect(e, { depth: 8, showHidden: true }), JSON.stringify((e as { details?: unknown }).details ?? null)]),
        ];
        const hits = texts.filter((t) => t.includes(CANARY)).length;
        for (const name of ["host-forbidden", "host-down", "unavailable", "doomed", "wrong-credential"]) {
            assert.ok(texts.some((t) => t.includes(name)), `the captured texts speak of ${name}: the search looks where the value would show`);
        }
        assert.ok(errors.length >= 12, `${errors.length} failures captured`);
        assert.ok(paths >= 25, `${paths} paths run`);
        assert.equal(hits, 0, `${hits} captured texts contain the secret value`);
    });
});
