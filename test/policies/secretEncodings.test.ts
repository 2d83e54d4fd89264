// Issue 15 point 5: a Secret ID (keyId) blocked in its plain form is blocked in every other form it
// reaches a secret in, where a client secret belongs; elsewhere a GUID stays the advisory policy's.
// One spec per encoding: the compliant fixture passes, then the mutation is flagged with its message.
import * as assert from "assert";
import { credentialExpiryNear } from "../../policies/credentialExpiryNear";
import { guidShapedSecret } from "../../policies/guidShapedSecret";
import { passwordStoredInKeyVault } from "../../policies/passwordStoredInKeyVault";
import { secretIdNotValue } from "../../policies/secretIdNotValue";
import { secretValueHygiene } from "../../policies/secretValueHygiene";
import { byName, FIXTURE_NOW, KEY_ID_A, KEY_ID_B, keyrelayStack, plainResource, VALUE_B } from "./fixtures";
import { FixtureResource, mutated, pinClock, runResourcePolicy, runStackPolicy } from "./policyHarness";

async function secretIdMessages(resource: FixtureResource): Promise<string[]> {
    return (await runResourcePolicy(secretIdNotValue, resource)).map((v) => v.message);
}

const CONSEQUENCE = /where a secret value belongs: it looks like a credential's Secret ID \(keyId\), not its Value, and Entra answers AADSTS7000215/;
const vaultSecret = () => byName(keyrelayStack(), "billing-api-secret");
const hex = KEY_ID_B.replace(/-/g, "");
const base64 = Buffer.from(KEY_ID_B).toString("base64");

