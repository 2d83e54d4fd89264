// The pack as `pulumi preview --policy-pack policies` runs it: its own process, the analyzer protocol.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { DateTime } from "luxon";
import { declareReferenceStack } from "../../examples/reference-stack/referenceStack";
import { SimulatedEngine, stackConfigFromFile } from "../../simulation/engine";
import { byName, keyrelayStack, UNKNOWN, UNKNOWN_NUMBER, VALUE_B } from "./fixtures";
import type { FixtureResource } from "./policyHarness";
import {
    analyzeRequest, analyzeStackRequest, configureRequest, diagnostics, emptyRequest, ENFORCEMENT, RunningPack,
    startPolicyPack, unary, WireResource, wireSecret,
} from "./analyzerProcess";

const ROOT = path.resolve(__dirname, "../..");
const PACK_DIR = path.join(ROOT, "policies");
const POLICY_NAMES = ["credential-expiry-near", "credential-lifetime", "guid-shaped-secret", "password-stored-in-keyvault", "prefer-federated", "secret-id-not-value", "secret-value-hygiene"];
/** The one advisory policy: a GUID that may be right where it is. */
const ADVISORY = ["guid-shaped-secret", "prefer-federated"];
const SECRET_INPUTS: Record<string, string[]> = { "pulumi-nodejs:dynamic/keyrelay:VaultSecret": ["value"] };
const SECRET_OUTPUTS: Record<string, string[]> = { ...SECRET_INPUTS, "azuread:index/applicationPassword:ApplicationPassword": ["value"] };

/** As the engine marshals a resource: secret properties in wire encoding, internal keys (`__provider`) left out. */
function wire(resource: FixtureResource, stage: "inputs" | "outputs"): WireResource {
    const properties: Record<string, unknown> = Object.fromEntries(Object.entries(structuredClone(resource[stage])).filter(([key]) => !key.startsWith("__")));
    for (const key of (stage === "inputs" ? SECRET_INPUTS : SECRET_OUTPUTS)[resource.type] ?? []) {
        if (key in properties) properties[key] = wireSecret(properties[key]);
    }
    return { type: resource.type, name: resource.name, urn: resource.urn, parent: resource.parent, properties, propertyDependencies: resource.propertyDependencies };
}

/** The keyrelay stack as the component declares it right now (the pack reads the real clock). */
function stackNow(): FixtureResource[] {
    return keyrelayStack(DateTime.utc().toISO()!);
}

function inDays(days: number): string {
    return DateTime.utc().plus({ days }).toISO({ suppressMilliseconds: true })!;
}

