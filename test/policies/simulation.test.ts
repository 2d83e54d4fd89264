// keyrelay's own stack passes the pack at every point of its schedule: the reference program,
// deployed by the engine-playing harness day after day for two simulated years.
import * as assert from "assert";
import * as path from "path";
import * as fc from "fast-check";
import { DateTime } from "luxon";
import { RotatedAppRegistration } from "../../components";
import { DAY_MS, PERIOD_START_MARKER, minimumValidForMs, SERVES_UNTIL_MARKER, periodIndexAt, periodStart, plannedCredentials, rotationSchedule, toRfc3339 } from "../../components/schedule";
import type { RotationSchedule } from "../../components/schedule";
import { MIN_DAYS_REMAINING, credentialExpiryNear, expiryNearViolations } from "../../policies/credentialExpiryNear";
import { MAX_LIFETIME_DAYS, credentialLifetime, lifetimeViolations } from "../../policies/credentialLifetime";
import { declareReferenceStack } from "../../examples/reference-stack/referenceStack";
import { SimulatedEngine, SimulatedResource, stackConfigFromFile } from "../../simulation/engine";
import { keyrelayPolicies } from "../../policies/policies";
import { FIXTURE_NOW, keyrelayStack } from "./fixtures";
import { FixtureResource, pinClock, runResourcePolicy, runStackPolicy, Violation } from "./policyHarness";

const ROOT = path.resolve(__dirname, "../..");
const EXAMPLE_CONFIG = stackConfigFromFile(path.join(ROOT, "examples", "reference-stack", "Pulumi.example.yaml"));
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
        // The fixture holds a retiring credential: the stack must have issued it while it was in service (before 2026-12-10).
        await engine.run(at.minus({ days: 35 }));
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

    for (const [from, to] of [["P30D", "P89D"], ["P89D", "P30D"]]) {
        it(`a declared change of schedule (${from} to ${to}) passes every policy on every run of the transition`, async () => {
            let rotation: Record<string, unknown> = { every: from };
            const engine = new SimulatedEngine({
                program: () => { new RotatedAppRegistration("ledger-api", { displayName: "ledger-api", rotation, vault: { url: "https://kv-platform.vault.azure.net", secretName: "ledger-api" } }); },
            });
            const since = START.plus({ days: 40 }).startOf("day");
            let at = START;
            for (; at < since; at = at.plus({ days: 1 })) await runAndCheck(engine, at);
            rotation = { every: to, since: since.toISODate(), previous: { every: from } };
            let kept = 0;
            for (const end = since.plus({ days: 2 * 89 + 5 }); at < end; at = at.plus({ days: 1 })) {
                const resources = await runAndCheck(engine, at);
                if (resources.filter((r) => r.type.endsWith("ApplicationPassword") && !r.name.includes(since.toFormat("yyyyMMdd"))).length > 0) kept++;
            }
            assert.ok(kept >= 30, `${kept} runs with the previous schedule's credentials still kept were checked`);
        });
    }

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

const STACK = "urn:pulumi:example::keyrelay::";
const APP_URN = `${STACK}keyrelay:index:RotatedAppRegistration::app`;
const ROTATING_URN = `${APP_URN.replace("::app", "")}$keyrelay:index:RotatingPassword::app-password`;

/** What RotatedAppRegistration declares for a schedule at `at`, in the form the pack sees: passwords (no startDate) and the VaultSecret. */
function declaredAt(schedule: RotationSchedule, at: DateTime): FixtureResource[] {
    const planned = plannedCredentials(schedule, at);
    const passwords = planned.map((c): FixtureResource => {
        const inputs = {
            applicationId: "/applications/x",
            endDate: toRfc3339(c.endDate),
            rotateWhenChanged: { [PERIOD_START_MARKER]: toRfc3339(c.startDate), [SERVES_UNTIL_MARKER]: toRfc3339(c.servesUntil) },
        };
        const urn = `${STACK}keyrelay:index:RotatedAppRegistration$keyrelay:index:RotatingPassword$azuread:index/applicationPassword:ApplicationPassword::app-password-${c.slot}`;
        return { type: "azuread:index/applicationPassword:ApplicationPassword", name: `app-password-${c.slot}`, urn, parent: ROTATING_URN, inputs, outputs: inputs, propertyDependencies: {} };
    });
    const inService = planned[planned.length - 1];
    const secret = { vaultUrl: "https://kv.vault.azure.net", name: "app", expiresOn: toRfc3339(inService.endDate), notBefore: toRfc3339(inService.startDate) };
    return [...passwords, {
        type: "pulumi-nodejs:dynamic/keyrelay:VaultSecret", name: "app-secret", urn: `${STACK}keyrelay:index:RotatedAppRegistration$pulumi-nodejs:dynamic/keyrelay:VaultSecret::app-secret`,
        parent: APP_URN, inputs: secret, outputs: secret, propertyDependencies: {},
    }];
}