describe("policy pack: a Secret ID in any encoding, where a client secret belongs", () => {
    it("the keyrelay stack passes all five resource checks (the fixture every mutation starts from)", async () => {
        for (const policy of [secretIdNotValue, secretValueHygiene, guidShapedSecret, credentialExpiryNear]) {
            const restore = pinClock(FIXTURE_NOW);
            try {
                for (const resource of keyrelayStack()) assert.deepStrictEqual(await runResourcePolicy(policy, resource), [], `${policy.name} ${resource.name}`);
            } finally { restore(); }
        }
    });

    const encodings: [string, string, RegExp][] = [
        ["32 hex digits without hyphens", hex, /has a GUID \("79a…", hex without hyphens\) at value, /],
        ["percent-encoded hyphens", KEY_ID_B.replace(/-/g, "%2D"), /has a GUID \("79a…", percent-encoded\) at value, /],
        ["JSON-escaped hyphens (\\u002d)", KEY_ID_B.replace(/-/g, "\\u002d"), /has a GUID \("79a…", JSON-escaped\) at value, /],
        ["a data: URI, plain", `data:,${KEY_ID_B}`, /has a GUID \("dat…", in a data: URI\) at value, /],
        ["a data: URI, base64", `data:text/plain;base64,${base64}`, /has a GUID \("dat…", in a data: URI\) at value, /],
        ["base64 outside Kubernetes", base64, /has a GUID \("Nzl…", base64-encoded\) at value, /],
    ];
    for (const [label, value, expected] of encodings) {
        it(`flags a Secret ID as ${label} in a keyrelay VaultSecret's value`, async () => {
            assert.deepStrictEqual(await secretIdMessages(vaultSecret()), []);
            const [message, ...rest] = await secretIdMessages(mutated(vaultSecret(), (s) => { s.inputs.value = value; }));
            assert.strictEqual(rest.length, 0);
            assert.match(message, /^keyrelay VaultSecret "billing-api-secret" /);
            assert.match(message, expected);
            assert.match(message, CONSEQUENCE);
            assert.ok(!message.includes(value) && !message.includes(KEY_ID_B), "the message shows a hint, never the value");
        });
    }

    it("keeps the same forms advisory where no client secret belongs (a GUID may be right there)", async () => {
        for (const [, value] of encodings) {
            const settings = plainResource("azure-native:keyvault:Secret", "kv", { secretName: "billing-settings", properties: { value } });
            assert.deepStrictEqual(await secretIdMessages(settings), [], value);
            assert.strictEqual((await runResourcePolicy(guidShapedSecret, settings)).length, 1, value);
        }
        const apiKey = plainResource("some:index:Thing", "t", { clientSecret: "0123456789abcdef0123456789abcdef" });
        assert.deepStrictEqual(await secretIdMessages(apiKey), [], "32 hex digits that are not a version-4 GUID are another service's key");
    });

    it("flags a Secret ID split across two settings named like a client secret", async () => {
        const settings = (second: string) => plainResource("azure-native:web:WebApp", "site", {
            siteConfig: { appSettings: [{ name: "CLIENT_SECRET_PART1", value: KEY_ID_A.slice(0, 18) }, { name: "CLIENT_SECRET_PART2", value: second }] },
        });
        assert.deepStrictEqual(await secretIdMessages(settings("Qx78Q~kd0Zr1vT5nYb2")), []);
        const [message, ...rest] = await secretIdMessages(settings(KEY_ID_A.slice(18)));
        assert.strictEqual(rest.length, 0);
        assert.match(message, /^WebApp "site" has a GUID \("969…"\) at siteConfig\.appSettings\[0\]\.value \+ siteConfig\.appSettings\[1\]\.value, /);
        assert.match(message, CONSEQUENCE);
        assert.deepStrictEqual(await runResourcePolicy(secretValueHygiene, settings(KEY_ID_A.slice(18))), [], "the joined text is not a value of its own");
    });

    it("flags ClientSecret= inside a connection string, whatever the setting is called", async () => {
        const site = (secret: string) => plainResource("azure-native:web:WebApp", "site", {
            siteConfig: { connectionStrings: [{ name: "Graph", connectionString: `TenantId=72f988bf-0000-4000-a000-0000000000a1;ClientId=214aa188-3c4f-4d02-af5b-d14dcc312684;ClientSecret=${secret};` }] },
        });
        assert.deepStrictEqual(await secretIdMessages(site(VALUE_B)), []);
        const [message, ...rest] = await secretIdMessages(site(KEY_ID_A));
        assert.strictEqual(rest.length, 0, "the tenant and client ids beside it are GUIDs by right");
        assert.match(message, /^WebApp "site" has a GUID \("969…"\) at siteConfig\.connectionStrings\[0\]\.connectionString \(ClientSecret=\), /);
    });

    it("flags AppKey= in an AzureServicesAuthConnectionString, and leaves AppKey alone elsewhere", async () => {
        const app = (value: string, name = "AzureServicesAuthConnectionString") => plainResource("azure-native:web:WebApp", "fn", {
            siteConfig: { appSettings: [{ name, value }] },
        });
        assert.deepStrictEqual(await secretIdMessages(app(`RunAs=App;AppId=214aa188-3c4f-4d02-af5b-d14dcc312684;TenantId=72f988bf-0000-4000-a000-0000000000a1;AppKey=${VALUE_B}`)), []);
        const [message] = await secretIdMessages(app(`RunAs=App;AppId=214aa188-3c4f-4d02-af5b-d14dcc312684;TenantId=72f988bf-0000-4000-a000-0000000000a1;AppKey=${KEY_ID_B}`));
        assert.match(message, /^WebApp "fn" has a GUID \("79a…"\) at siteConfig\.appSettings\[0\]\.value \(AppKey=\), /);
        assert.deepStrictEqual(await secretIdMessages(app(`Endpoint=https://x;AppKey=${KEY_ID_B}`, "TELEMETRY")), [], "AppKey means a client secret only in the AzureServicesAuth form");
    });

    it("flags a Container App secret of any name that an env var named like a client secret references through secretRef", async () => {
        const containerApp = (value: string) => plainResource("azure-native:app:ContainerApp", "api", {
            configuration: { secrets: [{ name: "entra-cred", value }, { name: "other", value: KEY_ID_A }] },
            template: { containers: [{ name: "api", env: [{ name: "AZURE_CLIENT_ID", value: "214aa188-3c4f-4d02-af5b-d14dcc312684" }, { name: "AZURE_CLIENT_SECRET", secretRef: "entra-cred" }] }] },
        });
        assert.deepStrictEqual(await secretIdMessages(containerApp(VALUE_B)), [], "the unreferenced GUID secret is the advisory policy's");
        const [message, ...rest] = await secretIdMessages(containerApp(KEY_ID_B));
        assert.strictEqual(rest.length, 0);
        assert.match(message, /^ContainerApp "api" has a GUID \("79a…"\) at configuration\.secrets\[0\]\.value \(secretRef of AZURE_CLIENT_SECRET\), /);
    });

    it("the stack check finds an encoded keyId anywhere, and does not repeat what the resource check reports", async () => {
        const consumer = plainResource("azure-native:app:ContainerApp", "api", { configuration: { settings: { credential: KEY_ID_A.replace(/-/g, "") } } });
        const found = await runStackPolicy(secretIdNotValue, [...keyrelayStack(), consumer]);
        assert.strictEqual(found.length, 1);
        assert.match(found[0].message, /^ContainerApp "api" sets configuration\.settings\.credential to the Secret ID \(keyId\) of ApplicationPassword "billing-api-password-a"/);
        const referenced = plainResource("azure-native:app:ContainerApp", "api", {
            configuration: { secrets: [{ name: "entra-cred", value: KEY_ID_A }] },
            template: { containers: [{ name: "api", env: [{ name: "AZURE_CLIENT_SECRET", secretRef: "entra-cred" }] }] },
        });
        assert.deepStrictEqual(await runStackPolicy(secretIdNotValue, [...keyrelayStack(), referenced]), []);
        assert.strictEqual((await secretIdMessages(referenced)).length, 1);
    });
});

