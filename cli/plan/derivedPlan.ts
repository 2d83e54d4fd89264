// keyrelay plan at fleet scale: the program runs once under the mock runtime, on the first day, to
// learn the fleet; every credential's timeline comes from the schedule (fleetTimeline.ts), and the
// policy pack sees each keyrelay component's resources at each of its own change instants, rebuilt
// from what the program declared (fleetModel.ts). A component it cannot derive exactly sends the
// plan back to the full simulation. What it cannot see from one run: resources of the program's
// own that read the clock (those need --simulate or --daily, as the docs say).
import { DateTime } from "luxon";
import type { Policies } from "@pulumi/policy";
import { TYPE_TOKENS } from "../../components/typeTokens";
import { SERVES_UNTIL_MARKER } from "../../components/schedule";
import { PolicyViolation } from "../../policies/lib/runInProcess";
import { PolicyFindings, policiesAt } from "./policyFindings";
import { mockedRetirementGate } from "./mockedRetirement";
import { SimulatedEngine, SimulatedResource } from "../../simulation/engine";
import { AppRun, CredentialFacts, appRuns, appTimeline, fleetRuns } from "./fleetTimeline";
import { APPLICATION_PASSWORD_TYPE, PlanResource, Unit, learnFleet, unitResourcesAt } from "./fleetModel";

/** A credential as the plan reports it: the timeline's facts without the period index. */
export type PlannedCredentialFacts = Omit<CredentialFacts, "period">;

export interface PlannedApp {
    name: string;
    secret: string | undefined;
    /** The rotation period in force (the secret's rotation-every tag), ISO-8601. */
    every: string | undefined;
    nextRotation: string | undefined;
    rotations: string[];
    credentials: PlannedCredentialFacts[];
    /** The evidence gate's questions (mocked answers), one line per gated credential; absent without `retire`. */
    gate?: string[];
}

export interface PlannedViolation extends PolicyViolation {
    firstSeen: string;
    lastSeen: string;
    runs: number;
}

export interface FleetPlan {
    /** The runs a daily schedule makes over the horizon: the first, and every day on which something changes. */
    runs: number;
    apps: PlannedApp[];
    violations: PlannedViolation[];
    /** How many times the program itself ran under the mock runtime. */
    programRuns: number;
    /** The stack after the first run, from an empty one: what a first `pulumi up` creates. */
    firstRun: PlanResource[];
}

/** A derived plan, or why the program has to be simulated run by run instead. */
export type DerivedOutcome = { plan: FleetPlan } | { simulate: string };

function toPlanResource(r: SimulatedResource): PlanResource {
    return { type: r.type, name: r.name, urn: r.urn, parent: r.parent, inputs: r.inputs, outputs: r.outputs, propertyDependencies: r.propertyDependencies };
}

/**
 * Findings on resources that are the same in every run (outside keyrelay's components): the pack's
 * rules read the clock only as "is this date past or near", so each finding holds over one unbroken
 * span of runs. Checked at the first and last run, and the span's ends found by halving.
 */
async function staticFindings(policies: Policies, resources: PlanResource[], context: PlanResource[], runs: readonly DateTime[], findings: PolicyFindings): Promise<void> {
    const own = new Set(resources.map((r) => r.urn));
    const cache = new Map<number, Map<string, PolicyViolation>>();
    const at = async (i: number) => {
        let found = cache.get(i);
        if (!found) {
            const all = await policiesAt(policies, [...resources, ...context], runs[i]);
            found = new Map(all.filter((v) => v.urn === undefined || own.has(v.urn)).map((v) => [`${v.policy}\u0000${v.urn ?? ""}`, v]));
            cache.set(i, found);
        }
        return found;
    };
    const last = runs.length - 1;
    const [atFirst, atLast] = [await at(0), await at(last)];
    for (const key of new Set([...atFirst.keys(), ...atLast.keys()])) {
        let first = 0;
        let end = last;
        if (!atFirst.has(key)) {
            let [lo, hi] = [0, last];
            while (hi - lo > 1) { const mid = (lo + hi) >> 1; if ((await at(mid)).has(key)) hi = mid; else lo = mid; }
            first = hi;
        }
        if (!atLast.has(key)) {
            let [lo, hi] = [0, last];
            while (hi - lo > 1) { const mid = (lo + hi) >> 1; if ((await at(mid)).has(key)) lo = mid; else hi = mid; }
            end = lo;
        }
        findings.add((await at(first)).get(key)!, first, end);
    }
}

/** The change instants of passwords outside keyrelay's components: each needs a run, as in the simulation. */
function changesOfOtherPasswords(rest: readonly PlanResource[]): DateTime[] {
    const changes: DateTime[] = [];
    for (const r of rest) {
        if (r.type !== APPLICATION_PASSWORD_TYPE) continue;
        for (const text of [(r.inputs.rotateWhenChanged as Record<string, unknown> | undefined)?.[SERVES_UNTIL_MARKER], r.inputs.endDate]) {
            const t = typeof text === "string" ? DateTime.fromISO(text, { zone: "utc" }) : undefined;
            if (t?.isValid) changes.push(t);
        }
    }
    return changes;
}

