import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { DateTime } from "luxon";
import { RotatedAppRegistration, RotatingPassword, VaultSecret } from "../components";
import { DAY_MS, SERVES_UNTIL_MARKER, PERIOD_START_MARKER } from "../components/schedule";
import { SimulatedEngine, TYPES } from "../simulation/engine";

const NOW = DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" });
const VAULT = "https://kv-platform.vault.azure.net";

async function deploy(program: () => unknown, at = NOW) {
    const engine = new SimulatedEngine({ program });
    const report = await engine.run(at);
    assert.deepEqual(report.errors.map((e) => e.message), []);
    return { engine, report };
}

function isSecretOutput(output: pulumi.Output<unknown>): Promise<boolean> {
    return (output as unknown as { isSecret: Promise<boolean> }).isSecret;
}

describe("RotatedAppRegistration under the mock runtime", () => {
    const billing = () => {
        const app = new RotatedAppRegistration("billing-api", {
            displayName: "Billing API",
            rotation: { every: "P90D" },
            vault: { url: VAULT, secretName: "billing-api-client-secret" },
            application: { signInAudience: "AzureADMyOrg" },
        });
        return { clientId: app.clientId, secretUri: app.secretUri, expiresAt: app.expiresAt, nextRotation: app.nextRotation, credentials: app.credentials };
    };

    it("declares the app, its service principal, time-boxed passwords and the Key Vault secret", async () => {
        const { engine } = await deploy(billing);
        const types = engine.resources().map((r) => r.type);
        assert.ok(types.includes("keyrelay:index:RotatedAppRegistration"));
        assert.ok(types.includes("keyrelay:index:RotatingPassword"));
        const [application] = engine.resourcesOfType(TYPES.application);
        assert.equal(application.inputs.displayName, "Billing API");
        assert.equal(application.inputs.signInAudience, "AzureADMyOrg");
        const [sp] = engine.resourcesOfType(TYPES.servicePrincipal);
        assert.equal(sp.inputs.clientId, application.outputs.clientId);

        const passwords = engine.resourcesOfType(TYPES.applicationPassword);
        assert.ok(passwords.length === 2 || passwords.length === 3, `2 or 3 passwords, got ${passwords.length}`);
        for (const password of passwords) {
            assert.equal(password.inputs.applicationId, application.id);
            assert.match(password.inputs.startDate, /^\d{4}-\d\d-\d\dT00:00:00Z$/);
            assert.match(password.inputs.endDate, /^\d{4}-\d\d-\d\dT00:00:00Z$/);
            const life = Date.parse(password.inputs.endDate) - Date.parse(password.inputs.startDate);
            assert.equal(life, 181 * DAY_MS);
            assert.equal(password.inputs.endDateRelative, undefined);
            assert.equal(password.inputs.rotateWhenChanged[PERIOD_START_MARKER], password.inputs.startDate);
            assert.ok(password.inputs.rotateWhenChanged[SERVES_UNTIL_MARKER]);
            assert.match(password.parent ?? "", /keyrelay:index:RotatingPassword/);
        }

        const [secret] = engine.resourcesOfType(TYPES.vaultSecret);
        const inService = passwords.reduce((a, b) => (a.inputs.startDate > b.inputs.startDate ? a : b));
        assert.equal(secret.inputs.vaultUrl, VAULT);
        assert.equal(secret.inputs.name, "billing-api-client-secret");
        assert.equal(secret.inputs.value, inService.outputs.value);
        assert.equal(secret.inputs.expiresOn, inService.inputs.endDate);
        assert.equal(secret.inputs.notBefore, inService.inputs.startDate);
        assert.equal(secret.inputs.tags["client-id"], application.outputs.clientId);
        assert.equal(secret.inputs.tags["key-id"], inService.outputs.keyId);
        assert.equal(secret.inputs.tags.app, "billing-api");
        assert.deepEqual(secret.propertyDependencies.value, [inService.urn]);
        assert.equal(typeof secret.inputs.__provider, "string");
        assert.ok(!secret.inputs.__provider.includes(inService.outputs.value));
    });

    it("exports the client id, the versionless URI, the expiry, the next rotation and credential metadata, never a value", async () => {
        const { engine, report } = await deploy(billing);
        const outputs = report.stackOutputs as Record<string, any>;
        const passwords = engine.resourcesOfType(TYPES.applicationPassword);
        const inService = passwords.reduce((a, b) => (a.inputs.startDate > b.inputs.startDate ? a : b));
        assert.equal(outputs.clientId, engine.resourcesOfType(TYPES.application)[0].outputs.clientId);
        assert.equal(outputs.secretUri, `${VAULT}/secrets/billing-api-client-secret`);
        assert.equal(outputs.expiresAt, inService.inputs.endDate);
        assert.ok(Date.parse(outputs.nextRotation) > NOW.toMillis());
        assert.ok(Date.parse(outputs.nextRotation) - NOW.toMillis() <= 90 * DAY_MS);
        assert.equal(outputs.credentials.length, passwords.length);
        assert.deepEqual(outputs.credentials.filter((c: any) => c.inService).map((c: any) => c.keyId), [inService.outputs.keyId]);
        const text = JSON.stringify(outputs);
        for (const password of passwords) assert.ok(!text.includes(password.outputs.value), "a password value leaked into stack outputs");
        assert.ok(!/"value"/.test(text));
    });

    it("grants each reader Key Vault Secrets User on this one secret", async () => {
        const vaultId = "/subscriptions/0000-sub/resourceGroups/rg-platform/providers/Microsoft.KeyVault/vaults/kv-platform";
        const { engine } = await deploy(() => new RotatedAppRegistration("orders", {
            displayName: "orders",
            vault: { url: VAULT, secretName: "orders-client-secret", resourceId: vaultId },
            readers: ["11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"],
        }));
        const assignments = engine.resourcesOfType(TYPES.roleAssignment);
        assert.equal(assignments.length, 2);
        assert.deepEqual(assignments.map((a) => a.inputs.principalId).sort(), ["11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"]);
        for (const assignment of assignments) {
            assert.equal(assignment.inputs.scope, `${vaultId}/secrets/orders-client-secret`);
            assert.equal(assignment.inputs.roleDefinitionId, "/subscriptions/0000-sub/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6");
        }
    });

    it("gives two instances distinct child names", async () => {
        const { engine } = await deploy(() => {
            new RotatedAppRegistration("one", { displayName: "one", vault: { url: VAULT, secretName: "one" } });
            new RotatedAppRegistration("two", { displayName: "two", vault: { url: VAULT, secretName: "two" } });
        });
        const names = engine.resources().map((r) => `${r.type}::${r.name}`);
        assert.equal(new Set(names).size, names.length);
        assert.equal(engine.resourcesOfType(TYPES.vaultSecret).length, 2);
    });
});

