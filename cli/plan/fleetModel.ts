// What `keyrelay plan` learns from one run of the program: each keyrelay RotatingPassword's
// schedule and the resources of the component it belongs to (a "unit"), and how to rebuild that
// unit's resources at any other instant. Every time-dependent input of a keyrelay component is a
// function of the period index (README, "The schedule"): a date that is a period start (or a period
// start plus validFor) moves by whole periods, a slot letter moves with the period, and a password's
// outputs (keyId, value) are the new credential's. Pure: no Pulumi, no clock of its own.
import { DateTime } from "luxon";
import { createHash } from "crypto";
import {
    PERIOD_START_MARKER, PlannedCredential, RotationSchedule, SCHEDULE_EPOCH, SERVES_UNTIL_MARKER, SLOT_NAMES, periodIndexAt, periodStart,
    plannedCredentials, rotationSchedule, slotOf, toRfc3339,
} from "../../components/schedule";
import { TYPE_TOKENS } from "../../components/typeTokens";
import type { AnalyzedResource } from "../../policies/lib/runInProcess";

export const APPLICATION_PASSWORD_TYPE = "azuread:index/applicationPassword:ApplicationPassword";
const KEYRELAY_COMPONENT_TYPES = new Set<string>([TYPE_TOKENS.rotatedAppRegistration, TYPE_TOKENS.rotatingPassword]);

/** A resource as the plan holds it: what the policy pack sees. */
export type PlanResource = AnalyzedResource;

/** One keyrelay component (a RotatedAppRegistration, or a RotatingPassword of its own) and everything under it. */
export interface Unit {
    /** URN and name of the outermost keyrelay component. */
    readonly urn: string;
    readonly name: string;
    readonly type: string;
    readonly schedule: RotationSchedule;
    /** The in-service credential's period when the program ran. */
    readonly learnedPeriod: number;
    /** Every resource of the unit as the program declared it then, passwords included. */
    readonly learned: readonly PlanResource[];
    /** The learned passwords, by the period of their credential. */
    readonly passwordsByPeriod: ReadonlyMap<number, PlanResource>;
    /** A learned password's name without its slot letter; a credential's password is named prefix + slot. */
    readonly passwordNamePrefix: string;
    /** Learned dates, as written, to their place in the schedule. */
    readonly dates: ReadonlyMap<string, DateToken>;
}

/** A date written as `format` of periodStart(learnedPeriod + offset), plus validFor when `plusValidFor`. */
interface DateToken {
    readonly offset: number;
    readonly plusValidFor: boolean;
    readonly format: DateFormat;
}
type DateFormat = "rfc3339" | "iso" | "date";
const FORMATS: Record<DateFormat, (t: DateTime) => string> = {
    rfc3339: toRfc3339,
    iso: (t) => t.toUTC().toISO()!,
    date: (t) => t.toUTC().toISODate()!,
};
/** Offsets of the period starts a unit's inputs can hold, around the in-service period. */
const DATE_OFFSETS = [-4, -3, -2, -1, 0, 1, 2];

export interface LearnedFleet {
    readonly units: Unit[];
    /** Resources outside every keyrelay component: the same on every run of a program that does not read the clock itself. */
    readonly rest: PlanResource[];
    /** Why a unit cannot be derived (the plan then simulates); empty when every unit can. */
    readonly problems: string[];
}

function markerOf(password: PlanResource, marker: string): DateTime | undefined {
    const text = (password.inputs.rotateWhenChanged as Record<string, unknown> | undefined)?.[marker];
    if (typeof text !== "string") return undefined;
    const at = DateTime.fromISO(text, { zone: "utc" });
    return at.isValid ? at : undefined;
}

function instantOf(text: unknown): DateTime | undefined {
    if (typeof text !== "string") return undefined;
    const at = DateTime.fromISO(text, { zone: "utc" });
    return at.isValid ? at : undefined;
}

function isoDuration(ms: number): string {
    return `PT${ms / 1000}S`;
}

