import * as assert from "assert";
import { secretValueHygiene } from "../../policies/secretValueHygiene";
import { byName, keyrelayStack, plainResource, UNKNOWN, VALUE_B } from "./fixtures";
import { FixtureResource, mutated, runResourcePolicy } from "./policyHarness";

async function violations(resource: FixtureResource) {
    return (await runResourcePolicy(secretValueHygiene, resource)).map((v) => v.message);
}

function vaultSecretWith(value: string): FixtureResource {
    return mutated(byName(keyrelayStack(), "billing-api-secret"), (s) => { s.inputs.value = value; });
}

describe("policy secret-value-hygiene", () => {
    it("passes every resource keyrelay declares", async () => {
        for (const resource of keyrelayStack()) assert.deepStrictEqual(await violations(resource), [], resource.name);
    });

    const cases: [string, string, RegExp][] = [
        ["empty", "", /at value is empty\./],
        ["whitespace only", "  \t", /at value is only whitespace\./],
        ["leading space", ` ${VALUE_B}`, /at value starts with whitespace\./],
        ["trailing space", `${VALUE_B} `, /at value ends with whitespace\./],
        ["trailing line break (echo)", `${VALUE_B}\n`, /at value ends with a line break\./],
        ["leading CRLF", `\r\n${VALUE_B}`, /at value starts with a line break\./],
        ["inner line break", `${VALUE_B.slice(0, 10)}\n${VALUE_B.slice(10)}`, /at value contains a line break\./],
        ["double quotes", `"${VALUE_B}"`, /at value is wrapped in quotes\./],
        ["single quotes", `'${VALUE_B}'`, /at value is wrapped in quotes\./],
        ["quotes and newline", `"${VALUE_B}"\n`, /at value ends with a line break, is wrapped in quotes\./],
    ];
    for (const [label, value, expected] of cases) {
        it(`flags a secret value with ${label}`, async () => {
            const [message, ...rest] = await violations(vaultSecretWith(value));
            assert.strictEqual(rest.length, 0);
            assert.match(message, /^keyrelay VaultSecret "billing-api-secret": the secret value /);
            assert.match(message, expected);
            assert.match(message, /Store the value exactly as Entra issued it/);
            assert.ok(value.trim().length < 4 || !message.includes(value.trim().replace(/^["']|["']$/g, "")), "the value never appears in the message");
        });
    }

    it("checks settings and provider fields that hold a client secret", async () => {
        const site = plainResource("azure-native:web:WebApp", "site", {
            siteConfig: { appSettings: [{ name: "AZURE_CLIENT_SECRET", value: `${VALUE_B}\n` }, { name: "GREETING", value: " hello " }] },
        });
        const [message, ...rest] = await violations(site);
        assert.strictEqual(rest.length, 0, "only the secret setting is checked");
        assert.match(message, /^WebApp "site": the secret value at siteConfig\.appSettings\[0\]\.value ends with a line break\./);
        const provider = plainResource("pulumi:providers:azuread", "entra", { clientSecret: "" });
        assert.match((await violations(provider))[0], /^azuread provider "entra": the secret value at clientSecret is empty\./);
    });

    it("flags an azure-native Key Vault secret's properties.value, but lets a PEM span lines", async () => {
        const native = plainResource("azure-native:keyvault:Secret", "kv", { properties: { value: `'${VALUE_B}'` } });
        assert.match((await violations(native))[0], /^Key Vault Secret "kv": the secret value at properties\.value is wrapped in quotes\./);
        const pem = plainResource("azure-native:keyvault:Secret", "cert", {
            properties: { contentType: "application/x-pem-file", value: "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n" },
        });
        assert.deepStrictEqual(await violations(pem), []);
    });

    it("never checks a value not known yet", async () => {
        assert.deepStrictEqual(await violations(vaultSecretWith(UNKNOWN)), []);
    });
});
