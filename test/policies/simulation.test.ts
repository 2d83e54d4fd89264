// keyrelay's own stack passes the pack at every point of its schedule: the reference program,
// deployed by the engine-playing harness day after day for two simulated years.
import * as assert from "assert";
import * as path from "path";
import * as fc from "fast-check";
import { DateTime } from "luxon";
import { RotatedAppRegistration } from "../../components";
import { declareReferenceStack } from "../../referenceStack";
import { SimulatedEngine, SimulatedResource, stackConfigFromFile } from "../../simulation/engine";
import { keyrelayPolicies } from "../../policies/policies";
import { FIXTURE_NOW, keyrelayStack } from "./fixtures";
import { FixtureResource, pinClock, runResourcePolicy, runStackPolicy, Violation } from "./policyHarness";

const ROOT = path.resolve(__dirname, "../..");
const EXAMPLE_CONFIG = stackConfigFromFile(path.join(ROOT, "Pulumi.example.yaml"));
const START = DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" });

function asFixture(resource: SimulatedResource): FixtureResource {
    return { type: resource.type, name: resource.name, urn: resource.urn, parent: resource.parent, inputs: resource.inputs, outputs: resource.outputs, propertyDependencies: resource.propertyDependencies };
}

/** Every policy over the stack as it stands after a run, the clock pinned to the run's instant. */
async function packViolations(resources: FixtureResource[], at: DateTime): Promise<string[]> {
    const restore = pinClock(at.toISO()!);
    try {
        const found: Violation[] = [];
        for (const policy of keyrelayPolicies) {
            if ("validateResource" in policy && policy.validateResource) {
                for (const resource of resources) found.push(...await runResourcePolicy(policy, resource));
            }
            if ("validateStack" in policy) found.push(...await runStackPolicy(policy, resources));
        }
        return found.map((v) => v.message);
    } finally {
        restore();
    }
}

async function runAndCheck(engine: SimulatedEngine, at: DateTime): Promise<FixtureResource[]> {
    const report = await engine.run(at);
    assert.deepStrictEqual(report.errors.map((e) => e.message), [], `run at ${at.toISO()}`);
    const resources = engine.resources().map(asFixture);
    assert.deepStrictEqual(await packViolations(resources, at), [], `pack over the stack at ${at.toISO()}`);
    return resources;
}

describe("policy pack over the time-travel simulation", function () {
    this.timeout(120_000);

    it("the fixture is what RotatedAppRegistration declares (types, parents, inputs, where the value comes from)", async () => {
        const engine = new SimulatedEngine({
            program: () => { new RotatedAppRegistration("billing-api", { displayName: "billing-api", rotation: { every: "P90D" }, vault: { url: "https://kv-platform.vault.azure.net", secretName: "billing-api-client-secret" } }); },
        });
        const at = DateTime.fromISO(FIXTURE_NOW, { zone: "utc" });
        await engine.run(at);
        const declared = engine.resources();
        const fixture = keyrelayStack();
        const comparable = (r: { type: string; name: string; urn: string; parent?: string; inputs: Record<string, unknown> }) => {
            const { applicationId, clientId, value, tags, ...inputs } = r.inputs as Record<string, any>; // computed by Azure: differ by run
            delete inputs.__provider;
            return { type: r.type, name: r.name, urn: r.urn, parent: r.parent, inputs, tagKeys: tags ? Object.keys(tags).sort() : undefined };
        };
        const byUrn = (a: { urn: string }, b: { urn: string }) => a.urn.localeCompare(b.urn);
        assert.deepStrictEqual(declared.map(comparable).sort(byUrn), fixture.map(comparable).sort(byUrn));
        const secret = (rs: { type: string; propertyDependencies: Record<string, string[]> }[]) => rs.find((r) => r.type.endsWith("VaultSecret"))!.propertyDependencies.value;
        assert.deepStrictEqual(secret(declared), secret(fixture));
    });

    it("every daily run for two years passes every policy, retiring credentials included", async () => {
        const engine = new SimulatedEngine({ program: declareReferenceStack, config: EXAMPLE_CONFIG });
        const end = START.plus({ years: 2 });
        let runs = 0;
        let runsWithThreeCredentials = 0;
        for (let at = START; at < end; at = at.plus({ days: 1 })) {
            const resources = await runAndCheck(engine, at);
            const perApp = new Map<string, number>();
            for (const r of resources) if (r.type.endsWith("ApplicationPassword")) perApp.set(r.parent!, (perApp.get(r.parent!) ?? 0) + 1);
            if ([...perApp.values()].some((n) => n === 3)) runsWithThreeCredentials++;
            runs++;
        }
        assert.strictEqual(runs, Math.round(end.diff(START, "days").days));
        assert.ok(runsWithThreeCredentials > 0, "the days where a third credential is still kept were checked");
    });

    it("runs at irregular times, up to two periods apart, pass every policy", async () => {
        const single = { "keyrelay:vaultUrl": "https://kv-platform.vault.azure.net", "keyrelay:apps": [{ name: "ledger-api", every: "P30D" }] };
        await fc.assert(fc.asyncProperty(
            fc.array(fc.integer({ min: 1, max: 60 * 24 }), { minLength: 6, maxLength: 15 }),
            fc.integer({ min: 0, max: 365 * 24 }),
            async (gapsInHours, offsetHours) => {
                const engine = new SimulatedEngine({ program: declareReferenceStack, config: single });
                let at = START.plus({ hours: offsetHours });
                await runAndCheck(engine, at);
                for (const gap of gapsInHours) {
                    at = at.plus({ hours: gap });
                    await runAndCheck(engine, at);
                }
            },
        ), { numRuns: 4, seed: 20261126 });
    });
});