/** The schedule behind a RotatingPassword's passwords, checked against plannedCredentials at `at`. */
function scheduleOfPasswords(name: string, passwords: readonly PlanResource[], at: DateTime): { schedule: RotationSchedule } | { problem: string } {
    const facts = passwords.map((p) => ({ p, start: markerOf(p, PERIOD_START_MARKER), until: markerOf(p, SERVES_UNTIL_MARKER), end: instantOf(p.inputs.endDate) }));
    if (facts.length === 0 || facts.some((f) => !f.start || !f.until || !f.end)) return { problem: `${name}: a password without the keyrelay period markers or an endDate` };
    const newest = facts.reduce((a, b) => (b.start! > a.start! ? b : a));
    const everyMs = newest.until!.toMillis() - newest.start!.toMillis();
    const validForMs = newest.end!.toMillis() - newest.start!.toMillis();
    const offset = newest.start!.toMillis() - SCHEDULE_EPOCH.toMillis();
    const inferred: RotationSchedule = { everyMs, validForMs, phaseMs: ((offset % everyMs) + everyMs) % everyMs, slotPrefix: "" };
    let schedule = inferred;
    try {
        const named = rotationSchedule(name, { every: isoDuration(everyMs), validFor: isoDuration(validForMs) });
        if (named.everyMs === inferred.everyMs && named.validForMs === inferred.validForMs && named.phaseMs === inferred.phaseMs) schedule = named;
    } catch {
        // A schedule the component accepted but the names do not reproduce: the inferred one is checked below.
    }
    // The run declared the credential in service and, of the earlier ones, those its stack held
    // (components/heldCredentials.ts): every password must be a planned one, the one in service among them.
    const planned = plannedCredentials(schedule, at);
    const sameAs = (f: typeof facts[number], c: typeof planned[number]) =>
        f.start!.toMillis() === c.startDate.toMillis() && f.until!.toMillis() === c.servesUntil.toMillis() && f.end!.toMillis() === c.endDate.toMillis()
        && f.p.name.endsWith(c.slot);
    const matches = facts.every((f) => planned.some((c) => sameAs(f, c))) && facts.some((f) => sameAs(f, planned[planned.length - 1]));
    return matches ? { schedule } : { problem: `${name}: its passwords are not the ones the schedule plans at ${toRfc3339(at)}` };
}

/** Splits a stack (one run of the program at `at`) into keyrelay units and the rest. */
export function learnFleet(resources: readonly PlanResource[], at: DateTime): LearnedFleet {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const order = new Map(resources.map((r, i) => [r.urn, i]));
    const children = new Map<string, PlanResource[]>();
    for (const r of resources) {
        if (!r.parent) continue;
        const siblings = children.get(r.parent);
        if (siblings) siblings.push(r); else children.set(r.parent, [r]);
    }
    const outermost = (r: PlanResource): PlanResource => {
        let top = r;
        for (let up = r.parent ? byUrn.get(r.parent) : undefined; up && KEYRELAY_COMPONENT_TYPES.has(up.type); up = up.parent ? byUrn.get(up.parent) : undefined) top = up;
        return top;
    };
    const descendants = (root: PlanResource): PlanResource[] => {
        const all: PlanResource[] = [];
        const pending = [root];
        while (pending.length > 0) {
            const next = pending.pop()!;
            all.push(next);
            pending.push(...(children.get(next.urn) ?? []));
        }
        return all.sort((a, b) => order.get(a.urn)! - order.get(b.urn)!);
    };

    const units: Unit[] = [];
    const problems: string[] = [];
    const inUnits = new Set<string>();
    const roots = new Map<string, PlanResource[]>();
    for (const r of resources) {
        if (r.type !== TYPE_TOKENS.rotatingPassword) continue;
        const root = outermost(r);
        roots.set(root.urn, [...(roots.get(root.urn) ?? []), r]);
    }
    for (const [rootUrn, rotating] of roots) {
        const root = byUrn.get(rootUrn)!;
        const members = descendants(root);
        for (const m of members) inUnits.add(m.urn);
        if (rotating.length !== 1) {
            problems.push(`${root.name}: ${rotating.length} RotatingPasswords in one component`);
            continue;
        }
        const passwords = (children.get(rotating[0].urn) ?? []).filter((r) => r.type === APPLICATION_PASSWORD_TYPE);
        const found = scheduleOfPasswords(root.name, passwords, at);
        if ("problem" in found) {
            problems.push(found.problem);
            continue;
        }
        const schedule = found.schedule;
        const learnedPeriod = periodIndexAt(schedule, at);
        const passwordsByPeriod = new Map(passwords.map((p) => [periodIndexAt(schedule, markerOf(p, PERIOD_START_MARKER)!), p]));
        const [anyPeriod, anyPassword] = [...passwordsByPeriod.entries()][0];
        const dates = new Map<string, DateToken>();
        for (const offset of DATE_OFFSETS) {
            for (const plusValidFor of [false, true]) {
                const t = periodStart(schedule, learnedPeriod + offset).plus(plusValidFor ? schedule.validForMs : 0);
                for (const format of Object.keys(FORMATS) as DateFormat[]) {
                    const text = FORMATS[format](t);
                    if (!dates.has(text)) dates.set(text, { offset, plusValidFor, format });
                }
            }
        }
        units.push({
            urn: root.urn, name: root.name, type: root.type, schedule, learnedPeriod, learned: members, passwordsByPeriod,
            passwordNamePrefix: anyPassword.name.slice(0, anyPassword.name.length - slotOf(anyPeriod).length), dates,
        });
    }
    return { units, rest: resources.filter((r) => !inUnits.has(r.urn)), problems };
}

