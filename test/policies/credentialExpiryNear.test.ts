import * as assert from "assert";
import { credentialExpiryNear } from "../../policies/credentialExpiryNear";
import { byName, FIXTURE_NOW, KEY_ID_A, keyrelayStack, plainResource, UNKNOWN, UNKNOWN_OBJECT, VALUE_B } from "./fixtures";
import { inUseAlert } from "../../components/inUseAlert";
import type { RetirementDecision } from "../../components/retirementGate";
import { FixtureResource, mutated, pinClock, runResourcePolicy } from "./policyHarness";

async function violations(resource: FixtureResource, config = {}) {
    return (await runResourcePolicy(credentialExpiryNear, resource, config)).map((v) => v.message);
}

describe("policy credential-expiry-near", () => {
    let restoreClock: () => void;
    beforeEach(() => { restoreClock = pinClock(FIXTURE_NOW); });
    afterEach(() => restoreClock());

    it("passes every resource keyrelay declares", async () => {
        for (const resource of keyrelayStack()) assert.deepStrictEqual(await violations(resource), [], resource.name);
    });

    it("flags an in-service password ending within 14 days, naming resource, date, days left and the fix", async () => {
        const password = mutated(byName(keyrelayStack(), "billing-api-password-b"), (p) => { p.inputs.endDate = "2027-01-23T02:00:00Z"; });
        const [message, ...rest] = await violations(password);
        assert.strictEqual(rest.length, 0);
        assert.match(message, /^ApplicationPassword "billing-api-password-b" expires on 2027-01-23T02:00:00Z \(endDate\), 10 days from now, less than the 14 days required\./);
        assert.match(message, /Run the scheduled rotation \(`pulumi up`\)/);
        assert.match(message, /shorten the rotation `every`/);
    });

    it("flags an expired credential with how long ago it ended", async () => {
        const password = mutated(byName(keyrelayStack(), "billing-api-password-b"), (p) => { p.inputs.endDate = "2027-01-10T14:00:00Z"; });
        assert.match((await violations(password))[0], /expired on 2027-01-10T14:00:00Z \(endDate\), 2\.5 days ago\./);
    });

    it("exempts the retiring keyrelay credential even days before its end", async () => {
        const restore = pinClock("2027-03-04T02:00:00Z"); // slot a ends 2027-04-27: 6.9 days left
        try {
            assert.deepStrictEqual(await violations(byName(keyrelayStack(), "billing-api-password-a")), []);
        } finally { restore(); }
    });

    it("passes the whole stack on the first day of a period, when the oldest credential is one day from its end", async () => {
        const firstDay = "2027-03-10T02:00:00Z";
        const restore = pinClock(firstDay);
        try {
            const stack = keyrelayStack(firstDay);
            assert.deepStrictEqual(stack.filter((r) => r.type.endsWith("ApplicationPassword")).map((r) => r.name), ["billing-api-password-a", "billing-api-password-b", "billing-api-password-c"]);
            for (const resource of stack) assert.deepStrictEqual(await violations(resource), [], resource.name);
        } finally { restore(); }
    });

    it("does not exempt a keyrelay credential still in service", async () => {
        const password = mutated(byName(keyrelayStack(), "billing-api-password-b"), (p) => { p.inputs.endDate = "2027-01-17T00:00:00Z"; });
        assert.strictEqual((await violations(password)).length, 1);
    });

    it("does not exempt a serves-until marker on a password outside keyrelay's RotatingPassword", async () => {
        const forged = plainResource("azuread:index/applicationPassword:ApplicationPassword", "forged", {
            endDate: "2027-01-17T00:00:00Z", rotateWhenChanged: { "keyrelay-serves-until": "2026-11-15T00:00:00Z" },
        });
        assert.match((await violations(forged))[0], /^ApplicationPassword "forged" expires on 2027-01-17T00:00:00Z/);
    });

    it("checks service principal passwords and both certificate types by endDate", async () => {
        for (const type of ["ServicePrincipalPassword", "ApplicationCertificate", "ServicePrincipalCertificate"]) {
            const token = `azuread:index/${type[0].toLowerCase()}${type.slice(1)}:${type}`;
            const [message] = await violations(plainResource(token, "cred", { endDate: "2027-01-14T02:00:00Z" }));
            assert.match(message, new RegExp(`^${type} "cred" expires on 2027-01-14T02:00:00Z \\(endDate\\), 1 day from now`));
        }
    });

    it("flags a keyrelay VaultSecret by expiresOn", async () => {
        const secret = mutated(byName(keyrelayStack(), "billing-api-secret"), (s) => { s.inputs.expiresOn = "2027-01-20T02:00:00Z"; });
        assert.match((await violations(secret))[0], /^keyrelay VaultSecret "billing-api-secret" expires on 2027-01-20T02:00:00Z \(expiresOn\), 7 days from now/);
    });

    it("flags an azure-native Key Vault secret by properties.attributes.expires (Unix seconds), any API version", async () => {
        const expires = Date.parse("2027-01-16T02:00:00Z") / 1000;
        for (const type of ["azure-native:keyvault:Secret", "azure-native:keyvault/v20230701:Secret"]) {
            const [message] = await violations(plainResource(type, "kv-secret", { properties: { value: "x", attributes: { expires } } }));
            assert.match(message, /^Key Vault Secret "kv-secret" expires on 2027-01-16T02:00:00Z \(properties\.attributes\.expires\), 3 days from now/);
        }
        const farAway = Date.parse("2027-04-15T00:00:00Z") / 1000;
        assert.deepStrictEqual(await violations(plainResource("azure-native:keyvault:Secret", "ok", { properties: { attributes: { expires: farAway } } })), []);
    });

    it("reads minDaysRemaining from config, defaulting to 14", async () => {
        const in20Days = mutated(byName(keyrelayStack(), "billing-api-password-b"), (p) => { p.inputs.endDate = "2027-02-02T02:00:00Z"; });
        assert.deepStrictEqual(await violations(in20Days), []);
        assert.match((await violations(in20Days, { minDaysRemaining: 30 }))[0], /20 days from now, less than the 30 days required/);
        const in10Days = mutated(in20Days, (p) => { p.inputs.endDate = "2027-01-23T02:00:00Z"; });
        assert.deepStrictEqual(await violations(in10Days, { minDaysRemaining: 7 }), []);
    });

    it("rejects a bad minDaysRemaining with the policy, the key and the fix", async () => {
        await assert.rejects(violations(byName(keyrelayStack(), "billing-api-password-b"), { minDaysRemaining: -1 }),
            /policy "credential-expiry-near": minDaysRemaining is -1, not a whole number >= 0\. Set it in the policy pack config/);
    });

    it("never flags a value not known yet, and never trips the SDK's unknown proxy", async () => {
        assert.deepStrictEqual(await violations(plainResource("azuread:index/applicationPassword:ApplicationPassword", "p", { endDate: UNKNOWN })), []);
        assert.deepStrictEqual(await violations(plainResource("azure-native:keyvault:Secret", "s", { properties: UNKNOWN_OBJECT })), []);
    });

    describe("the in-use alert (<secretName>-in-use) is an alert, not a credential", () => {
        const END = "2027-01-23T00:00:00Z"; // 9.9 days after FIXTURE_NOW
        const decision: RetirementDecision = {
            slot: "a", keep: true, answer: "in-use", keyIds: [KEY_ID_A], endDate: END, lastSignIn: "2027-01-12T05:00:00Z",
            consumer: "203.0.113.9 for Azure Storage", message: "kept",
        };
        /** What RotatedAppRegistration declares for the kept credential, built by the component's own code. */
        function companion(): FixtureResource {
            const alert = inUseAlert("billing-api", "billing-api-client-secret", [decision])!;
            return mutated(byName(keyrelayStack(), "billing-api-secret"), (s) => {
                s.name = "billing-api-in-use";
                s.urn = s.urn.replace(/::billing-api-secret$/, "::billing-api-in-use");
                const inputs = { vaultUrl: s.inputs.vaultUrl, name: alert.name, value: alert.value, expiresOn: alert.expiresOn, contentType: "application/json", tags: alert.tags, writer: s.inputs.writer, proof: false };
                s.inputs = inputs;
                s.outputs = { ...inputs, secretUri: `${inputs.vaultUrl}/secrets/${alert.name}` };
            });
        }
        const change = (edit: (props: Record<string, any>) => void) => mutated(companion(), (s) => { edit(s.inputs); edit(s.outputs); });

        it("passes the companion 10 days before its end", async () => {
            assert.deepStrictEqual(await violations(companion()), []);
        });

        it("flags the same secret without the keyrelay-alert tag (the exemption is what passes it)", async () => {
            const untagged = change((p) => { delete p.tags["keyrelay-alert"]; });
            assert.match((await violations(untagged))[0], /^keyrelay VaultSecret "billing-api-in-use" expires on 2027-01-23T00:00:00Z \(expiresOn\), 9\.9 days from now/);
        });

        it("does not exempt a forged marker on a real credential: the value is a client secret, not the note", async () => {
            const forged = mutated(byName(keyrelayStack(), "billing-api-secret"), (s) => {
                for (const p of [s.inputs, s.outputs] as Record<string, any>[]) {
                    p.name = "billing-api-client-secret-in-use";
                    p.expiresOn = END;
                    p.tags = { ...p.tags, "keyrelay-alert": "retiring-in-use" };
                }
            });
            assert.strictEqual(forged.inputs.value, VALUE_B);
            assert.match((await violations(forged))[0], /^keyrelay VaultSecret "billing-api-secret" expires on 2027-01-23T00:00:00Z/);
        });

        for (const [label, edit] of [
            ["a note with a client secret in one of its fields", (p: Record<string, any>) => { p.value = JSON.stringify({ ...JSON.parse(p.value), action: `use ${VALUE_B}` }); }],
            ["a note with a field of its own", (p: Record<string, any>) => { p.value = JSON.stringify({ ...JSON.parse(p.value), secret: "hunter2" }); }],
            ["a note whose end is not the version's expiry", (p: Record<string, any>) => { p.expiresOn = "2027-01-20T00:00:00Z"; }],
            ["a name without the -in-use suffix", (p: Record<string, any>) => { p.name = "billing-api-client-secret"; }],
            ["a JSON value that is not the note", (p: Record<string, any>) => { p.value = JSON.stringify({ clientSecret: VALUE_B }); }],
        ] as const) {
            it(`does not exempt ${label}`, async () => {
                assert.strictEqual((await violations(change(edit))).length, 1);
            });
        }
    });

    it("ignores resources that hold no credential", async () => {
        assert.deepStrictEqual(await violations(plainResource("azure-native:web:WebApp", "site", { endDate: "2000-01-01T00:00:00Z" })), []);
    });
});
