import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { DateTime } from "luxon";
import { RotatedAppRegistration, RotatedAppRegistrationArgs, RotatingPassword, VaultSecret } from "../components";
import { referenceApps } from "../examples/reference-stack/stackConfig";
import { SimulatedEngine } from "../simulation/engine";
import { createVaultSecretProvider } from "../components/provider/vaultSecretProvider";

const VAULT = "https://kv-platform.vault.azure.net";
const good: RotatedAppRegistrationArgs = { displayName: "billing-api", vault: { url: VAULT, secretName: "billing-api-client-secret" } };

/** Runs a program that must fail: returns the error, and asserts nothing at all was created. */
async function failure(program: () => unknown): Promise<string> {
    const engine = new SimulatedEngine({ program });
    const report = await engine.run(DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" }));
    assert.equal(report.errors.length, 1, "exactly one error");
    assert.equal(report.created.length, 0, `nothing is created, but got ${report.created.map((r) => r.name).join(", ")}`);
    return report.errors[0].message;
}

function expectMessage(message: string, parts: (string | RegExp)[]) {
    for (const part of parts) {
        if (typeof part === "string") assert.ok(message.includes(part), `message lacks ${JSON.stringify(part)}: ${message}`);
        else assert.match(message, part);
    }
}

const cases: { title: string; args: RotatedAppRegistrationArgs; parts: (string | RegExp)[] }[] = [
    { title: "an invalid ISO-8601 duration", args: { ...good, rotation: { every: "90 days" } }, parts: ['RotatedAppRegistration "billing-api"', "rotation.every", "not an ISO-8601 duration", '"P90D"'] },
    { title: "an invalid validFor duration", args: { ...good, rotation: { validFor: "P1X" } }, parts: ["rotation.validFor", "not an ISO-8601 duration"] },
    { title: "every under one day", args: { ...good, rotation: { every: "PT12H" } }, parts: ["rotation.every", "under one day", '"P1D"'] },
    { title: "every so long that validFor would pass the pack's 365 days", args: { ...good, rotation: { every: "P1Y" } }, parts: ["rotation.every", "365 days the policy pack allows", "P182D"] },
    { title: "validFor too short for the overlap", args: { ...good, rotation: { every: "P90D", validFor: "P120D" } }, parts: ["rotation.validFor", "too short", "P181D"] },
    { title: "validFor too short to keep 14 days in service on a late run", args: { ...good, rotation: { every: "P7D", validFor: "P15D" } }, parts: ["rotation.validFor", "too short", "credential-expiry-near", '"P22D"'] },
    { title: "validFor over the pack's 365 days", args: { ...good, rotation: { every: "P30D", validFor: "P3Y" } }, parts: ["rotation.validFor", "credential-lifetime", '"P365D"'] },
    { title: "a secret name with characters Key Vault refuses", args: { ...good, vault: { url: VAULT, secretName: "billing_api.secret" } }, parts: ["vault.secretName", "^[0-9a-zA-Z-]{1,127}$"] },
    { title: "a secret name over 127 characters", args: { ...good, vault: { url: VAULT, secretName: "a".repeat(128) } }, parts: ["vault.secretName", "1 to 127"] },
    { title: "a vault URL over http", args: { ...good, vault: { url: "http://kv-platform.vault.azure.net", secretName: "s" } }, parts: ["vault.url", "https://<vault-name>.vault.azure.net"] },
    { title: "a vault URL on another host", args: { ...good, vault: { url: "https://kv-platform.example.com", secretName: "s" } }, parts: ["vault.url", "not a Key Vault URL"] },
    { title: "a vault URL with a path", args: { ...good, vault: { url: `${VAULT}/secrets/s`, secretName: "s" } }, parts: ["vault.url", "no path"] },
    { title: "readers without vault.resourceId", args: { ...good, readers: ["11111111-1111-1111-1111-111111111111"] }, parts: ["readers", "vault.resourceId"] },
];

// Issue 9 §4: each probe, as a row: what the user wrote, and the parts the one error must name.
const ARM_ID = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-platform";
const bad = (args: unknown) => args as RotatedAppRegistrationArgs;
const rotatedMatrix: { title: string; args: () => RotatedAppRegistrationArgs; parts: (string | RegExp)[] }[] = [
    { title: "rotation: null", args: () => bad({ ...good, rotation: null }), parts: ['RotatedAppRegistration "billing-api"', "rotation is null, not an object", 'rotation: { every: "P90D" }'] },
    { title: 'rotation: "P30D" (a string, once silently ignored)', args: () => bad({ ...good, rotation: "P30D" }), parts: ["rotation is \"P30D\", not an object", 'rotation: { every: "P30D" }'] },
    { title: "rotation.every a number", args: () => bad({ ...good, rotation: { every: 30 } }), parts: ["rotation.every", "not an ISO-8601 duration string"] },
    { title: "vault missing", args: () => bad({ displayName: "billing-api" }), parts: ["vault is missing", "secretName"] },
    { title: "vault.secretName missing", args: () => bad({ ...good, vault: { url: VAULT } }), parts: ["vault.secretName is missing", "1 to 127"] },
    { title: "vault.secretName null", args: () => bad({ ...good, vault: { url: VAULT, secretName: null } }), parts: ["vault.secretName is null, not a string"] },
    { title: "vault.secretName a number", args: () => bad({ ...good, vault: { url: VAULT, secretName: 42 } }), parts: ["vault.secretName is the number 42, not a string"] },
    { title: "vault.url missing", args: () => bad({ ...good, vault: { secretName: "s" } }), parts: ["vault.url is missing", "https://<vault-name>.vault.azure.net"] },
    { title: 'readers: "abc"', args: () => bad({ ...good, readers: "abc", vault: { ...good.vault, resourceId: ARM_ID } }), parts: ['readers is "abc", not a list', "principal object ids"] },
    { title: "vault.resourceId not an ARM id (checked before the first resource)", args: () => bad({ ...good, readers: ["11111111-1111-1111-1111-111111111111"], vault: { ...good.vault, resourceId: "kv-platform" } }), parts: ['vault.resourceId is "kv-platform", not a vault\'s ARM id', "/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>"] },
    { title: "rotation.every an Output", args: () => bad({ ...good, rotation: { every: pulumi.output("P30D") } }), parts: ["rotation.every is a pulumi Output", "Pass a plain string", "schedule is computed before deployment"] },
    { title: "retainOnDelete not a boolean", args: () => bad({ ...good, retainOnDelete: "yes" }), parts: ['retainOnDelete is "yes", not a boolean', "true or false"] },
    { title: "adopt not a boolean", args: () => bad({ ...good, adopt: 1 }), parts: ["adopt is the number 1, not a boolean"] },
    // Issue 15.6: owners each a GUID, at most 100 (Entra's limit); readers' principal ids GUIDs.
    { title: "owners: a name, not an object id", args: () => bad({ ...good, owners: ["11111111-1111-4111-a111-111111111111", "pipeline-sp"] }), parts: ['owners[1] is "pipeline-sp", not an object id (a GUID)', "Object ID"] },
    { title: "owners: an empty list", args: () => bad({ ...good, owners: [] }), parts: ["owners is an empty list", "remove every owner"] },
    { title: "owners: a string, not a list", args: () => bad({ ...good, owners: "11111111-1111-4111-a111-111111111111" }), parts: ["owners is", "not a list"] },
    { title: "owners: 101 different owners", args: () => bad({ ...good, owners: Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-a000-${String(i).padStart(12, "0")}`) }), parts: ["owners lists 101 different owners", "at most 100"] },
    { title: 'readers: a principal id that is not a GUID ("orders-api")', args: () => bad({ ...good, readers: ["orders-api"], vault: { ...good.vault, resourceId: ARM_ID } }), parts: ['readers[0] is "orders-api", not a principal object id (a GUID)', "{ name, principalId"] },
    { title: "readers: { name, principalId } with a principalId that is not a GUID", args: () => bad({ ...good, readers: [{ name: "orders", principalId: "orders-identity" }], vault: { ...good.vault, resourceId: ARM_ID } }), parts: ['readers[0].principalId is "orders-identity", not a principal object id'] },
];

const direct = { vaultUrl: VAULT, name: "direct-secret", value: "a-value", expiresOn: "2027-01-01T00:00:00Z" };
const manyTags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, "x"]));
const vaultSecretMatrix: { title: string; args: Record<string, unknown>; parts: (string | RegExp)[] }[] = [
    { title: "a vault URL with a path", args: { vaultUrl: `${VAULT}/secrets` }, parts: ["vaultUrl", "has a path", "no path or port"] },
    { title: "a vault URL with a port", args: { vaultUrl: "https://kv-platform.vault.azure.net:8443" }, parts: ["vaultUrl", "port 8443"] },
    { title: "a vault URL on a host that is not Key Vault", args: { vaultUrl: "https://kv-platform.example.com" }, parts: ["vaultUrl", "not a Key Vault host"] },
    { title: "a vault URL over http", args: { vaultUrl: "http://kv-platform.vault.azure.net" }, parts: ["vaultUrl", "not an https URL"] },
    { title: "16 tags (Key Vault allows 15)", args: { tags: manyTags(16) }, parts: ["tags has 16 tags", "Key Vault allows 15", "at most 13"] },
    { title: "14 tags, which keyrelay's own two would push past 15", args: { tags: manyTags(14) }, parts: ["tags has 14 tags", "keyrelay adds 2"] },
    { title: "notBefore after expiresOn", args: { notBefore: "2027-02-01T00:00:00Z" }, parts: ["notBefore", "after expiresOn"] },
    { title: "an expiry in the past", args: { expiresOn: "2026-01-01T00:00:00Z" }, parts: ["expiresOn", "in the past"] },
    { title: "an empty value", args: { value: "" }, parts: ["value is empty"] },
    { title: "retainOnDelete not a boolean", args: { retainOnDelete: "false" }, parts: ['retainOnDelete is "false", not a boolean'] },
    { title: "2027-02-30 (Date.parse accepts it)", args: { expiresOn: "2027-02-30T00:00:00Z" }, parts: ["expiresOn", "not an RFC 3339 date-time"] },
    { title: '"January 1, 2027" (Date.parse accepts it)', args: { expiresOn: "January 1, 2027" }, parts: ["expiresOn", "not an RFC 3339 date-time"] },
    { title: "a date without a time", args: { expiresOn: "2027-01-01" }, parts: ["expiresOn", "not an RFC 3339 date-time", "full date, time and offset"] },
    { title: "a time without an offset", args: { notBefore: "2026-12-01T00:00:00" }, parts: ["notBefore", "not an RFC 3339 date-time"] },
    { title: "a secret name Key Vault refuses", args: { name: "a b" }, parts: ["name", "^[0-9a-zA-Z-]{1,127}$"] },
];

describe("bad input fails before anything is created, naming the resource, the field and the fix", () => {
    describe("RotatedAppRegistration: the issue-9 probe matrix", () => {
        for (const { title, args, parts } of rotatedMatrix) {
            it(title, async () => {
                expectMessage(await failure(() => new RotatedAppRegistration("billing-api", args())), ['RotatedAppRegistration "billing-api"', ...parts]);
            });
        }
    });

    describe("VaultSecret: the issue-9 probe matrix", () => {
        for (const { title, args, parts } of vaultSecretMatrix) {
            it(title, async () => {
                expectMessage(await failure(() => new VaultSecret("kv", { ...direct, ...args } as never)), ['VaultSecret "kv"', ...parts]);
            });
        }

        it("control: a loopback vault with a port, 13 tags and RFC 3339 times with offsets are accepted", async () => {
            const engine = new SimulatedEngine({
                program: () => new VaultSecret("kv", { ...direct, vaultUrl: "https://127.0.0.1:8443", tags: manyTags(13), notBefore: "2026-11-26T01:00:00+01:00", expiresOn: "2027-01-01T00:00:00.123Z" }),
            });
            const report = await engine.run(DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" }));
            assert.deepEqual(report.errors, []);
        });

        it("the same vault spelled another way is stored once, canonically (no replacement later)", async () => {
            const spellings = [VAULT, "https://KV-PLATFORM.vault.azure.net/", "https://kv-platform.vault.azure.net:443"];
            let run = 0;
            const engine: SimulatedEngine = new SimulatedEngine({ program: () => new VaultSecret("kv", { ...direct, vaultUrl: spellings[run] }) });
            for (let i = 0; i < spellings.length; i++, run++) {
                const report = await engine.run(DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" }).plus({ days: i }));
                assert.deepEqual(report.errors, []);
                if (i > 0) {
                    assert.deepEqual(report.replaced, [], spellings[i]);
                    assert.deepEqual(report.vaultWrites, [], spellings[i]);
                }
            }
        });
    });

    it("RotatedAppRegistration passes retainOnDelete and adopt to its VaultSecret, which carries the writer stack", async () => {
        const engine = new SimulatedEngine({ program: () => new RotatedAppRegistration("kept", { ...good, vault: { url: VAULT, secretName: "kept" }, retainOnDelete: true, adopt: true }) });
        const report = await engine.run(DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" }));
        assert.deepEqual(report.errors, []);
        const secret = report.created.find((r) => r.type === "pulumi-nodejs:dynamic/keyrelay:VaultSecret")!;
        assert.equal(secret.inputs.retainOnDelete, true);
        assert.equal(secret.inputs.adopt, true);
        assert.match(secret.inputs.writer, /^\/keyrelay\/example#[0-9a-f]{8}$/, "<organization>/<project>/<stack>#<resource>; the mock runtime sets no organization");
    });

    describe("one writer per secret in a program", () => {
        const writers: { title: string; program: () => void; parts: string[] }[] = [
            {
                title: "two direct VaultSecrets",
                program: () => {
                    new VaultSecret("one", { ...direct, name: "shared" });
                    new VaultSecret("two", { ...direct, name: "SHARED", vaultUrl: `${VAULT}/` });
                },
                parts: ['VaultSecret "two"', 'VaultSecret "one" already writes'],
            },
            {
                title: "a RotatedAppRegistration, then a direct VaultSecret",
                program: () => {
                    new RotatedAppRegistration("app", { ...good, vault: { url: VAULT, secretName: "shared" } });
                    new VaultSecret("direct", { ...direct, name: "shared" });
                },
                parts: ['VaultSecret "direct"', 'RotatedAppRegistration "app" already writes'],
            },
            {
                title: "a direct VaultSecret, then a RotatedAppRegistration",
                program: () => {
                    new VaultSecret("direct", { ...direct, name: "shared" });
                    new RotatedAppRegistration("app", { ...good, vault: { url: VAULT, secretName: "shared" } });
                },
                parts: ['RotatedAppRegistration "app"', 'VaultSecret "direct" already writes'],
            },
        ];
        for (const { title, program, parts } of writers) {
            it(title, async () => {
                const engine = new SimulatedEngine({ program });
                const report = await engine.run(DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" }));
                assert.ok(report.errors.length >= 1);
                expectMessage(report.errors[0].message, parts);
                assert.ok(report.errors.every((e) => e.message === report.errors[0].message), "every error is the one collision");
                assert.deepEqual(report.vaultWrites, [], "no secret was written");
                assert.deepEqual(report.created.filter((r) => r.custom).map((r) => r.name), [], "no Entra app, password or secret was created");
            });
        }
    });

    for (const { title, args, parts } of cases) {
        it(title, async () => {
            expectMessage(await failure(() => new RotatedAppRegistration("billing-api", args)), parts);
        });
    }

    it("two components writing the same secret in the same vault (names are case-insensitive)", async () => {
        const engine = new SimulatedEngine({
            program: () => {
                new RotatedAppRegistration("first", { ...good, vault: { url: VAULT, secretName: "shared-secret" } });
                new RotatedAppRegistration("second", { ...good, vault: { url: `${VAULT}/`, secretName: "Shared-Secret" } });
            },
        });
        const report = await engine.run(DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" }));
        assert.ok(report.errors.length >= 1);
        expectMessage(report.errors[0].message, ['RotatedAppRegistration "second"', "vault.secretName", 'RotatedAppRegistration "first" already writes', "own secret name"]);
        assert.deepEqual(report.created.filter((r) => r.custom).map((r) => r.name), [], "neither app was created");
        assert.deepEqual(report.vaultWrites, []);
    });

    it("the same secret name in two different vaults is fine", async () => {
        const engine = new SimulatedEngine({
            program: () => {
                new RotatedAppRegistration("first", { ...good, vault: { url: VAULT, secretName: "s" } });
                new RotatedAppRegistration("second", { ...good, vault: { url: "https://kv-other.vault.azure.net", secretName: "s" } });
            },
        });
        const report = await engine.run(DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" }));
        assert.deepEqual(report.errors, []);
    });

    it("accepts sovereign-cloud vault hosts", async () => {
        for (const host of ["vault.azure.cn", "vault.usgovcloudapi.net"]) {
            const engine = new SimulatedEngine({ program: () => new RotatedAppRegistration("app", { ...good, vault: { url: `https://kv-sov.${host}`, secretName: "s" } }) });
            const report = await engine.run(DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" }));
            assert.deepEqual(report.errors, [], host);
        }
    });

    it("refuses the retired Microsoft Cloud Germany vault host", async () => {
        expectMessage(await failure(() => new RotatedAppRegistration("app", { ...good, vault: { url: "https://kv-sov.vault.microsoftazure.de", secretName: "s" } })),
            ["vault.url", "not a Key Vault URL"]);
    });

    it("RotatingPassword names itself and the field too", async () => {
        expectMessage(await failure(() => new RotatingPassword("pw", { applicationId: "/applications/x", rotation: { every: "P0D" } })),
            ['RotatingPassword "pw"', "rotation.every"]);
    });

    it("VaultSecret checks its known inputs: vault URL, name, dates", async () => {
        const args = { vaultUrl: VAULT, name: "s", value: "v", expiresOn: "2027-01-01T00:00:00Z" };
        expectMessage(await failure(() => new VaultSecret("kv", { ...args, vaultUrl: "http://kv.vault.azure.net" })), ['VaultSecret "kv"', "vaultUrl", "https"]);
        expectMessage(await failure(() => new VaultSecret("kv", { ...args, name: "a b" })), ['VaultSecret "kv"', "name", "^[0-9a-zA-Z-]{1,127}$"]);
        expectMessage(await failure(() => new VaultSecret("kv", { ...args, expiresOn: "next year" })), ['VaultSecret "kv"', "expiresOn", "RFC 3339"]);
        expectMessage(await failure(() => new VaultSecret("kv", { ...args, notBefore: "soon" })), ['VaultSecret "kv"', "notBefore", "RFC 3339"]);
    });

    it("the reference stack's config is checked entry by entry", () => {
        assert.throws(() => referenceApps([], VAULT), /keyrelay:apps must be a non-empty list/);
        assert.throws(() => referenceApps([{ displayName: "x" }], VAULT), /keyrelay:apps\[0\]: name is missing/);
        assert.throws(() => referenceApps([{ name: "x" }], undefined), /keyrelay:apps\[0\]: vaultUrl is missing.*Set keyrelay:vaultUrl/);
        assert.throws(() => referenceApps([{ name: "x", every: 90 }], VAULT), /keyrelay:apps\[0\]: every is 90, not a string/);
        assert.deepEqual(referenceApps([{ name: "x" }], VAULT)[0].vault, { url: VAULT, secretName: "x-client-secret", resourceId: undefined });
    });

    describe("VaultSecret inputs that were Outputs at declaration fail in the provider's check(), before any write (preview)", () => {
        const provider = createVaultSecretProvider({ clientFor: () => { throw new Error("check() must not reach a vault"); } });
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const rows: { title: string; news: Record<string, unknown>; failures: string[] }[] = [
            { title: "all good", news: { ...direct, expiresOn: "2099-01-01T00:00:00Z" }, failures: [] },
            { title: "an expiry in the past", news: { ...direct, expiresOn: "2001-01-01T00:00:00Z" }, failures: ["expiresOn"] },
            { title: "a bad name", news: { ...direct, expiresOn: "2099-01-01T00:00:00Z", name: "a b" }, failures: ["name"] },
            { title: "a vault URL with a path", news: { ...direct, expiresOn: "2099-01-01T00:00:00Z", vaultUrl: `${VAULT}/x` }, failures: ["vaultUrl"] },
            { title: "Date.parse-only times", news: { ...direct, expiresOn: "January 1, 2027", notBefore: "2027-02-30T00:00:00Z" }, failures: ["expiresOn", "notBefore"] },
            { title: "an empty value and 16 tags", news: { ...direct, expiresOn: "2099-01-01T00:00:00Z", value: "", tags: manyTags(16) }, failures: ["value", "tags"] },
            { title: "values not known yet are left for the next check", news: { ...direct, name: unknown, value: unknown, expiresOn: unknown }, failures: [] },
        ];
        for (const { title, news, failures } of rows) {
            it(title, async () => {
                const checked = await provider.check({}, news as never);
                assert.deepEqual((checked.failures ?? []).map((f) => f.property), failures);
                for (const f of checked.failures ?? []) assert.match(f.reason, new RegExp(`^keyrelay: VaultSecret.*: ${f.property} .*\\. `));
            });
        }
    });
});

