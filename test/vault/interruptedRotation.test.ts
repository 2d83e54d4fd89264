// A `pulumi up` interrupted between issuing the new password and writing Key Vault, played by
// the simulation engine with every Key Vault write going through the real provider to the local
// vault: the vault keeps the old value, which the token endpoint still accepts, and the next run
// completes the rotation.
import { strict as assert } from "assert";
import * as path from "path";
import { ClientSecretCredential } from "@azure/identity";
import { DateTime, Settings } from "luxon";
import { periodIndexAt, periodStart, rotationSchedule } from "../../components/schedule";
import { createVaultSecretProvider, VaultSecretOutputs } from "../../components/provider/vaultSecretProvider";
import { VaultSecretFields } from "../../components/provider/vaultSecretDiff";
import { vaultRetrySettings } from "../../components/provider/vaultRetrySettings";
import { declareReferenceStack } from "../../examples/reference-stack/referenceStack";
import { referenceApps } from "../../examples/reference-stack/stackConfig";
import { SimulatedEngine, TYPES, stackConfigFromFile } from "../../simulation/engine";
import { startVaultTestbed, VaultTestbed } from "./testbed";

const ROOT = path.resolve(__dirname, "..", "..");
const CONFIG = stackConfigFromFile(path.join(ROOT, "examples", "reference-stack", "Pulumi.example.yaml"));
const START = DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" });
const FAST = vaultRetrySettings(0.001);

describe("a run interrupted between the new password and the Key Vault write (engine harness, real provider, local vault)", function () {
    this.timeout(60_000);
    let bed: VaultTestbed;

    before(async () => {
        bed = await startVaultTestbed();
    });
    after(async () => bed?.close());

    /** The token endpoint learns the app's live passwords, as Entra holds them in the simulated directory. */
    function registerApp(engine: SimulatedEngine, app: { id: string; outputs: Record<string, any> }): void {
        const secrets = [...engine.directory.values()]
            .filter((c) => c.applicationId === app.id && c.deletedAt === undefined)
            .map((c) => ({ value: c.value, startsAt: Date.parse(c.startDate), expiresAt: Date.parse(c.endDate) }));
        bed.tokens.registerClient({ clientId: app.outputs.clientId, secrets });
    }

    /** Would the token endpoint, at `at`, accept this value as one of the app's client secrets? */
    async function tokenAccepted(engine: SimulatedEngine, appName: string, value: string, at: DateTime): Promise<boolean> {
        const app = engine.resourcesOfType(TYPES.application).find((r) => r.name === appName)!;
        registerApp(engine, app);
        const pinned = at.toMillis();
        const previousNow = Settings.now;
        Settings.now = () => pinned;
        try {
            const credential = new ClientSecretCredential(bed.tokens.tenantId, app.outputs.clientId, value, {
                authorityHost: bed.tokens.authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca: bed.tls.ca },
            } as ConstructorParameters<typeof ClientSecretCredential>[3]);
            await credential.getToken("https://vault.azure.net/.default");
            return true;
        } catch {
            return false;
        } finally {
            Settings.now = previousNow;
        }
    }

    it("keeps the old value in Key Vault and valid, then the next run writes the new one", async () => {
        const billing = referenceApps(CONFIG["keyrelay:apps"], CONFIG["keyrelay:vaultUrl"] as string).find((a) => a.name === "billing-api")!;
        const secretName = billing.vault.secretName;
        const written = new Map<string, VaultSecretOutputs>();
        const engine = new SimulatedEngine({
            program: declareReferenceStack,
            config: CONFIG,
            // Every write the engine would make goes to the local vault through the provider; a fresh
            // client per write, since each run's clock (and so each token's lifetime) is another day.
            // The provider's own proof runs too, against the local token endpoint in the local tenant.
            onVaultWrite: async (secret: VaultSecretFields) => {
                const app = engine.resourcesOfType(TYPES.application).find((r) => r.outputs.clientId === secret.tags?.["client-id"])!;
                registerApp(engine, app);
                const local = { ...secret, vaultUrl: bed.vault.url, ...(secret.proof ? { proof: { ...secret.proof, tenantId: bed.tokens.tenantId } } : {}) };
                const provider = createVaultSecretProvider({ clientFor: bed.clientFactory(), settings: FAST, pacers: new Map(),
                    proof: { authorityHost: bed.tokens.authorityHost, ca: bed.tls.ca, timeScale: 0.001 } });
                const previous = written.get(secret.name);
                const outs = previous ? (await provider.update("id", previous, local)).outs : (await provider.create(local)).outs;
                written.set(secret.name, outs);
            },
        });

        const first = await engine.run(START);
        assert.deepEqual(first.errors, []);
        const before = bed.vault.latest(secretName)!;
        const oldKeyId = before.tags!["key-id"];
        assert.equal(before.value, engine.directory.get(oldKeyId)!.value, "Key Vault holds the in-service credential");

        const schedule = rotationSchedule(billing.name, billing.rotation);
        const rotationDay = periodStart(schedule, periodIndexAt(schedule, START) + 1).plus({ hours: 2 });

        bed.vault.inject({ fault: { kind: "status", status: 503, code: "ServiceUnavailable" }, method: "PUT", pathPrefix: `/secrets/${secretName}`, count: Infinity });
        const interrupted = await engine.run(rotationDay);
        assert.ok(interrupted.errors.some((e) => /cannot write secret "billing-api[^"]*" .*HTTP 503/.test(e.message)), "the run failed at the Key Vault write");
        const issued = [...interrupted.created, ...interrupted.replaced.map((r) => r.new)].filter((r) => r.type === TYPES.applicationPassword);
        assert.equal(issued.length, 1, "the new password was issued before the write failed");
        const newKeyId = issued[0].outputs.keyId as string;

        const during = bed.vault.secret(secretName)!;
        assert.equal(during.versions.length, 1, "no version was written");
        const kept = during.versions[0];
        assert.equal(kept.value, before.value);
        assert.equal(kept.enabled, true);
        assert.ok(kept.exp! * 1000 > rotationDay.toMillis(), "the kept version has not expired");
        assert.equal(engine.directory.get(oldKeyId)!.deletedAt, undefined, "the failed run deleted no credential");
        assert.equal(await tokenAccepted(engine, "billing-api", kept.value, rotationDay), true, "Entra still accepts the value Key Vault holds");
        assert.equal(await tokenAccepted(engine, "billing-api", "a-value-entra-never-issued", rotationDay), false);

        bed.vault.clearFaults();
        const next = await engine.run(rotationDay.plus({ hours: 1 }));
        assert.deepEqual(next.errors.map((e) => e.message), []);
        const after = bed.vault.latest(secretName)!;
        assert.equal(after.tags!["key-id"], newKeyId, "the next run wrote the password issued by the interrupted one");
        assert.equal(after.value, engine.directory.get(newKeyId)!.value);
        assert.deepEqual(bed.vault.secret(secretName)!.versions.map((v) => v.tags!["key-id"]), [oldKeyId, newKeyId]);
        assert.equal(await tokenAccepted(engine, "billing-api", after.value, rotationDay.plus({ hours: 1 })), true);
        assert.equal(await tokenAccepted(engine, "billing-api", before.value, rotationDay.plus({ hours: 1 })), true, "the retiring credential still works through the overlap");
    });
});