/** The two date policies with the pack's default configuration, as pure functions. */
function defaultPackMessages(resources: FixtureResource[], at: DateTime): string[] {
    return resources.flatMap((r) => {
        const view = { type: r.type, name: r.name, urn: r.urn, parent: r.parent, props: r.inputs };
        return [...expiryNearViolations(view, at, MIN_DAYS_REMAINING.default), ...lifetimeViolations(view, at, MAX_LIFETIME_DAYS.default)];
    });
}

/**
 * The runs that matter in a period k for daily runs at any hour: the first and the last on-time
 * runs (what they declare, checked at their instant), and a rotation run one day late (what the
 * last on-time run left, seen a day after the period boundary, and what the late run declares).
 */
function scheduleRuns(schedule: RotationSchedule, k: number): { declaredAt: DateTime; checkedAt: DateTime; what: string }[] {
    const start = periodStart(schedule, k);
    const next = periodStart(schedule, k + 1);
    const runs: { declaredAt: DateTime; checkedAt: DateTime; what: string }[] = [];
    const first = start; // a run at midnight, the earliest in its period
    const last = next.minus({ hours: 1 }); // the latest run inside the period
    // LATE_RUN_ALLOWANCE: a rotation run may come up to a day after the period boundary.
    const late = next.plus({ days: 1 });
    runs.push({ declaredAt: first, checkedAt: first, what: "first on-time run" });
    runs.push({ declaredAt: last, checkedAt: last, what: "last on-time run" });
    runs.push({ declaredAt: last, checkedAt: late, what: "stack left by the last on-time run, a day after the rotation was due" });
    runs.push({ declaredAt: late, checkedAt: late, what: "rotation run one day late" });
    return runs;
}

describe("the component and the pack agree: every accepted schedule passes the pack's defaults", function () {
    this.timeout(120_000);
    const AT = DateTime.fromISO("2027-06-01T00:00:00Z", { zone: "utc" });

    it("over every from 1 to 364 days and each accepted validFor (whole days), after every on-time and one-day-late run", () => {
        let accepted = 0;
        const failures: string[] = [];
        for (let every = 1; every <= 364; every++) {
            // From a day under the minimum to a day over the pack's 365: the component decides which it accepts.
            for (let validFor = Math.max(1, Math.ceil(minimumValidForMs(every * DAY_MS) / DAY_MS) - 1); validFor <= 366; validFor++) {
                let schedule: RotationSchedule;
                try {
                    schedule = rotationSchedule("app", { every: `P${every}D`, validFor: `P${validFor}D` });
                } catch {
                    continue;
                }
                accepted++;
                const k = periodIndexAt(schedule, AT);
                for (const run of scheduleRuns(schedule, k)) {
                    const messages = defaultPackMessages(declaredAt(schedule, run.declaredAt), run.checkedAt);
                    if (messages.length > 0 && failures.length < 5) failures.push(`every P${every}D validFor P${validFor}D, ${run.what}: ${messages[0]}`);
                }
            }
        }
        assert.deepStrictEqual(failures, []);
        assert.ok(accepted > 30_000, `${accepted} schedules accepted`);
    });

    it("the schedules the pack would flag are refused by the component (every P7D validFor P15D, validFor over 365 days)", () => {
        assert.throws(() => rotationSchedule("app", { every: "P7D", validFor: "P15D" }), /too short/);
        assert.throws(() => rotationSchedule("app", { every: "P30D", validFor: "P400D" }), /credential-lifetime/);
        const tooShort = { ...rotationSchedule("app", { every: "P7D" }), validForMs: 15 * DAY_MS };
        const k = periodIndexAt(tooShort, AT);
        const flagged = scheduleRuns(tooShort, k).filter((run) => defaultPackMessages(declaredAt(tooShort, run.declaredAt), run.checkedAt).length > 0);
        assert.ok(flagged.length > 0, "the pack does flag P7D/P15D: the check above is not vacuous");
    });

    it("the pure checks are what the policies report, with the pack's default configuration", async () => {
        await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 182 }), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 3 }), async (every, extra, runIndex) => {
            const schedule = { ...rotationSchedule("app", { every: `P${every}D` }), validForMs: (every + 1 + extra) * DAY_MS };
            const run = scheduleRuns(schedule, periodIndexAt(schedule, AT))[runIndex];
            const resources = declaredAt(schedule, run.declaredAt);
            const restore = pinClock(run.checkedAt.toISO()!);
            try {
                const viaPolicies: string[] = [];
                for (const resource of resources) {
                    for (const policy of [credentialExpiryNear, credentialLifetime]) viaPolicies.push(...(await runResourcePolicy(policy, resource)).map((v) => v.message));
                }
                assert.deepStrictEqual(viaPolicies.sort(), defaultPackMessages(resources, run.checkedAt).sort());
            } finally {
                restore();
            }
        }), { numRuns: 150, seed: 20261127 });
    });
});