const derivedCredentials = new WeakMap<Unit, Map<number, { keyId: string; value: string }>>();

/** A stand-in keyId and value for the unit's credential of `period` (the plan never sees a real one). */
export function derivedCredential(unit: Unit, period: number): { keyId: string; value: string } {
    let byPeriod = derivedCredentials.get(unit);
    if (!byPeriod) derivedCredentials.set(unit, byPeriod = new Map());
    let credential = byPeriod.get(period);
    if (!credential) byPeriod.set(period, credential = newDerivedCredential(unit.name, period));
    return credential;
}

function newDerivedCredential(unitName: string, period: number): { keyId: string; value: string } {
    const hex = createHash("sha256").update(`${unitName}#${period}`).digest("hex");
    return {
        keyId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
        value: `kr${hex[32]}8Q~${Buffer.from(hex.slice(33, 64), "hex").toString("base64url").slice(0, 34).padEnd(34, "x")}`,
    };
}

const DATE_PATTERN = /\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z)?/g;
const SLOT_PATTERN = new RegExp(`\\bslot (${SLOT_NAMES.join("|")})\\b`, "g");

/** Per unit, a learned date and a shift in periods to the date it becomes: luxon's arithmetic is the slow part. */
const movedDates = new WeakMap<Unit, Map<string, string>>();

/**
 * Rewrites what the learned run wrote for `unit` as it reads `shift` periods later: strings renamed
 * outright (a password's keyId, value and URN), dates of the schedule, and "slot x" in names.
 */
class Rewriter {
    constructor(private readonly unit: Unit, private readonly shift: number, private readonly exact: ReadonlyMap<string, string>) {}

    text(value: string): string {
        const exact = this.exact.get(value);
        if (exact !== undefined) return exact;
        let out = value.replace(DATE_PATTERN, (date) => {
            const token = this.unit.dates.get(date);
            if (!token) return date;
            let moved = movedDates.get(this.unit);
            if (!moved) movedDates.set(this.unit, moved = new Map());
            const key = `${this.shift}|${date}`;
            let text = moved.get(key);
            if (text === undefined) {
                const t = periodStart(this.unit.schedule, this.unit.learnedPeriod + token.offset + this.shift).plus(token.plusValidFor ? this.unit.schedule.validForMs : 0);
                moved.set(key, text = FORMATS[token.format](t));
            }
            return text;
        });
        if (this.shift !== 0) out = out.replace(SLOT_PATTERN, (_, slot: string) => `slot ${slotOf(SLOT_NAMES.indexOf(slot as never) + this.shift)}`);
        return out;
    }

    value(value: unknown): unknown {
        if (typeof value === "string") return this.text(value);
        if (Array.isArray(value)) return value.map((v) => this.value(v));
        if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v)]));
        return value;
    }

    resource(r: PlanResource, name = r.name): PlanResource {
        return {
            type: r.type, name, urn: this.text(r.urn), parent: r.parent, inputs: this.value(r.inputs) as Record<string, unknown>,
            outputs: this.value(r.outputs) as Record<string, unknown>,
            propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, urns]) => [k, urns.map((u) => this.text(u))])),
        };
    }
}

function passwordUrn(unit: Unit, learned: PlanResource, name: string): string {
    return learned.urn.slice(0, learned.urn.length - learned.name.length) + name;
}

const renamesByUnit = new WeakMap<Unit, Map<number, Map<string, string>>>();

/** What the learned outputs of each learned password become when the credentials move by `shift` periods. */
function credentialRenames(unit: Unit, shift: number): Map<string, string> {
    let byShift = renamesByUnit.get(unit);
    if (!byShift) renamesByUnit.set(unit, byShift = new Map());
    let renames = byShift.get(shift);
    if (!renames) byShift.set(shift, renames = newCredentialRenames(unit, shift));
    return renames;
}

function newCredentialRenames(unit: Unit, shift: number): Map<string, string> {
    const renames = new Map<string, string>();
    for (const [period, password] of unit.passwordsByPeriod) {
        const moved = derivedCredential(unit, period + shift);
        if (typeof password.outputs.keyId === "string") renames.set(password.outputs.keyId, moved.keyId);
        if (typeof password.outputs.value === "string") renames.set(password.outputs.value, moved.value);
        const name = unit.passwordNamePrefix + slotOf(period + shift);
        renames.set(password.urn, passwordUrn(unit, password, name));
    }
    return renames;
}

/**
 * The unit's resources as the program declares them at `at`: every input and output a function of the
 * period. `declared`: the credentials the run declares (appRuns); default every planned one.
 */
