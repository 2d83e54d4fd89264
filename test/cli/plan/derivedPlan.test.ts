// The derived plan against the run-by-run simulation: over random fleets (names, periods from 1 to
// 182 days, start instants, horizons), credential by credential, and the same policy findings.
import { strict as assert } from "assert";
import * as fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import { DateTime } from "luxon";
import { SimulatedEngine, SimulatedResource } from "../../../simulation/engine";
import { declareReferenceStack } from "../../../examples/reference-stack/referenceStack";
import { keyrelayPolicies } from "../../../policies/policies";
import { derivedPlan, FleetPlan } from "../../../cli/plan/derivedPlan";
import { simulatedPlan } from "../../../cli/plan/command";
import { declaredAt } from "../../../cli/plan/fleetTimeline";
import { firstDifference, learnFleet, unitResourcesAt, withDerivedCredentials } from "../../../cli/plan/fleetModel";

import { MAX_VALID_FOR_MS, longestEveryDaysWithin } from "../../../components/schedule";

const MAX_EVERY_DAYS = longestEveryDaysWithin(MAX_VALID_FOR_MS);

const VAULT = "https://kv-fleet.vault.azure.net";

/**
 * keyrelay sends no startDate, so Entra stamps a password's creation time (applicationPassword.d.ts:
 * "If this isn't specified, the current date is used"). That instant depends on when the run that
 * created it happened, not on the day rebuilt: the derived timeline carries it (startDateTime), and the
 * property test above holds it to the simulation's. Compared here: everything else.
 */
function withoutCreationStamp(resources: readonly SimulatedResource[] | ReturnType<typeof unitResourcesAt>) {
    return resources.map((r) => (r.inputs.startDate === undefined && "startDate" in r.outputs
        ? { ...r, outputs: Object.fromEntries(Object.entries(r.outputs).filter(([key]) => key !== "startDate")) }
        : r));
}
const fail = (at: DateTime, error: Error): never => { throw new Error(`the program failed on ${at.toISO()}: ${error.message}`); };

interface Fleet {
    apps: { name: string; every: number }[];
    /** An ApplicationPassword outside keyrelay's components, ending this many days after the start. */
    legacyEndsAfterDays?: number;
}

function programOf(fleet: Fleet, from: DateTime) {
    const config = { "keyrelay:vaultUrl": VAULT, "keyrelay:apps": fleet.apps.map((a) => ({ name: a.name, every: `P${a.every}D` })) };
    const program = () => {
        const stack = declareReferenceStack();
        if (fleet.legacyEndsAfterDays !== undefined) {
            new azuread.ApplicationPassword("legacy", { applicationId: "/applications/legacy", endDate: from.plus({ days: fleet.legacyEndsAfterDays }).toISO()! });
        }
        return stack;
    };
    return { program, config };
}

async function bothPlans(fleet: Fleet, from: DateTime, until: DateTime): Promise<{ derived: FleetPlan; simulated: FleetPlan }> {
    const derivedOutcome = await derivedPlan({ engine: new SimulatedEngine(programOf(fleet, from)), policies: keyrelayPolicies, from, until, onProgramError: fail });
    assert.ok("plan" in derivedOutcome, `the plan was not derived: ${"simulate" in derivedOutcome ? derivedOutcome.simulate : ""}`);
    const simulated = await simulatedPlan(new SimulatedEngine(programOf(fleet, from)), keyrelayPolicies, from, until, false, fail);
    return { derived: derivedOutcome.plan, simulated };
}

function assertSamePlan(derived: FleetPlan, simulated: FleetPlan): void {
    assert.equal(derived.runs, simulated.runs, "runs");
    assert.deepEqual(derived.apps.map((a) => a.name), simulated.apps.map((a) => a.name));
    derived.apps.forEach((app, i) => {
        const other = simulated.apps[i];
        assert.equal(app.secret, other.secret, `${app.name}: secret`);
        assert.equal(app.nextRotation, other.nextRotation, `${app.name}: next rotation`);
        assert.deepEqual(app.rotations, other.rotations, `${app.name}: rotations`);
        assert.equal(app.credentials.length, other.credentials.length, `${app.name}: credentials`);
        app.credentials.forEach((c, k) => assert.deepEqual(c, other.credentials[k], `${app.name}: credential ${k}`));
    });
    assert.deepEqual(derived.violations, simulated.violations, "policy findings");
}

