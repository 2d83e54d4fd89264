// Issue 17 §6: vault.url and vault.secretName accept pulumi.Input<string>, so a vault declared in the
// same program can be used. A plain string is checked before anything is declared; an Output is checked
// by the VaultSecret provider's check() once known, before any write.
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as keyvault from "@pulumi/azure-native/keyvault";
import { DateTime } from "luxon";
import { RotatedAppRegistration } from "../components";
import { createVaultSecretProvider } from "../components/provider/vaultSecretProvider";
import { SimulatedEngine, TYPES } from "../simulation/engine";

const NOW = DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" });
const TENANT = "00000000-0000-0000-0000-0000000000aa";
const READER = "11111111-2222-3333-4444-555555555555";

/** A program that declares its vault and hands the app the vault's URI (an Output) and, optionally, the secret name as an Output. */
function programWithOwnVault(options: { vaultUri?: (uri: string) => string; nameAsOutput?: boolean } = {}) {
    return () => {
        const vault = new keyvault.Vault("kv-apps", {
            resourceGroupName: "rg-platform",
            vaultName: "kv-apps",
            properties: { tenantId: TENANT, sku: { family: "A", name: "standard" }, enableRbacAuthorization: true },
        });
        const app = new RotatedAppRegistration("billing-api", {
            displayName: "billing-api",
            vault: {
                url: vault.properties.apply((p) => (options.vaultUri ?? ((u: string) => u))(p.vaultUri)),
                secretName: options.nameAsOutput ? pulumi.output("billing-api-client-secret") : "billing-api-client-secret",
                resourceId: vault.id,
            },
            readers: [READER],
        });
        return { secretUri: app.secretUri, vaultId: vault.id };
    };
}

async function run(program: () => unknown) {
    const engine = new SimulatedEngine({ program });
    const report = await engine.run(NOW);
    return { engine, report };
}

describe("RotatedAppRegistration with a vault declared in the same program (vault.url an Output)", () => {
    for (const nameAsOutput of [false, true]) {
        it(`declares the VaultSecret with the resolved, canonical URL${nameAsOutput ? " (secretName an Output too)" : ""}, and exports the secret URI`, async () => {
            const { engine, report } = await run(programWithOwnVault({ nameAsOutput }));
            assert.deepEqual(report.errors.map((e) => e.message), []);
            const [vault] = engine.resourcesOfType(TYPES.keyVault);
            assert.equal(vault.outputs.properties.vaultUri, "https://kv-apps.vault.azure.net/", "the simulated ARM answers with the vault's URI");
            const [secret] = engine.resourcesOfType(TYPES.vaultSecret);
            assert.equal(secret.inputs.vaultUrl, "https://kv-apps.vault.azure.net", "canonical: no trailing slash");
            assert.equal(secret.inputs.name, "billing-api-client-secret");
            assert.deepEqual(report.vaultWrites.map((w) => `${w.vaultUrl}/secrets/${w.name}`), ["https://kv-apps.vault.azure.net/secrets/billing-api-client-secret"]);
            assert.equal(report.stackOutputs?.secretUri, "https://kv-apps.vault.azure.net/secrets/billing-api-client-secret");
            const [reader] = engine.resourcesOfType(TYPES.roleAssignment);
            assert.equal(reader.inputs.scope, `${vault.id}/secrets/billing-api-client-secret`, "the reader's scope is this one secret");
        });
    }

    it("a bad URL arriving as an Output is declared, then refused by the provider's check() (which the engine runs before create) with the field and the fix", async () => {
        const { engine, report } = await run(programWithOwnVault({ vaultUri: (uri) => `${uri}secrets` }));
        assert.deepEqual(report.errors.map((e) => e.message), [], "nothing in the program can see the URL before deployment");
        const [secret] = engine.resourcesOfType(TYPES.vaultSecret);
        assert.equal(secret.inputs.vaultUrl, "https://kv-apps.vault.azure.net/secrets");
        const provider = createVaultSecretProvider({ clientFor: () => { throw new Error("check() must not reach a vault"); } });
        const checked = await provider.check({}, secret.inputs as never);
        assert.deepEqual((checked.failures ?? []).map((f) => f.property), ["vaultUrl"]);
        const [failure] = checked.failures!;
        assert.match(failure.reason, /^keyrelay: VaultSecret for secret "billing-api-client-secret": vaultUrl is "https:\/\/kv-apps\.vault\.azure\.net\/secrets", which has a path/);
        assert.ok(failure.reason.includes('"https://<vault-name>.vault.azure.net"'), failure.reason);
    });

    it("the resolved, good inputs pass the provider's check()", async () => {
        const { engine } = await run(programWithOwnVault());
        const [secret] = engine.resourcesOfType(TYPES.vaultSecret);
        const provider = createVaultSecretProvider({ clientFor: () => { throw new Error("check() must not reach a vault"); } });
        assert.deepEqual((await provider.check({}, secret.inputs as never)).failures, []);
    });

    it("a plain string is still checked before anything is declared", async () => {
        const { report } = await run(() => new RotatedAppRegistration("billing-api", {
            displayName: "billing-api", vault: { url: "https://kv-apps.vault.azure.net/secrets", secretName: "billing-api-client-secret" },
        }));
        assert.equal(report.created.length, 0);
        assert.match(report.errors[0]?.message ?? "", /RotatedAppRegistration "billing-api".*vault\.url/);
    });
});