describe("RotatingPassword on its own", () => {
    it("exposes the in-service value as a secret, with its key id and end date", async () => {
        let password: RotatingPassword | undefined;
        const { engine } = await deploy(() => {
            password = new RotatingPassword("standalone", { applicationId: "/applications/abc", rotation: { every: "P30D", validFor: "P70D" } });
        });
        const passwords = engine.resourcesOfType(TYPES.applicationPassword);
        const inService = passwords.reduce((a, b) => (a.inputs.startDate > b.inputs.startDate ? a : b));
        assert.equal(await isSecretOutput(password!.value), true);
        const [keyId, endDate, startDate] = await new Promise<string[]>((resolve) =>
            pulumi.all([password!.keyId, password!.endDate, password!.startDate]).apply((v) => resolve(v)));
        assert.equal(keyId, inService.outputs.keyId);
        assert.equal(endDate, inService.inputs.endDate);
        assert.equal(Date.parse(endDate) - Date.parse(startDate), 70 * DAY_MS);
        assert.equal(passwords.every((p) => p.inputs.applicationId === "/applications/abc"), true);
    });

    it("takes every and validFor as a shorthand for rotation", async () => {
        const { engine } = await deploy(() => new RotatingPassword("shorthand", { applicationId: "/applications/abc", every: "P7D", validFor: "P30D" }));
        for (const p of engine.resourcesOfType(TYPES.applicationPassword)) {
            assert.equal(Date.parse(p.inputs.endDate) - Date.parse(p.inputs.startDate), 30 * DAY_MS);
            assert.equal(Date.parse(p.inputs.rotateWhenChanged[SERVES_UNTIL_MARKER]) - Date.parse(p.inputs.startDate), 7 * DAY_MS);
        }
    });
});

describe("VaultSecret", () => {
    it("is a dynamic resource typed pulumi-nodejs:dynamic/keyrelay:VaultSecret", async () => {
        const { engine } = await deploy(() => new VaultSecret("s", {
            vaultUrl: VAULT, name: "plain", value: "abc8Q~not-a-real-secret-value-0000000000", expiresOn: "2027-01-01T00:00:00Z",
        }));
        const [secret] = engine.resourcesOfType("pulumi-nodejs:dynamic/keyrelay:VaultSecret");
        assert.ok(secret, "registered under the dynamic type token");
        assert.equal(secret.inputs.expiresOn, "2027-01-01T00:00:00Z");
    });
});
