import * as assert from "assert";
import { secretIdNotValue } from "../../policies/secretIdNotValue";
import { byName, KEY_ID_A, KEY_ID_B, keyrelayStack, plainResource, UNKNOWN } from "./fixtures";
import { FixtureResource, mutated, runResourcePolicy, runStackPolicy } from "./policyHarness";

async function violations(resource: FixtureResource) {
    return (await runResourcePolicy(secretIdNotValue, resource)).map((v) => v.message);
}

const AADSTS = /it looks like a credential's Secret ID \(keyId\), not its Value, and Entra answers AADSTS7000215 \(invalid client secret\)/;

describe("policy secret-id-not-value", () => {
    describe("per resource", () => {
        it("passes every resource keyrelay declares (the Secret ID sits only in the key-id tag)", async () => {
            for (const resource of keyrelayStack()) assert.deepStrictEqual(await violations(resource), [], resource.name);
        });

        it("flags a keyrelay VaultSecret whose value is the Secret ID", async () => {
            const secret = mutated(byName(keyrelayStack(), "billing-api-secret"), (s) => { s.inputs.value = KEY_ID_B; });
            const [message, ...rest] = await violations(secret);
            assert.strictEqual(rest.length, 0);
            assert.match(message, /^keyrelay VaultSecret "billing-api-secret" has a GUID \("79a…"\) at value, where a secret value belongs: /);
            assert.match(message, AADSTS);
            assert.match(message, /Pass the password's `value` output \(the secret itself\), never its `keyId`\.$/);
            assert.ok(!message.includes(KEY_ID_B), "the message shows a hint, not the value");
        });

        it("flags a GUID copied with whitespace, quotes or braces", async () => {
            for (const value of [` ${KEY_ID_B}\n`, `"${KEY_ID_B}"`, `{${KEY_ID_B.toUpperCase()}}`]) {
                const secret = mutated(byName(keyrelayStack(), "billing-api-secret"), (s) => { s.inputs.value = value; });
                assert.strictEqual((await violations(secret)).length, 1, JSON.stringify(value));
            }
        });

        it("flags an azure-native Key Vault secret named as a client secret whose properties.value is a GUID", async () => {
            const native = plainResource("azure-native:keyvault:Secret", "kv", { secretName: "billing-api-client-secret", properties: { value: KEY_ID_A } });
            assert.match((await violations(native))[0], /^Key Vault Secret "kv" has a GUID \("969…"\) at properties\.value/);
            const unnamed = plainResource("azure-native:keyvault:Secret", "kv", { secretName: "billing-api-settings", properties: { value: KEY_ID_A } });
            assert.deepStrictEqual(await violations(unnamed), [], "a GUID in a secret that says nothing of a client secret is the advisory policy's");
        });

        it("flags client-secret and app-password keys at any depth, in any casing; a VM's adminPassword is not an app's", async () => {
            const resource = plainResource("some:index:Thing", "thing", {
                clientSecret: KEY_ID_A,
                auth: { client_secret: KEY_ID_A, nested: [{ adminPassword: KEY_ID_A, appPassword: KEY_ID_A }] },
                env: { AZURE_CLIENT_SECRET: KEY_ID_A, BILLING_CLIENT_SECRET: KEY_ID_A },
            });
            const paths = (await violations(resource)).map((m) => /at (\S+), where/.exec(m)?.[1]);
            assert.deepStrictEqual(paths, ["clientSecret", "auth.client_secret", "auth.nested[0].appPassword", "env.AZURE_CLIENT_SECRET", "env.BILLING_CLIENT_SECRET"]);
        });

        it("flags an App Service app setting named like a client secret", async () => {
            const site = plainResource("azure-native:web:WebApp", "site", {
                siteConfig: { appSettings: [{ name: "AZURE_CLIENT_ID", value: "214aa188-3c4f-4d02-af5b-d14dcc312684" }, { name: "AZURE_CLIENT_SECRET", value: KEY_ID_B }] },
            });
            const [message, ...rest] = await violations(site);
            assert.strictEqual(rest.length, 0, "the client id setting is a GUID by right");
            assert.match(message, /^WebApp "site" has a GUID \("79a…"\) at siteConfig\.appSettings\[1\]\.value/);
        });

        it("flags the clientSecret of an azuread provider", async () => {
            const provider = plainResource("pulumi:providers:azuread", "entra", { clientId: "214aa188-3c4f-4d02-af5b-d14dcc312684", clientSecret: KEY_ID_A, tenantId: "d3c0ffee-0000-4000-8000-000000000001" });
            const [message, ...rest] = await violations(provider);
            assert.strictEqual(rest.length, 0);
            assert.match(message, /^azuread provider "entra" has a GUID \("969…"\) at clientSecret/);
        });

        it("leaves GUIDs alone where they belong: ids, tags, secret names", async () => {
            const resource = plainResource("some:index:Thing", "thing", {
                clientId: KEY_ID_A, keyId: KEY_ID_A, clientSecretId: KEY_ID_A, clientSecretSettingName: KEY_ID_A,
                tags: { AZURE_CLIENT_SECRET: KEY_ID_A },
            });
            assert.deepStrictEqual(await violations(resource), []);
        });

        it("never mistakes the engine's unknown markers for a Secret ID", async () => {
            const secret = mutated(byName(keyrelayStack(), "billing-api-secret"), (s) => { s.inputs.value = UNKNOWN; });
            assert.deepStrictEqual(await violations(secret), []);
            const site = plainResource("azure-native:web:WebApp", "site", { siteConfig: { appSettings: [{ name: "AZURE_CLIENT_SECRET", value: UNKNOWN }] }, clientSecret: UNKNOWN });
            assert.deepStrictEqual(await violations(site), []);
        });
    });

    describe("across the stack", () => {
        async function stackViolations(resources: FixtureResource[]) {
            return runStackPolicy(secretIdNotValue, resources);
        }

        it("passes the keyrelay stack (keyId outputs, the key-id tag)", async () => {
            assert.deepStrictEqual(await stackViolations(keyrelayStack()), []);
        });

        it("flags a property equal to a password's keyId whatever its key is called, naming the password", async () => {
            const consumer = plainResource("azure-native:app:ContainerApp", "api", { configuration: { settings: { credential: KEY_ID_A } } });
            const found = await stackViolations([...keyrelayStack(), consumer]);
            assert.strictEqual(found.length, 1);
            assert.strictEqual(found[0].urn, consumer.urn);
            assert.match(found[0].message, /^ContainerApp "api" sets configuration\.settings\.credential to the Secret ID \(keyId\) of ApplicationPassword "billing-api-password-a": /);
            assert.match(found[0].message, AADSTS);
        });

        it("does not repeat what the per-resource check reports", async () => {
            const stack = keyrelayStack();
            const secret = byName(stack, "billing-api-secret");
            secret.outputs.value = KEY_ID_B;
            assert.deepStrictEqual(await stackViolations(stack), []);
            assert.strictEqual((await runResourcePolicy(secretIdNotValue, mutated(secret, (s) => { s.inputs.value = KEY_ID_B; }))).length, 1);
        });

        it("ignores tags, identifier keys and unknown keyIds", async () => {
            const stack = keyrelayStack();
            const tagged = plainResource("azure-native:web:WebApp", "site", { tags: { secret: KEY_ID_A }, credentialKeyId: KEY_ID_A });
            byName(stack, "billing-api-password-b").outputs.keyId = UNKNOWN;
            const unknownMatch = plainResource("some:index:Thing", "t", { anything: UNKNOWN });
            assert.deepStrictEqual(await stackViolations([...stack, tagged, unknownMatch]), []);
        });
    });
});