describe("policy pack over the analyzer protocol (run-policy-pack, as the CLI starts it)", function () {
    this.timeout(120000);
    let pack: RunningPack;

    before(async () => { pack = await startPolicyPack(PACK_DIR); });
    after(async () => { await pack?.stop(); });
    afterEach(async () => { await unary(pack.client, "configure", configureRequest({})); });

    async function analyze(resource: WireResource) {
        return diagnostics(await unary(pack.client, "analyze", analyzeRequest(resource)));
    }
    async function analyzeStack(resources: WireResource[]) {
        return diagnostics(await unary(pack.client, "analyzeStack", analyzeStackRequest(resources)));
    }

    it("GetAnalyzerInfo: the pack's name, version, five mandatory policies, two advisory, and their config schemas", async () => {
        const info: any = await unary(pack.client, "getAnalyzerInfo", emptyRequest());
        assert.strictEqual(info.getName(), "keyrelay-credentials");
        assert.strictEqual(info.getVersion(), JSON.parse(fs.readFileSync(path.join(PACK_DIR, "package.json"), "utf8")).version);
        assert.ok(info.getSupportsconfig());
        const policies = info.getPoliciesList();
        assert.deepStrictEqual(policies.map((p: any) => p.getName()).sort(), POLICY_NAMES);
        for (const policy of policies) {
            assert.strictEqual(policy.getEnforcementlevel(), ADVISORY.includes(policy.getName()) ? ENFORCEMENT.advisory : ENFORCEMENT.mandatory, policy.getName());
        }
        const schema = (name: string) => policies.find((p: any) => p.getName() === name).getConfigschema()?.getProperties()?.toJavaScript();
        assert.deepStrictEqual(schema("credential-expiry-near"), { minDaysRemaining: { type: "integer", minimum: 0, default: 14, description: "A credential or Key Vault secret must have at least this many days left." } });
        assert.deepStrictEqual(Object.keys(schema("credential-lifetime")), ["maxLifetimeDays", "tenantMaxLifetime"]);
        assert.strictEqual(schema("credential-lifetime").tenantMaxLifetime.type, "string");
        assert.strictEqual(schema("credential-lifetime").maxLifetimeDays.default, 365);
    });

    it("Analyze and AnalyzeStack: the keyrelay stack, secrets in wire encoding, gives no diagnostics", async () => {
        const stack = stackNow();
        for (const resource of stack) assert.deepStrictEqual(await analyze(wire(resource, "inputs")), [], resource.name);
        assert.deepStrictEqual(await analyzeStack(stack.map((r) => wire(r, "outputs"))), []);
    });

    it("Analyze: values not known yet (preview) give no diagnostic at all, not even an advisory", async () => {
        const stack = stackNow();
        const secret = wire(byName(stack, "billing-api-secret"), "inputs");
        secret.properties.value = wireSecret(UNKNOWN);
        secret.properties.expiresOn = UNKNOWN;
        const password = wire(stack.find((r) => r.type.endsWith("ApplicationPassword"))!, "inputs");
        password.properties.endDate = UNKNOWN;
        const site: WireResource = {
            type: "azure-native:web:WebApp", name: "site", urn: "urn:pulumi:example::keyrelay::azure-native:web:WebApp::site",
            properties: { siteConfig: { appSettings: [{ name: "AZURE_CLIENT_SECRET", value: wireSecret(UNKNOWN) }] } },
        };
        const native: WireResource = {
            type: "azure-native:keyvault:Secret", name: "kv", urn: "urn:pulumi:example::keyrelay::azure-native:keyvault:Secret::kv",
            properties: { properties: { value: wireSecret(UNKNOWN), attributes: { expires: UNKNOWN_NUMBER } } },
        };
        for (const resource of [secret, password, site, native]) assert.deepStrictEqual(await analyze(resource), [], resource.name);
        const outputs = stack.map((r) => wire(r, "outputs"));
        for (const r of outputs) if (r.type.endsWith("ApplicationPassword")) { r.properties.keyId = UNKNOWN; r.properties.value = wireSecret(UNKNOWN); }
        assert.deepStrictEqual(await analyzeStack(outputs), []);
    });

    it("Analyze: a Secret ID in a VaultSecret's secret value is a mandatory secret-id-not-value violation", async () => {
        const stack = stackNow();
        const keyId = String(stack.find((r) => r.name.startsWith("billing-api-password-"))!.outputs.keyId);
        const secret = wire(byName(stack, "billing-api-secret"), "inputs");
        secret.properties.value = wireSecret(keyId);
        const found = await analyze(secret);
        assert.deepStrictEqual(found.map((d) => [d.policyName, d.enforcementLevel]), [["secret-id-not-value", ENFORCEMENT.mandatory]]);
        assert.match(found[0].message, /keyrelay VaultSecret "billing-api-secret" has a GUID .* AADSTS7000215/);
    });

    it("Analyze: a Secret ID percent-encoded in a VaultSecret, and one behind a Container App secretRef, are mandatory violations", async () => {
        const stack = stackNow();
        const keyId = String(stack.find((r) => r.name.startsWith("billing-api-password-"))!.outputs.keyId);
        const secret = wire(byName(stack, "billing-api-secret"), "inputs");
        assert.deepStrictEqual(await analyze(secret), []);
        secret.properties.value = wireSecret(keyId.replace(/-/g, "%2D"));
        const encoded = await analyze(secret);
        assert.deepStrictEqual(encoded.map((d) => [d.policyName, d.enforcementLevel]), [["secret-id-not-value", ENFORCEMENT.mandatory]]);
        assert.match(encoded[0].message, /keyrelay VaultSecret "billing-api-secret" has a GUID \("[0-9a-f]{3}…", percent-encoded\) at value, where a secret value belongs/);
        const containerApp: WireResource = {
            type: "azure-native:app:ContainerApp", name: "api", urn: "urn:pulumi:example::keyrelay::azure-native:app:ContainerApp::api", properties: {
                configuration: { secrets: [{ name: "entra-cred", value: wireSecret(keyId) }] },
                template: { containers: [{ name: "api", env: [{ name: "AZURE_CLIENT_SECRET", secretRef: "entra-cred" }] }] },
            }, propertyDependencies: {},
        };
        const referenced = await analyze(containerApp);
        assert.deepStrictEqual(referenced.map((d) => [d.policyName, d.enforcementLevel]), [["secret-id-not-value", ENFORCEMENT.mandatory]]);
        assert.match(referenced[0].message, /ContainerApp "api" has a GUID .* at configuration\.secrets\[0\]\.value \(secretRef of AZURE_CLIENT_SECRET\)/);
        assert.ok(!referenced[0].message.includes(keyId) && !encoded[0].message.includes(keyId));
    });

    it("Analyze: hygiene, expiry and lifetime violations, one diagnostic each", async () => {
        const stack = stackNow();
        const secret = wire(byName(stack, "billing-api-secret"), "inputs");
        secret.properties.value = wireSecret(`${VALUE_B}\n`);
        assert.deepStrictEqual((await analyze(secret)).map((d) => d.policyName), ["secret-value-hygiene"]);

        const soon: WireResource = {
            type: "azuread:index/servicePrincipalPassword:ServicePrincipalPassword", name: "sp-pw", urn: "urn:pulumi:example::keyrelay::azuread:index/servicePrincipalPassword:ServicePrincipalPassword::sp-pw",
            properties: { servicePrincipalId: "/servicePrincipals/x", endDate: inDays(3) },
        };
        const found = await analyze(soon);
        assert.deepStrictEqual(found.map((d) => d.policyName), ["credential-expiry-near"]);
        assert.match(found[0].message, /\nServicePrincipalPassword "sp-pw" expires on .* \(endDate\), 3 days from now, less than the 14 days required\./);

        delete soon.properties.endDate;
        assert.deepStrictEqual((await analyze(soon)).map((d) => d.policyName), ["credential-lifetime"]);
    });

    it("AnalyzeStack: a password whose value reaches no Key Vault secret, and a keyId reused as a setting", async () => {
        const stack = stackNow().map((r) => wire(r, "outputs"));
        const inService = stack.find((r) => r.type.endsWith("VaultSecret"))!.propertyDependencies!.value[0];
        const keyId = String(stack.find((r) => r.urn === inService)!.properties.keyId);
        stack.find((r) => r.type.endsWith("VaultSecret"))!.propertyDependencies!.value = [];
        stack.push({
            type: "azure-native:app:ContainerApp", name: "api", urn: "urn:pulumi:example::keyrelay::azure-native:app:ContainerApp::api",
            properties: { template: { containers: [{ env: [{ name: "ENTRA_CREDENTIAL", value: keyId }] }] } },
        });
        const found = await analyzeStack(stack);
        assert.deepStrictEqual(found.map((d) => [d.policyName, d.urn, d.enforcementLevel]).sort(), [
            ["password-stored-in-keyvault", inService, ENFORCEMENT.mandatory],
            ["secret-id-not-value", "urn:pulumi:example::keyrelay::azure-native:app:ContainerApp::api", ENFORCEMENT.mandatory],
        ]);
    });

    it("Configure: levels and thresholds from config, and the example policy-config.json", async () => {
        const password: WireResource = {
            type: "azuread:index/applicationPassword:ApplicationPassword", name: "pw", urn: "urn:pulumi:example::keyrelay::azuread:index/applicationPassword:ApplicationPassword::pw",
            properties: { applicationId: "/applications/x", startDate: inDays(-100), endDate: inDays(20) },
        };
        assert.deepStrictEqual(await analyze(password), []);
        await unary(pack.client, "configure", configureRequest({ "credential-expiry-near": { enforcementLevel: "advisory", minDaysRemaining: 30 } }));
        const found = await analyze(password);
        assert.deepStrictEqual(found.map((d) => [d.policyName, d.enforcementLevel]), [["credential-expiry-near", ENFORCEMENT.advisory]]);
        assert.match(found[0].message, /less than the 30 days required/);

        await unary(pack.client, "configure", configureRequest({ "credential-lifetime": { maxLifetimeDays: 90 }, "credential-expiry-near": { enforcementLevel: "disabled" } }));
        assert.deepStrictEqual((await analyze(password)).map((d) => d.policyName), ["credential-lifetime"]);

        const example = JSON.parse(fs.readFileSync(path.join(ROOT, "policies", "policy-config.json"), "utf8")) as Record<string, any>;
        const asConfig = Object.fromEntries(Object.entries(example).map(([name, value]) => [name, typeof value === "string" ? { enforcementLevel: value } : value]));
        assert.deepStrictEqual(Object.keys(asConfig).sort(), POLICY_NAMES);
        await unary(pack.client, "configure", configureRequest(asConfig));
        for (const resource of stackNow()) assert.deepStrictEqual(await analyze(wire(resource, "inputs")), [], resource.name);
        assert.deepStrictEqual(await analyzeStack(stackNow().map((r) => wire(r, "outputs"))), []);
    });

    it("a bad threshold fails the call with the policy, the key and the fix", async () => {
        await unary(pack.client, "configure", configureRequest({ "credential-expiry-near": { minDaysRemaining: -3 } }));
        await assert.rejects(analyze(wire(byName(stackNow(), "billing-api-secret"), "inputs")),
            /credential-expiry-near.*minDaysRemaining is -3, not a whole number >= 0\. Set it in the policy pack config/s);
    });

    it("the reference stack, deployed now by the simulation harness, passes over the protocol", async () => {
        const engine = new SimulatedEngine({ program: declareReferenceStack, config: stackConfigFromFile(path.join(ROOT, "examples", "reference-stack", "Pulumi.example.yaml")) });
        // Runs every other day for 190 days, so each app (P180D at most) has rotated and holds a retiring credential:
        // a first deploy creates only the credential in service.
        const now = DateTime.utc();
        for (let at = now.minus({ days: 190 }); at < now; at = at.plus({ days: 2 })) {
            assert.deepStrictEqual((await engine.run(at)).errors.map((e) => e.message), [], at.toISO()!);
        }
        const report = await engine.run(now);
        assert.deepStrictEqual(report.errors.map((e) => e.message), []);
        const resources = engine.resources();
        assert.ok(resources.filter((r) => r.type.endsWith("ApplicationPassword")).length >= 6, "two or more credentials per app");
        for (const resource of resources) assert.deepStrictEqual(await analyze(wire(resource, "inputs")), [], resource.name);
        assert.deepStrictEqual(await analyzeStack(resources.map((r) => wire(r, "outputs"))), []);
    });

    it("the pack never logged to the engine, and no secret value reached its output", () => {
        assert.deepStrictEqual(pack.engineLogs, []);
        for (const resource of stackNow()) {
            const value = resource.outputs.value;
            if (typeof value === "string") assert.ok(!pack.stderr().includes(value), `${resource.name}'s value appears on stderr`);
        }
    });
});
