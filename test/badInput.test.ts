import { strict as assert } from "assert";
import { DateTime } from "luxon";
import { RotatedAppRegistration, RotatedAppRegistrationArgs, RotatingPassword, VaultSecret } from "../components";
import { referenceApps } from "../stackConfig";
import { SimulatedEngine } from "../simulation/engine";

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

describe("bad input fails before anything is created, naming the resource, the field and the fix", () => {
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
        assert.equal(report.errors.length, 1);
        expectMessage(report.errors[0].message, ['RotatedAppRegistration "second"', "vault.secretName", 'RotatedAppRegistration "first" already writes', "own secret name"]);
        assert.equal(report.created.filter((r) => r.name.startsWith("second")).length, 0);
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
});
