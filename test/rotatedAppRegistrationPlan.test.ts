// Parse once, then build: the args of a RotatedAppRegistration become one checked, normalised plan.
import { strict as assert } from "assert";
import { DateTime } from "luxon";
import { parseRotatedAppRegistrationArgs } from "../components/rotatedAppRegistrationPlan";
import { isInputError } from "../lib/errors";

const AT = DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" });
const VAULT_ID = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-platform";

describe("parseRotatedAppRegistrationArgs", () => {
    it("normalises the vault, keys the readers, keeps the owners and plans the schedule at the given instant", () => {
        const plan = parseRotatedAppRegistrationArgs("billing-api", {
            displayName: "Billing API",
            rotation: { every: "P30D" },
            vault: { url: "https://KV-Platform.vault.azure.net/", secretName: "billing-api-client-secret", resourceId: VAULT_ID },
            readers: ["11111111-2222-3333-4444-555555555555", { name: "orders-api", principalId: "66666666-7777-8888-9999-000000000000" }],
            owners: ["aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"],
            application: { signInAudience: "AzureADMyOrg" },
        }, AT);
        assert.equal(plan.resource, 'RotatedAppRegistration "billing-api"');
        assert.equal(plan.vault.url, "https://kv-platform.vault.azure.net");
        assert.equal(plan.vault.secretUri, "https://kv-platform.vault.azure.net/secrets/billing-api-client-secret");
        assert.deepEqual(plan.readers.map((r) => r.key), ["11111111-2222-3333-4444-555555555555", "orders-api"]);
        assert.deepEqual(plan.owners, ["aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"]);
        assert.equal(plan.audience, "AzureADMyOrg");
        assert.equal(plan.everyInForce, "P30D");
        assert.equal(plan.schedule.schedule.everyMs, 30 * 86_400_000);
        assert.ok(plan.schedule.inService.startDate <= AT && AT < plan.schedule.inService.servesUntil, "the in-service credential is the one of AT's period");
        assert.ok(plan.schedule.nextRotation > AT);
    });

    it("before a declared change takes over, the previous every is the one in force", () => {
        const plan = parseRotatedAppRegistrationArgs("billing-api", {
            displayName: "Billing API",
            rotation: { every: "P30D", since: "2027-01-01", previous: { every: "P60D" } },
            vault: { url: "https://kv-platform.vault.azure.net", secretName: "billing-api-client-secret" },
        }, AT);
        assert.equal(plan.everyInForce, "P60D");
    });

    it("throws the first problem as an InputError naming the resource, the field and the fix", () => {
        const bad = (args: object) => {
            try {
                parseRotatedAppRegistrationArgs("billing-api", args as never, AT);
            } catch (error) {
                assert.ok(isInputError(error));
                return [error.field, error.message] as const;
            }
            assert.fail("no error");
        };
        const [field, message] = bad({ displayName: "x", rotation: { every: "P400D" }, vault: { url: "https://kv-platform.vault.azure.net", secretName: "s" } });
        assert.equal(field, "rotation.every");
        assert.match(message, /^keyrelay: RotatedAppRegistration "billing-api": rotation\.every is P400D .*\. Use "P\d+D" or less/);
        assert.equal(bad({ displayName: "x", vault: { url: "https://kv-platform.vault.azure.net", secretName: "s" }, readers: ["11111111-2222-3333-4444-555555555555"] })[0], "readers");
        assert.equal(bad({ displayName: "x", vault: { url: "https://kv-platform.vault.azure.net", secretName: "s" }, application: { signInAudience: "PersonalMicrosoftAccount" } })[0], "application.signInAudience");
        assert.equal(bad({ displayName: "x", vault: { url: "http://kv-platform.vault.azure.net", secretName: "s" } })[0], "vault.url");
    });
});
