// The derived plan against the run-by-run simulation: over random fleets (names, periods from 1 to
// 364 days, start instants, horizons), credential by credential, and the same policy findings.
import { strict as assert } from "assert";
import * as fc from "fast-check";
import * as azuread from "@pulumi/azuread";
import { DateTime } from "luxon";
import { SimulatedEngine } from "../../simulation/engine";
import { declareReferenceStack } from "../../referenceStack";
import { keyrelayPolicies } from "../../policies/policies";
import { derivedPlan, FleetPlan } from "../../cli/derivedPlan";
import { simulatedPlan } from "../../cli/plan";

const VAULT = "https://kv-fleet.vault.azure.net";
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

    it("over random fleets: names, periods from 1 to 364 days, start instants and horizons", async () => {
        const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,14}[a-z0-9]$/);
        let findings = 0;
        await fc.assert(fc.asyncProperty(
            fc.uniqueArray(fc.record({ name, every: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 364 })) }), { minLength: 1, maxLength: 3, selector: (a) => a.name }),
            fc.integer({ min: 0, max: 4 * 365 * 24 }),
            fc.integer({ min: 10, max: 160 }),
            fc.option(fc.integer({ min: -5, max: 200 }), { nil: undefined }),
            async (apps, startHours, horizonDays, legacyEndsAfterDays) => {
                const from = DateTime.fromISO("2026-06-01T00:00:00Z", { zone: "utc" }).plus({ hours: startHours, minutes: startHours % 60 });
                const until = from.plus({ days: horizonDays });
                const { derived, simulated } = await bothPlans({ apps, legacyEndsAfterDays }, from, until);
                assertSamePlan(derived, simulated);
                assert.ok(derived.programRuns <= 2, `${derived.programRuns} program runs`);
                findings += derived.violations.length;
            },
        ), { numRuns: Number(process.env.KEYRELAY_PROPERTY_RUNS ?? 8), seed: Number(process.env.KEYRELAY_PROPERTY_SEED ?? 20261127) });
        assert.ok(findings > 0, "the random fleets produced policy findings to compare");
    });

    it("a year of a long-period app and an expiring password outside the components: the same findings, spans and run counts", async () => {
        const from = DateTime.fromISO("2027-01-01T03:00:00Z", { zone: "utc" });
        const { derived, simulated } = await bothPlans({ apps: [{ name: "ledger-api", every: 300 }, { name: "edge-7", every: 20 }], legacyEndsAfterDays: 40 }, from, from.plus({ days: 365 }));
        assertSamePlan(derived, simulated);
        const policies = new Set(derived.violations.map((v) => v.policy));
        assert.ok(policies.has("credential-lifetime"), "every = 300 days lives 601 days, over the pack's 365");
        assert.ok(policies.has("credential-expiry-near"), "the legacy password nears its end");
        const nearing = derived.violations.find((v) => v.policy === "credential-expiry-near" && v.urn?.endsWith("::legacy"))!;
        // Found by halving between the first and the last run: it starts on the first run with fewer than 14 days left, and stays.
        assert.ok(nearing.firstSeen >= from.plus({ days: 27 }).toISO()! && nearing.firstSeen <= from.plus({ days: 40 }).toISO()!, nearing.firstSeen);
        assert.ok(nearing.runs > 1 && nearing.lastSeen > nearing.firstSeen, JSON.stringify(nearing));
    });

    it("a program that reads the clock outside keyrelay's components is simulated instead, and says why", async () => {
        const from = DateTime.fromISO("2027-01-01T03:00:00Z", { zone: "utc" });
        const program = () => {
            declareReferenceStack();
            new azuread.Application("clock-reader", { displayName: `built ${DateTime.utc().toISODate()}` });
        };
        const outcome = await derivedPlan({
            engine: new SimulatedEngine({ program, config: { "keyrelay:vaultUrl": VAULT, "keyrelay:apps": [{ name: "billing-api", every: "P30D" }] } }),
            policies: keyrelayPolicies, from, until: from.plus({ days: 90 }), onProgramError: fail,
        });
        assert.ok("simulate" in outcome);
        assert.match(outcome.simulate, /outside keyrelay's components, the program declares something else on 2027-03-\d\d \(.*clock-reader: inputs\.displayName is "built 2027-03-\d\d", derived "built 2027-01-01"\)/);
    });
});