describe("keyrelay plan: derived from the schedule = simulated run by run", function () {
    this.timeout(240_000);

    // Periods up to 182 days: the longest `every` the component accepts, since its credentials must
    // overlap (validFor >= 2 x every + 1 day) within the pack's 365 days (issue 8, point 9).
    it("over random fleets: names, periods from 1 to 182 days (the longest accepted), start instants and horizons", async () => {
        const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,14}[a-z0-9]$/);
        let findings = 0;
        await fc.assert(fc.asyncProperty(
            fc.uniqueArray(fc.record({ name, every: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: MAX_EVERY_DAYS })) }), { minLength: 1, maxLength: 3, selector: (a) => a.name }),
            fc.integer({ min: 0, max: 4 * 365 * 24 }),
            fc.integer({ min: 10, max: 160 }),
            // From a day on: the plan starts from an empty stack, and Entra refuses to create a password
            // whose end is at or before now (KeyCredentialsInvalidEndDate, simulation/azureRules.ts).
            fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }),
            async (apps, startHours, horizonDays, legacyEndsAfterDays) => {
                const from = DateTime.fromISO("2026-06-01T00:00:00Z", { zone: "utc" }).plus({ hours: startHours, minutes: startHours % 60 });
                const until = from.plus({ days: horizonDays });
                const { derived, simulated } = await bothPlans({ apps, legacyEndsAfterDays }, from, until);
                assertSamePlan(derived, simulated);
                assert.equal(derived.programRuns, 1);
                findings += derived.violations.length;
            },
        ), { numRuns: Number(process.env.KEYRELAY_PROPERTY_RUNS ?? 8), seed: Number(process.env.KEYRELAY_PROPERTY_SEED ?? 20261127) });
        assert.ok(findings > 0, "the random fleets produced policy findings to compare");
    });

    it("a year of the longest-period app and an expiring password outside the components: the same findings, spans and run counts", async () => {
        const from = DateTime.fromISO("2027-01-01T03:00:00Z", { zone: "utc" });
        const { derived, simulated } = await bothPlans({ apps: [{ name: "ledger-api", every: MAX_EVERY_DAYS }, { name: "edge-7", every: 20 }], legacyEndsAfterDays: 40 }, from, from.plus({ days: 365 }));
        assertSamePlan(derived, simulated);
        const policies = new Set(derived.violations.map((v) => v.policy));
        // The longest accepted period lives within the pack's 365 days (the component refuses longer).
        assert.ok(!policies.has("credential-lifetime"), `every = ${MAX_EVERY_DAYS} days stays within the pack's 365`);
        assert.ok(policies.has("credential-expiry-near"), "the legacy password nears its end");
        const nearing = derived.violations.find((v) => v.policy === "credential-expiry-near" && v.urn?.endsWith("::legacy"))!;
        // Found by halving between the first and the last run: it starts on the first run with fewer than 14 days left, and stays.
        assert.ok(nearing.firstSeen >= from.plus({ days: 27 }).toISO()! && nearing.firstSeen <= from.plus({ days: 40 }).toISO()!, nearing.firstSeen);
        assert.ok(nearing.runs > 1 && nearing.lastSeen > nearing.firstSeen, JSON.stringify(nearing));
    });

    it("rebuilds each component's resources for a later day exactly as the program declares them that day", async () => {
        const from = DateTime.fromISO("2027-01-01T03:00:00Z", { zone: "utc" });
        const config = { "keyrelay:vaultUrl": VAULT, "keyrelay:apps": [
            { name: "billing-api", every: "P90D" }, { name: "orders-7", every: "P7D", validFor: "P40D" }, { name: "reports", every: "P180D", readers: ["11111111-1111-4111-a111-111111111111"] },
        ] };
        const resourceId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-fleet";
        (config["keyrelay:apps"][2] as Record<string, unknown>).vaultResourceId = resourceId;
        const engine = new SimulatedEngine({ program: declareReferenceStack, config });
        await engine.run(from);
        const view = (r: SimulatedResource) => ({ type: r.type, name: r.name, urn: r.urn, parent: r.parent, inputs: r.inputs, outputs: r.outputs, propertyDependencies: r.propertyDependencies });
        const fleet = learnFleet(engine.resources().map(view), from);
        assert.deepEqual(fleet.problems, []);
        assert.deepEqual(fleet.units.map((u) => u.name), ["billing-api", "orders-7", "reports"]);
        // Each run declares the credential in service and the earlier ones the run before it declared.
        const held = new Map(fleet.units.map((u) => [u, new Set(declaredAt(u.schedule, from, new Set()).map((c) => c.period))]));
        for (const days of [1, 6, 40, 91, 200, 400]) {
            const at = from.plus({ days, hours: days % 5 });
            await engine.run(at);
            const declared = engine.resources().map(view);
            for (const unit of fleet.units) {
                const own = declared.filter((r) => r.urn === unit.urn || r.urn.includes(`::${unit.name}-`) || r.urn.endsWith(`::${unit.name}`));
                const credentials = declaredAt(unit.schedule, at, held.get(unit)!);
                held.set(unit, new Set(credentials.map((c) => c.period)));
                assert.equal(firstDifference(withoutCreationStamp(unitResourcesAt(unit, at, credentials)), withoutCreationStamp(withDerivedCredentials(unit, own, at))), undefined, `${unit.name} on ${at.toISO()}`);
            }
        }
    });

    it("a keyrelay component it cannot derive sends the plan back to the simulation, and says why", async () => {
        const from = DateTime.fromISO("2027-01-01T03:00:00Z", { zone: "utc" });
        const program = () => {
            const lookalike = new pulumi.ComponentResource("keyrelay:index:RotatingPassword", "hand-made", {});
            new azuread.ApplicationPassword("hand-made-a", { applicationId: "/applications/x", endDate: "2027-06-01T00:00:00Z" }, { parent: lookalike });
        };
        const outcome = await derivedPlan({ engine: new SimulatedEngine({ program }), policies: keyrelayPolicies, from, until: from.plus({ days: 30 }), onProgramError: fail });
        assert.ok("simulate" in outcome);
        assert.match(outcome.simulate, /hand-made: a password without the keyrelay period markers or an endDate/);
    });
});
