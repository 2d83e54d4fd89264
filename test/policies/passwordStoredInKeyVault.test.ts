import * as assert from "assert";
import { passwordStoredInKeyVault } from "../../policies/passwordStoredInKeyVault";
import { byName, FIXTURE_NOW, keyrelayStack, PASSWORD_A_URN, PASSWORD_B_URN, plainResource } from "./fixtures";
import { FixtureResource, pinClock, runStackPolicy } from "./policyHarness";

async function violations(resources: FixtureResource[]) {
    return runStackPolicy(passwordStoredInKeyVault, resources);
}

describe("policy password-stored-in-keyvault", () => {
    let restoreClock: () => void;
    beforeEach(() => { restoreClock = pinClock(FIXTURE_NOW); });
    afterEach(() => restoreClock());

    it("passes the keyrelay stack: the in-service password feeds the VaultSecret, the retiring one is exempt", async () => {
        assert.deepStrictEqual(await violations(keyrelayStack()), []);
    });

    it("flags the in-service password when the VaultSecret's value does not come from it", async () => {
        const stack = keyrelayStack();
        byName(stack, "billing-api-secret").propertyDependencies.value = [];
        const found = await violations(stack);
        assert.strictEqual(found.length, 1);
        assert.strictEqual(found[0].urn, PASSWORD_B_URN);
        assert.match(found[0].message, /^ApplicationPassword "billing-api-password-b": its value flows into no Key Vault secret in this stack, so someone would have to copy it by hand/);
        assert.match(found[0].message, /use keyrelay's RotatedAppRegistration, or pass the password's `value` output to a keyrelay VaultSecret or an azure-native keyvault\.Secret\.$/);
    });

    it("does not count a dependency through tags only (the key-id tag is metadata, not the value)", async () => {
        const stack = keyrelayStack();
        const secret = byName(stack, "billing-api-secret");
        secret.propertyDependencies.value = [];
        assert.ok(secret.propertyDependencies.tags.includes(PASSWORD_B_URN));
        assert.strictEqual((await violations(stack)).length, 1);
    });

    it("flags a keyrelay password once its marker says it still serves but nothing stores it", async () => {
        const stack = keyrelayStack();
        byName(stack, "billing-api-password-a").outputs.rotateWhenChanged = { "keyrelay-serves-until": "2027-03-10T00:00:00Z" };
        const found = await violations(stack);
        assert.deepStrictEqual(found.map((v) => v.urn), [PASSWORD_A_URN]);
    });

    it("flags a service principal password kept outside Key Vault, and accepts one stored in an azure-native secret", async () => {
        const spPassword = plainResource("azuread:index/servicePrincipalPassword:ServicePrincipalPassword", "sp-pw", { servicePrincipalId: "/servicePrincipals/x", endDate: "2027-04-15T00:00:00Z" });
        const found = await violations([...keyrelayStack(), spPassword]);
        assert.deepStrictEqual(found.map((v) => v.urn), [spPassword.urn]);
        assert.match(found[0].message, /^ServicePrincipalPassword "sp-pw": its value flows into no Key Vault secret/);
        const stored = plainResource("azure-native:keyvault:Secret", "sp-pw-secret", { properties: { value: "x" } }, { properties: [spPassword.urn] });
        assert.deepStrictEqual(await violations([...keyrelayStack(), spPassword, stored]), []);
    });

    it("follows the value through an intermediate resource", async () => {
        const spPassword = plainResource("azuread:index/servicePrincipalPassword:ServicePrincipalPassword", "sp-pw", {});
        const relay = plainResource("command:local:Command", "transform", { stdin: "x" }, { stdin: [spPassword.urn] });
        const stored = plainResource("azure:keyvault/secret:Secret", "classic", { value: "x" }, { value: [relay.urn] });
        assert.deepStrictEqual(await violations([spPassword, relay, stored]), []);
        const unrelated = plainResource("azure:keyvault/secret:Secret", "classic", { value: "x" }, { keyVaultId: [relay.urn] });
        assert.strictEqual((await violations([spPassword, relay, unrelated])).length, 1);
    });

    it("says nothing about a stack without passwords", async () => {
        assert.deepStrictEqual(await violations([plainResource("azure-native:web:WebApp", "site", {})]), []);
    });
});