export interface DerivedPlanInput {
    engine: SimulatedEngine;
    policies: Policies;
    from: DateTime;
    until: DateTime;
    /** Called when the program fails on a run: turns the run's error into the plan's. */
    onProgramError: (at: DateTime, error: Error) => never;
    /** Called once the run has been learned from: lets go of what the program still holds (its resources, through its exports). */
    afterLearning?: () => void;
    /** Told how many of the fleet's components have been checked, of how many. */
    onProgress?: (done: number, total: number) => void;
}

export async function derivedPlan({ engine, policies, from, until, onProgramError, afterLearning, onProgress }: DerivedPlanInput): Promise<DerivedOutcome> {
    const gate = mockedRetirementGate(engine);
    const learningRun = await engine.run(from).finally(gate.restore);
    if (learningRun.errors.length > 0) onProgramError(from, learningRun.errors[0]);
    const learnedResources = engine.resources().map(toPlanResource);
    afterLearning?.();
    const gated = learnedResources.find((r) => r.type === TYPE_TOKENS.rotatingPassword && r.inputs.retireUnusedFor !== undefined);
    if (gated) return { simulate: `${gated.name} has an evidence gate (retire), which decides run by run which retiring credentials stay` };
    const fleet = learnFleet(learnedResources, from);
    if (fleet.problems.length > 0) return { simulate: fleet.problems[0] };

    const runsByUnit = new Map<Unit, AppRun[]>(fleet.units.map((u) => [u, appRuns(u.schedule, from, until)]));
    const runs = fleetRuns(from, until, [...runsByUnit.values()], changesOfOtherPasswords(fleet.rest));

    const programRuns = 1;
    const index = new Map(runs.map((t, i) => [t.toMillis(), i]));
    const findings = new PolicyFindings();
    let checked = 0;
    for (const [unit, ownRuns] of runsByUnit) {
        onProgress?.(checked++, runsByUnit.size);
        for (const { run, end, violations } of await unitFindings(unit, ownRuns, policies)) {
            const first = index.get(run.at.toMillis())!;
            const last = end === undefined ? runs.length - 1 : index.get(end.toMillis())! - 1;
            for (const violation of violations) findings.add(violation, first, last);
        }
    }
    if (fleet.rest.length > 0) {
        const referenced = new Set(fleet.rest.flatMap((r) => Object.values(r.propertyDependencies).flat()));
        const context = fleet.units.flatMap((u) => u.learned).filter((r) => referenced.has(r.urn));
        await staticFindings(policies, fleet.rest, context, runs, findings);
    }

    const apps: PlannedApp[] = fleet.units.filter((u) => u.type === TYPE_TOKENS.rotatedAppRegistration).map((unit) => {
        const startDateSent = [...unit.passwordsByPeriod.values()].every((p) => typeof p.inputs.startDate === "string");
        const timeline = appTimeline(unit.schedule, runsByUnit.get(unit)!, { startDateSent });
        const vaultSecret = unit.learned.find((r) => r.type === TYPE_TOKENS.vaultSecret && r.parent === unit.urn);
        const tags = vaultSecret?.inputs.tags as Record<string, unknown> | undefined;
        const nextRotationTag = tags?.["next-rotation"];
        return {
            name: unit.name,
            secret: vaultSecret?.inputs.name as string | undefined,
            every: typeof tags?.["rotation-every"] === "string" ? tags["rotation-every"] as string : undefined,
            nextRotation: typeof nextRotationTag === "string" ? nextRotationTag : undefined,
            rotations: timeline.rotations,
            credentials: timeline.credentials.map(({ period: _period, ...facts }) => facts),
        };
    });
    return { plan: { runs: runs.length, apps, violations: findings.planned(runs), programRuns, firstRun: learnedResources } };
}

/** The findings on a unit's resources at each of its own runs, each holding until its next run (`end`, exclusive). */
async function unitFindings(unit: Unit, ownRuns: readonly AppRun[], policies: Policies): Promise<{ run: AppRun; end: DateTime | undefined; violations: PolicyViolation[] }[]> {
    // Three periods on, a run declares the same resources under the same names (slot k mod 3), every
    // date moved by three periods, at an instant moved by as much: the pack's rules compare dates with
    // each other and with now, so such a run has the findings of the earlier one. Each unit is checked
    // for its first three periods or so; the property test holds this against the simulation.
    const cycleMs = 3 * unit.schedule.everyMs;
    const byInstant = new Map<number, { run: AppRun; violations: PolicyViolation[] }>();
    const out: { run: AppRun; end: DateTime | undefined; violations: PolicyViolation[] }[] = [];
    for (let i = 0; i < ownRuns.length; i++) {
        const run = ownRuns[i];
        const earlier = byInstant.get(run.at.toMillis() - cycleMs);
        let violations: PolicyViolation[];
        if (earlier && sameShape(earlier.run, run)) {
            violations = earlier.violations;
        } else {
            const resources = unitResourcesAt(unit, run.at, run.declared);
            const urns = new Set(resources.map((r) => r.urn));
            violations = (await policiesAt(policies, resources, run.at)).filter((v) => v.urn === undefined || urns.has(v.urn));
        }
        byInstant.set(run.at.toMillis(), { run, violations });
        out.push({ run, end: ownRuns[i + 1]?.at, violations });
    }
    return out;
}

/** `later` declares what `earlier` declares, three periods on. */
function sameShape(earlier: AppRun, later: AppRun): boolean {
    return earlier.declared.length === later.declared.length && earlier.declared.every((c, i) => later.declared[i].period === c.period + 3);
}