export function unitResourcesAt(unit: Unit, at: DateTime, declared?: readonly PlannedCredential[]): PlanResource[] {
    const planned = declared ?? plannedCredentials(unit.schedule, at);
    const shift = planned[planned.length - 1].period - unit.learnedPeriod;
    const rewriter = new Rewriter(unit, shift, credentialRenames(unit, shift));
    const passwordUrns = new Set([...unit.passwordsByPeriod.values()].map((p) => p.urn));
    const resources: PlanResource[] = [];
    for (const learned of unit.learned) {
        if (!passwordUrns.has(learned.urn)) {
            resources.push(rewriter.resource(learned));
            continue;
        }
        if (learned !== unit.passwordsByPeriod.values().next().value) continue;
        // The passwords: one per planned credential, each from a learned password moved to its period.
        for (const credential of planned) {
            const [templatePeriod, template] = nearestLearnedPassword(unit, credential.period - shift);
            const own = credential.period - templatePeriod;
            const renames = credentialRenames(unit, own);
            const name = unit.passwordNamePrefix + credential.slot;
            const moved = new Rewriter(unit, own, renames).resource(template, name);
            const { keyId, value } = derivedCredential(unit, credential.period);
            resources.push({ ...moved, outputs: { ...moved.outputs, ...("keyId" in template.outputs ? { keyId } : {}), ...("value" in template.outputs ? { value } : {}) } });
        }
    }
    return resources;
}

function nearestLearnedPassword(unit: Unit, period: number): [number, PlanResource] {
    const exact = unit.passwordsByPeriod.get(period);
    if (exact) return [period, exact];
    return [...unit.passwordsByPeriod.entries()].reduce((a, b) => (Math.abs(b[0] - period) < Math.abs(a[0] - period) ? b : a));
}

/**
 * A unit's resources as a run of the program left them at `at`, with each password's keyId and
 * value replaced by the stand-ins unitResourcesAt uses, so the two can be compared.
 */
export function withDerivedCredentials(unit: Unit, resources: readonly PlanResource[], at: DateTime): PlanResource[] {
    const planned = plannedCredentials(unit.schedule, at);
    const renames = new Map<string, string>();
    for (const r of resources) {
        if (r.type !== APPLICATION_PASSWORD_TYPE || !r.name.startsWith(unit.passwordNamePrefix)) continue;
        const credential = planned.find((c) => r.name === unit.passwordNamePrefix + c.slot);
        if (!credential) continue;
        const derived = derivedCredential(unit, credential.period);
        if (typeof r.outputs.keyId === "string") renames.set(r.outputs.keyId, derived.keyId);
        if (typeof r.outputs.value === "string") renames.set(r.outputs.value, derived.value);
    }
    const rename = (value: unknown): unknown => {
        if (typeof value === "string") return renames.get(value) ?? value;
        if (Array.isArray(value)) return value.map(rename);
        if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rename(v)]));
        return value;
    };
    return resources.map((r) => ({ ...r, inputs: rename(r.inputs) as Record<string, unknown>, outputs: rename(r.outputs) as Record<string, unknown> }));
}

/** JSON with sorted keys and no undefined members: equal texts, equal resources. */
export function stableJson(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
    if (value && typeof value === "object") {
        return `{${Object.keys(value).sort().filter((k) => (value as Record<string, unknown>)[k] !== undefined)
            .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

/** The first difference between two views of the same resources, or undefined when they agree. */
export function firstDifference(expected: readonly PlanResource[], actual: readonly PlanResource[]): string | undefined {
    const view = (r: PlanResource) => stableJson({ type: r.type, name: r.name, parent: r.parent, inputs: r.inputs, outputs: r.outputs, propertyDependencies: r.propertyDependencies });
    const actualByUrn = new Map(actual.map((r) => [r.urn, r]));
    for (const r of expected) {
        const other = actualByUrn.get(r.urn);
        if (!other) return `${r.urn} is not declared by the program`;
        if (view(r) !== view(other)) {
            for (const field of ["inputs", "outputs", "propertyDependencies"] as const) {
                for (const key of new Set([...Object.keys(r[field]), ...Object.keys(other[field])])) {
                    const a = stableJson((r[field] as Record<string, unknown>)[key]);
                    const b = stableJson((other[field] as Record<string, unknown>)[key]);
                    if (a !== b) return `${r.urn}: ${field}.${key} is ${b}, derived ${a}`;
                }
            }
            return `${r.urn} differs`;
        }
    }
    const expectedUrns = new Set(expected.map((r) => r.urn));
    const extra = actual.find((r) => !expectedUrns.has(r.urn));
    return extra ? `${extra.urn} is declared by the program but not derived` : undefined;
}
