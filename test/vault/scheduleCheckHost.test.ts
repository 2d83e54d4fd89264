// The undeclared-schedule check (issue 15 §7) and the second-writer check (§4) as `pulumi preview`
// runs them: the serialized VaultSecret provider in @pulumi/pulumi's own dynamic provider host, a
// fresh process, called over gRPC with Check(olds, news) as the step generator calls it.
import { strict as assert } from "assert";
import { DateTime } from "luxon";
import { ProviderHost, serializedVaultSecretProvider, startProviderHost } from "./providerHost";

const URN = "urn:pulumi:test::keyrelay::keyrelay:index:RotatedAppRegistration$pulumi-nodejs:dynamic/keyrelay:VaultSecret::billing-api-secret";
const OTHER_URN = "urn:pulumi:test::keyrelay::pulumi-nodejs:dynamic/keyrelay:VaultSecret::extra";

describe("check() in the engine's dynamic provider host: schedule and second writer", function () {
    this.timeout(60_000);
    let host: ProviderHost;
    let providerText: string;

    before(async () => {
        providerText = await serializedVaultSecretProvider();
        host = await startProviderHost({ env: { ...process.env } });
    });
    after(async () => host?.close());

    const inputs = (schedule: string, writer = "acme/keyrelay/prod#0a1b2c3d") => ({
        __provider: providerText, vaultUrl: "https://kv-platform.vault.azure.net", name: "billing-api-client-secret", value: "placeholder-not-a-secret",
        expiresOn: "2030-03-01T00:00:00Z", tags: { app: "billing-api" }, writer, schedule,
    });

    it("an undeclared change of every fails Check with the rotation block to paste; a declared one and a first deploy pass", async () => {
        const before = DateTime.utc().plus({ days: 1 }).toISODate();
        const { failures } = await host.check(URN, inputs("P90D/P181D"), inputs("P60D/P121D"));
        const after = DateTime.utc().plus({ days: 1 }).toISODate();
        assert.deepEqual(failures.map((f) => f.property), ["schedule"]);
        const block = (day: string | null) => `rotation: { every: "P60D", validFor: "P121D", since: "${day}", previous: { every: "P90D", validFor: "P181D" } }`;
        assert.ok(failures[0].reason.includes(block(before)) || failures[0].reason.includes(block(after)), failures[0].reason);

        const declared = inputs(`P60D/P121D@${after}<P90D/P181D`);
        assert.deepEqual((await host.check(URN, inputs("P90D/P181D"), declared)).failures, []);
        assert.deepEqual((await host.check(URN, {}, inputs("P60D/P121D"))).failures, [], "first deploy: no olds");
    });

    it("a second resource writing the same secret fails Check in the same host", async () => {
        const { failures } = await host.check(OTHER_URN, {}, inputs("P90D/P181D", "acme/keyrelay/prod#4e5f6071"));
        assert.deepEqual(failures.map((f) => f.property), ["name"]);
        assert.match(failures[0].reason, /another resource of this deployment \("acme\/keyrelay\/prod#0a1b2c3d"\) also writes/);
    });
});
