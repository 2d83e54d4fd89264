// One writer per secret at declaration (issue 15 §4): a VaultSecret declared with
// `{ parent: component }` is claimed like any other writer, each VaultSecret's writer names its
// resource (so the provider can tell two of one stack apart when the program could not compare
// them), and a tag value over Key Vault's 256 characters is refused before anything is created.
import { strict as assert } from "assert";
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { DateTime } from "luxon";
import { RotatedAppRegistration, VaultSecret } from "../components";
import { SimulatedEngine } from "../simulation/engine";
import { createVaultSecretProvider } from "../components/provider/vaultSecretProvider";

const VAULT = "https://kv-platform.vault.azure.net";
const AT = DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" });
const app = { displayName: "billing-api", vault: { url: VAULT, secretName: "billing-api-client-secret" } };
const direct = { vaultUrl: VAULT, value: "a-value", expiresOn: "2027-01-01T00:00:00Z" };
const VAULT_SECRET = "pulumi-nodejs:dynamic/keyrelay:VaultSecret";

describe("one writer per secret at declaration", () => {
    it("a VaultSecret given { parent: component } that writes the component's secret is refused, and nothing is created", async () => {
        const engine = new SimulatedEngine({
            program: () => {
                const component = new RotatedAppRegistration("billing-api", app);
                new VaultSecret("sneaky", { ...direct, name: "Billing-Api-Client-Secret" }, { parent: component });
            },
        });
        const report = await engine.run(AT);
        assert.ok(report.errors.length >= 1);
        const message = report.errors[0].message;
        assert.ok(message.includes('VaultSecret "sneaky"'), message);
        assert.ok(message.includes('RotatedAppRegistration "billing-api" already writes'), message);
        assert.deepEqual(report.vaultWrites, [], "no secret was written");
        assert.deepEqual(report.created.filter((r) => r.custom).map((r) => r.name), [], "no app, password or secret was created");
    });

    it("control: the component's own VaultSecret, and a child VaultSecret of another secret, are fine", async () => {
        const engine = new SimulatedEngine({
            program: () => {
                const component = new RotatedAppRegistration("billing-api", app);
                new VaultSecret("extra", { ...direct, name: "billing-api-extra" }, { parent: component });
            },
        });
        const report = await engine.run(AT);
        assert.deepEqual(report.errors, []);
        assert.deepEqual(report.vaultWrites.map((w) => w.name).sort(), ["billing-api-client-secret", "billing-api-extra"]);
    });

    it("each VaultSecret's writer names its stack and resource (8 hex digits of its URN's SHA-256), so check() refuses a second writer spelled as an Output", async () => {
        const engine = new SimulatedEngine({
            program: () => {
                // A secret name of this test alone: the provider's claims live as long as its process.
                const component = new RotatedAppRegistration("billing-api", { ...app, vault: { url: VAULT, secretName: "declared-as-outputs" } });
                new VaultSecret("outputs", { ...direct, vaultUrl: pulumi.output(VAULT), name: pulumi.output("declared-as-outputs") }, { parent: component });
            },
        });
        const report = await engine.run(AT);
        assert.deepEqual(report.errors, [], "the program cannot compare Outputs: the provider must");
        const secrets = report.created.filter((r) => r.type === VAULT_SECRET);
        assert.equal(secrets.length, 2);
        for (const s of secrets) {
            assert.equal(s.inputs.writer, `/keyrelay/example#${createHash("sha256").update(s.urn).digest("hex").slice(0, 8)}`, `${s.urn}: the writer is derived from the URN the engine gives it`);
        }
        assert.notEqual(secrets[0].inputs.writer, secrets[1].inputs.writer);
        // The engine checks every resource before any step; the same provider host serves both.
        const provider = createVaultSecretProvider();
        const [first, second] = secrets.map((s) => ({ ...s.inputs, vaultUrl: VAULT }));
        assert.deepEqual((await provider.check({}, first as never)).failures, []);
        const { failures } = await provider.check({}, second as never);
        assert.deepEqual(failures.map((f) => f.property), ["name"]);
        assert.match(failures[0].reason, /another resource of this deployment/);
    });

    it("a tag value over 256 characters is refused at declaration, naming the tag", async () => {
        const engine = new SimulatedEngine({ program: () => new VaultSecret("tagged", { ...direct, name: "tagged", tags: { owner: "team", note: "x".repeat(257) } }) });
        const report = await engine.run(AT);
        assert.equal(report.errors.length, 1);
        const message = report.errors[0].message;
        assert.ok(message.includes('VaultSecret "tagged"') && message.includes("tags.note") && message.includes("256"), message);
        assert.deepEqual(report.created.filter((r) => r.custom), []);
        const fits = new SimulatedEngine({ program: () => new VaultSecret("tagged", { ...direct, name: "tagged", tags: { note: "x".repeat(256) } }) });
        assert.deepEqual((await fits.run(AT)).errors, []);
    });
});