describe("policy pack: invisible characters and content types that would hide a bad client secret", () => {
    async function hygiene(resource: FixtureResource) {
        return (await runResourcePolicy(secretValueHygiene, resource)).map((v) => v.message);
    }

    for (const [label, ch] of [["a word joiner (U+2060)", "\u2060"], ["a soft hyphen (U+00AD)", "\u00AD"]]) {
        it(`flags a client secret ending with ${label}`, async () => {
            assert.deepStrictEqual(await hygiene(vaultSecret()), []);
            const [message, ...rest] = await hygiene(mutated(vaultSecret(), (s) => { s.inputs.value = `${VALUE_B}${ch}`; }));
            assert.strictEqual(rest.length, 0);
            assert.match(message, new RegExp(`^keyrelay VaultSecret "billing-api-secret": the secret value at value ends with a zero-width character \\(U\\+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}\\)\\.`));
        });
    }

    it("flags a client secret's trailing line break behind contentType application/json; a JSON document may still span lines", async () => {
        const json = mutated(vaultSecret(), (s) => { s.inputs.contentType = "application/json"; });
        assert.deepStrictEqual(await hygiene(json), []);
        const [message] = await hygiene(mutated(json, (s) => { s.inputs.value = `${VALUE_B}\n`; }));
        assert.match(message, /^keyrelay VaultSecret "billing-api-secret": the secret value at value ends with a line break\./);
        const settings = (value: string) => plainResource("azure-native:keyvault:Secret", "cfg", { secretName: "billing-settings", properties: { contentType: "application/json", value } });
        assert.deepStrictEqual(await hygiene(settings('{\n  "endpoint": "https://x"\n}\n')), []);
        assert.match((await hygiene(settings(`${VALUE_B}\n`)))[0], /^Key Vault Secret "cfg": the secret value at properties\.value ends with a line break\./);
    });
});

describe("policy pack: a forged keyrelay parent earns no exemption", () => {
    let restore: () => void;
    beforeEach(() => { restore = pinClock(FIXTURE_NOW); });
    afterEach(() => restore());

    /** A hand-made password under a hand-made `keyrelay:index:RotatingPassword`, claiming to have retired yesterday. */
    function forged(rotateWhenChanged: Record<string, string>, endDate = "2027-01-20T00:00:00Z"): FixtureResource {
        const parent = "urn:pulumi:example::keyrelay::keyrelay:index:RotatingPassword::legacy";
        const props = { applicationId: "/applications/e4edaa36-434e-4251-ac63-2d4e86a538cc", endDate, rotateWhenChanged, keyId: "0fa0d1a2-7b3c-4d5e-9f60-718293a4b5c6", value: VALUE_B };
        return {
            type: "azuread:index/applicationPassword:ApplicationPassword", name: "legacy-password", parent,
            urn: "urn:pulumi:example::keyrelay::keyrelay:index:RotatingPassword$azuread:index/applicationPassword:ApplicationPassword::legacy-password",
            inputs: props, outputs: props, propertyDependencies: {},
        };
    }

    it("a serves-until marker alone, or one that disagrees with the endDate, does not exempt from credential-expiry-near", async () => {
        const keyrelayPassword = byName(keyrelayStack(), "billing-api-password-a");
        assert.deepStrictEqual(await runResourcePolicy(credentialExpiryNear, keyrelayPassword), [], "keyrelay's own retiring credential stays exempt");
        for (const markers of <Record<string, string>[]>[
            { "keyrelay-serves-until": "2027-01-12T00:00:00Z" },
            { "keyrelay-period-start": "2026-10-14T00:00:00Z", "keyrelay-serves-until": "2027-01-12T00:00:00Z" },
        ]) {
            const [found, ...rest] = await runResourcePolicy(credentialExpiryNear, forged(markers));
            assert.strictEqual(rest.length, 0, JSON.stringify(markers));
            assert.match(found.message, /^ApplicationPassword "legacy-password" expires on 2027-01-20T00:00:00Z \(endDate\), 6\.9 days from now, less than the 14 days required\./);
        }
    });

    it("nor from password-stored-in-keyvault", async () => {
        const found = await runStackPolicy(passwordStoredInKeyVault, [...keyrelayStack(), forged({ "keyrelay-serves-until": "2027-01-12T00:00:00Z" })]);
        assert.strictEqual(found.length, 1);
        assert.match(found[0].message, /^ApplicationPassword "legacy-password": its value flows into no Key Vault secret in this stack/);
    });
});
