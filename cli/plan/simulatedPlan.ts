// keyrelay plan --simulate / --daily: the program run by the engine-playing harness run after run
// across the horizon (on every day something changes, or every day), the policy pack after each.
import { DateTime } from "luxon";
import type { Policies } from "@pulumi/policy";
import { TYPE_TOKENS } from "../../components/typeTokens";
import { SERVES_UNTIL_MARKER, toRfc3339 } from "../../components/schedule";
import { SimulatedEngine, TYPES, vaultKey } from "../../simulation/engine";
import type { SimulatedResource } from "../../simulation/engine";
import { FleetPlan, PlannedApp, PlannedCredentialFacts } from "./derivedPlan";
import type { PlanResource } from "./fleetModel";
import { nextDailyRun } from "./fleetTimeline";
import { PolicyFindings, policiesAt } from "./policyFindings";
import { GateQuestion, mockedRetirementGate } from "./mockedRetirement";

const COMPONENT_TYPE = TYPE_TOKENS.rotatedAppRegistration;

/** The earliest instant after `at` at which some keyrelay credential changes role: a rotation, or a retiring credential's end. */
export function nextCredentialChange(resources: readonly SimulatedResource[], at: DateTime): DateTime | undefined {
    let next: number | undefined;
    for (const r of resources) {
        if (r.type !== TYPES.applicationPassword) continue;
        for (const text of [r.inputs.rotateWhenChanged?.[SERVES_UNTIL_MARKER], r.inputs.endDate]) {
            const t = typeof text === "string" ? DateTime.fromISO(text, { zone: "utc" }).toMillis() : NaN;
            if (t > at.toMillis() && (next === undefined || t < next)) next = t;
        }
    }
    return next === undefined ? undefined : DateTime.fromMillis(next, { zone: "utc" });
}

/** The program run by the engine-playing harness on every day something changes (or every day), the policy pack after each run. */
export async function simulatedPlan(engine: SimulatedEngine, policies: Policies, from: DateTime, until: DateTime, daily: boolean,
    onProgramError: (at: DateTime, error: Error) => never, onProgress?: (done: number, total: number) => void): Promise<FleetPlan> {
    const components = new Map<string, string>();
    const slotByKeyId = new Map<string, string>();
    const nextRotationByApp = new Map<string, string>();
    const violations = new PolicyFindings();
    const runDates: DateTime[] = [];
    const maxRuns = Math.ceil(until.diff(from).as("days")) + 2;
    let runs = 0;
    let firstRun: PlanResource[] = [];
    const gate = mockedRetirementGate(engine);
    try {
    for (let at = from; at <= until && runs < maxRuns;) {
        onProgress?.(Math.round(at.diff(from).as("days")), Math.round(until.diff(from).as("days")));
        const report = await engine.run(at);
        runs++;
        if (report.errors.length > 0) onProgramError(at, report.errors[0]);
        const resources = engine.resources();
        for (const r of [...report.created, ...report.replaced.map((x) => x.new)]) {
            if (r.type === TYPES.applicationPassword) slotByKeyId.set(r.outputs.keyId, r.name.slice(r.name.lastIndexOf("-") + 1));
        }
        for (const r of resources) if (r.type === COMPONENT_TYPE && !components.has(r.urn)) components.set(r.urn, r.name);
        if (runs === 1) {
            firstRun = resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, parent: r.parent, inputs: r.inputs, outputs: r.outputs, propertyDependencies: r.propertyDependencies }));
            for (const r of resources) {
                if (r.type === TYPES.vaultSecret && r.parent && components.has(r.parent)) {
                    const next = r.inputs.tags?.["next-rotation"];
                    if (typeof next === "string") nextRotationByApp.set(components.get(r.parent)!, next);
                }
            }
        }
        for (const v of await policiesAt(policies, resources, at)) violations.add(v, runDates.length, runDates.length);
        runDates.push(at);
        const change = daily ? undefined : nextCredentialChange(resources, at);
        at = nextDailyRun(at, change ?? at);
    }
    } finally {
        gate.restore();
    }

    const finalResources = engine.resources();
    const apps: PlannedApp[] = [...components.entries()].map(([urn, name]) => {
        const application = finalResources.find((r) => r.type === TYPES.application && r.parent === urn);
        const vaultSecret = finalResources.find((r) => r.type === TYPES.vaultSecret && r.parent === urn);
        const versions = vaultSecret ? engine.vault.get(vaultKey(vaultSecret.inputs.vaultUrl, vaultSecret.inputs.name)) ?? [] : [];
        const credentials = [...engine.directory.values()]
            .filter((c) => application !== undefined && c.applicationId === application.id)
            .sort((a, b) => a.startDate.localeCompare(b.startDate))
            .map((c): PlannedCredentialFacts => {
                const servedAt = versions.findIndex((v) => v.tags["key-id"] === c.keyId);
                const replacedBy = servedAt >= 0 ? versions.slice(servedAt + 1).find((v) => v.tags["key-id"] !== c.keyId) : undefined;
                return {
                    slot: slotByKeyId.get(c.keyId) ?? "?",
                    startDateTime: c.startDate, endDateTime: c.endDate, issued: toRfc3339(c.createdAt),
                    inServiceFrom: servedAt >= 0 ? toRfc3339(versions[servedAt].writtenAt) : undefined,
                    replaced: replacedBy ? toRfc3339(replacedBy.writtenAt) : undefined,
                    removed: c.deletedAt ? toRfc3339(c.deletedAt) : undefined,
                };
            });
        const rotations = versions.slice(1).filter((v, i) => v.tags["key-id"] !== versions[i].tags["key-id"]).map((v) => toRfc3339(v.writtenAt));
        const every = vaultSecret?.inputs.tags?.["rotation-every"];
        const gated = gateLines(gate.questions.filter((q) => application !== undefined && q.applicationId === application.id), engine, slotByKeyId);
        return { name, secret: vaultSecret?.inputs.name, every: typeof every === "string" ? every : undefined, nextRotation: nextRotationByApp.get(name), rotations, credentials, ...(gated.length > 0 ? { gate: gated } : {}) };
    });
    return { runs, apps, violations: violations.planned(runDates), programRuns: runs, firstRun };
}

/** "1 rotation", "2 rotations". */

/** One line per credential the evidence gate asked about: when, the mocked answer, and what it decided against the credential's end. */
function gateLines(questions: readonly GateQuestion[], engine: SimulatedEngine, slotByKeyId: ReadonlyMap<string, string>): string[] {
    const first = new Map<string, GateQuestion>();
    for (const q of questions) for (const keyId of q.keyIds) if (!first.has(keyId)) first.set(keyId, q);
    return [...first.entries()].map(([keyId, q]) => {
        const credential = engine.directory.get(keyId);
        const removed = credential?.deletedAt ? `removed ${toRfc3339(credential.deletedAt).slice(0, 10)}` : "kept";
        return `evidence gate, slot ${slotByKeyId.get(keyId) ?? "?"}: asked ${toRfc3339(q.at).slice(0, 10)} (mocked answer: no sign-in in ${q.window}), ${removed}, `
            + `ends ${credential?.endDate.slice(0, 10) ?? "?"}; a sign-in or no answer would keep it to its end`;
    });
}
