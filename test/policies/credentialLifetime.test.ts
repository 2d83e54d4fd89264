import * as assert from "assert";
import { credentialLifetime } from "../../policies/credentialLifetime";
import { byName, FIXTURE_NOW, keyrelayStack, plainResource, UNKNOWN } from "./fixtures";
import { FixtureResource, mutated, pinClock, runResourcePolicy } from "./policyHarness";

async function violations(resource: FixtureResource, config = {}) {
    return (await runResourcePolicy(credentialLifetime, resource, config)).map((v) => v.message);
}

const PASSWORD = "azuread:index/applicationPassword:ApplicationPassword";

describe("policy credential-lifetime", () => {
    let restoreClock: () => void;
    beforeEach(() => { restoreClock = pinClock(FIXTURE_NOW); });
    afterEach(() => restoreClock());

    it("passes every resource keyrelay declares, the retiring credential included", async () => {
        for (const resource of keyrelayStack()) assert.deepStrictEqual(await violations(resource), [], resource.name);
    });

    it("flags endDateRelative without endDate: deprecated, reported ignored, may live two years; the fix is endDate", async () => {
        const password = mutated(byName(keyrelayStack(), "billing-api-password-b"), (p) => {
            delete p.inputs.endDate;
            p.inputs.endDateRelative = "2160h";
        });
        const [message, ...rest] = await violations(password);
        assert.strictEqual(rest.length, 0);
        assert.strictEqual(message, 'ApplicationPassword "billing-api-password-b" sets endDateRelative but no endDate: endDateRelative is deprecated in the azuread provider ' +
            "and reported ignored (hashicorp/terraform-provider-azuread#1424), so the credential may get Graph's default life of two years. " +
            "Set endDate (RFC 3339) at most 365 days after the start instead, and remove endDateRelative.");
    });

    it("flags a password with neither endDate nor endDateRelative: Graph's two-year default", async () => {
        const password = mutated(byName(keyrelayStack(), "billing-api-password-b"), (p) => { delete p.inputs.endDate; });
        assert.deepStrictEqual(await violations(password), ['ApplicationPassword "billing-api-password-b" has no endDate: Graph then gives the credential its default life of two years. ' +
            "Set endDate (RFC 3339) at most 365 days after startDate."]);
    });

    it("judges a password with both endDate and endDateRelative by endDate", async () => {
        const password = mutated(byName(keyrelayStack(), "billing-api-password-b"), (p) => { p.inputs.endDateRelative = "87600h"; });
        assert.deepStrictEqual(await violations(password), []);
        const tooLong = mutated(password, (p) => { p.inputs.endDate = "2028-01-01T00:00:00Z"; });
        assert.match((await violations(tooLong))[0], /lives \d+(\.\d)? days, .* to endDate 2028-01-01T00:00:00Z, over the maximum of 365 days/);
    });

    it("flags a life over 365 days, from startDate or, for a keyrelay password without one, from its period-start marker", async () => {
        const password = mutated(byName(keyrelayStack(), "billing-api-password-b"), (p) => { p.inputs.endDate = "2027-12-11T00:00:00Z"; });
        assert.match((await violations(password))[0],
            /^ApplicationPassword "billing-api-password-b" lives 366 days, from its period start \(keyrelay-period-start\) 2026-12-10T00:00:00Z to endDate 2027-12-11T00:00:00Z, over the maximum of 365 days\. .*shorten rotation\.validFor or rotation\.every\.$/);
        const exactly365 = mutated(password, (p) => { p.inputs.endDate = "2027-12-10T00:00:00Z"; });
        assert.deepStrictEqual(await violations(exactly365), []);
        const withStart = mutated(password, (p) => { p.inputs.startDate = "2026-12-10T00:00:00Z"; });
        assert.match((await violations(withStart))[0], /lives 366 days, from startDate 2026-12-10T00:00:00Z/);
    });

    it("counts from now when there is no start date", async () => {
        const password = plainResource(PASSWORD, "no-start", { endDate: "2028-01-14T02:00:00Z" });
        assert.match((await violations(password))[0], /lives 366 days, from now to endDate 2028-01-14T02:00:00Z/);
    });

    it("flags an endDate that is not a date", async () => {
        const password = plainResource(PASSWORD, "typo", { endDate: "next year" });
        assert.match((await violations(password))[0], /^ApplicationPassword "typo" has endDate "next year", which is .*\. Write endDate as an RFC 3339 date/);
    });

    it("flags a keyrelay VaultSecret and an azure-native secret without expiry", async () => {
        const secret = mutated(byName(keyrelayStack(), "billing-api-secret"), (s) => { delete s.inputs.expiresOn; });
        assert.match((await violations(secret))[0], /^keyrelay VaultSecret "billing-api-secret" has no expiry \(expiresOn\), so the secret never expires\./);
        const native = plainResource("azure-native:keyvault:Secret", "kv", { properties: { value: "v", attributes: { enabled: true } } });
        assert.match((await violations(native))[0], /^Key Vault Secret "kv" has no expiry \(properties\.attributes\.expires\)/);
    });

    it("flags an azure-native secret living longer than the maximum, from notBefore", async () => {
        const notBefore = Date.parse("2026-11-15T00:00:00Z") / 1000;
        const native = plainResource("azure-native:keyvault:Secret", "kv", { properties: { attributes: { notBefore, expires: notBefore + 400 * 86400 } } });
        assert.match((await violations(native))[0], /lives 400 days, from properties\.attributes\.notBefore 2026-11-15T00:00:00Z/);
    });

    it("reads maxLifetimeDays from config, defaulting to 365", async () => {
        const stack = keyrelayStack(); // slot b lives 181 days
        const password = byName(stack, "billing-api-password-b");
        assert.deepStrictEqual(await violations(password, { maxLifetimeDays: 181 }), []);
        assert.match((await violations(password, { maxLifetimeDays: 180 }))[0], /lives 181 days, .* over the maximum of 180 days/);
        await assert.rejects(violations(password, { maxLifetimeDays: 0 }), /policy "credential-lifetime": maxLifetimeDays is 0, not a whole number >= 1/);
        await assert.rejects(violations(password, { maxLifetimeDays: "90" }), /maxLifetimeDays is "90"/);
    });

    it("reads the tenant's passwordLifetime as tenantMaxLifetime: a credential over it is refused by Entra; a Key Vault secret is not bound by it", async () => {
        const stack = keyrelayStack(); // slot b lives 181 days
        const password = byName(stack, "billing-api-password-b");
        assert.deepStrictEqual(await violations(password, { tenantMaxLifetime: "P181D" }), []);
        const [message] = await violations(password, { tenantMaxLifetime: "P180D" });
        assert.match(message, /lives 181 days, .* over the tenant's passwordLifetime P180D \(180 days, its app management policy\): Entra refuses it with CredentialInvalidLifetimeAsPerAppPolicy\. Set rotation\.validFor to P180D or less/);
        assert.deepStrictEqual(await violations(byName(stack, "billing-api-secret"), { tenantMaxLifetime: "P30D" }), []);
        assert.match((await violations(password, { tenantMaxLifetime: "P400D", maxLifetimeDays: 180 }))[0], /over the maximum of 180 days/, "the stricter limit speaks");
        await assert.rejects(violations(password, { tenantMaxLifetime: "180 days" }), /tenantMaxLifetime is "180 days", not an ISO-8601 duration such as "P180D"/);
        await assert.rejects(violations(password, { tenantMaxLifetime: 180 }), /tenantMaxLifetime is 180/);
    });

    it("never flags an end date not known yet", async () => {
        assert.deepStrictEqual(await violations(plainResource(PASSWORD, "p", { endDate: UNKNOWN, startDate: UNKNOWN })), []);
    });
});
