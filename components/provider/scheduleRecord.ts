// The rotation schedule a RotatedAppRegistration ran, recorded in its VaultSecret's inputs, so the
// next run's check() (which the engine hands the old and the new inputs) can refuse a change of
// `every` or `validFor` that the program did not declare with `since` and `previous`: such a change
// renames every slot, and the run would delete the credential Key Vault holds. Pure: no Pulumi, no
// network; the provider's check() calls it in the engine's dynamic provider host.
import { DateTime, Duration } from "luxon";

/** One schedule: durations in milliseconds (as the schedule computes them), since as YYYY-MM-DD. */
export interface RecordedSchedule {
    everyMs: number;
    validForMs: number;
    since?: string;
    /** The rotation day: whole days from the epoch's cycle to the app's period starts (absent in older records). */
    phaseDays?: number;
}

export interface ScheduleRecord extends RecordedSchedule {
    previous?: RecordedSchedule;
}

const DAY_MS = 86_400_000;

/** "P90D" for whole days, else luxon's ISO form of the milliseconds. */
export function durationText(ms: number): string {
    return ms % DAY_MS === 0 ? `P${ms / DAY_MS}D` : Duration.fromMillis(ms).toISO() ?? `PT${ms / 1000}S`;
}

function durationMs(text: string): number | undefined {
    const duration = Duration.fromISO(text);
    return duration.isValid ? duration.as("milliseconds") : undefined;
}

function partText(s: RecordedSchedule): string {
    return `${durationText(s.everyMs)}/${durationText(s.validForMs)}${s.since ? `@${s.since}` : ""}${s.phaseDays !== undefined ? `+${s.phaseDays}D` : ""}`;
}

function parsePart(text: string): RecordedSchedule | undefined {
    const match = /^([^/@+]+)\/([^/@+]+)(?:@(\d{4}-\d{2}-\d{2}))?(?:\+(\d+)D)?$/.exec(text);
    if (!match) return undefined;
    const everyMs = durationMs(match[1]);
    const validForMs = durationMs(match[2]);
    if (everyMs === undefined || validForMs === undefined) return undefined;
    return { everyMs, validForMs, ...(match[3] ? { since: match[3] } : {}), ...(match[4] !== undefined ? { phaseDays: Number(match[4]) } : {}) };
}

/** "P90D/P181D+17D", "P60D/P121D@2027-03-01+5D<P89D/P179D+40D": short, because it is stored twice per app in state. */
export function scheduleRecordText(record: ScheduleRecord): string {
    return record.previous ? `${partText(record)}<${partText(record.previous)}` : partText(record);
}

export function parseScheduleRecord(text: unknown): ScheduleRecord | undefined {
    if (typeof text !== "string") return undefined;
    const [current, previous, extra] = text.split("<");
    if (extra !== undefined) return undefined;
    const parsed = parsePart(current);
    if (!parsed) return undefined;
    if (previous === undefined) return parsed;
    const parsedPrevious = parsePart(previous);
    return parsedPrevious ? { ...parsed, previous: parsedPrevious } : undefined;
}

function sameSchedule(a: RecordedSchedule | undefined, b: RecordedSchedule | undefined): boolean {
    return a !== undefined && b !== undefined && a.everyMs === b.everyMs && a.validForMs === b.validForMs && (a.since ?? "") === (b.since ?? "");
}

/** The schedule whose credentials are in service at `today`: the previous one until `since` arrives. */
function inForce(record: ScheduleRecord, today: string): RecordedSchedule {
    return record.since && record.previous && record.since > today ? record.previous : record;
}

/** The `rotation` block that declares the change from `old`'s schedule in force to `news`'s, taking over tomorrow. */
export function declaredRotationBlock(old: ScheduleRecord, news: ScheduleRecord, now: DateTime): string {
    const tomorrow = now.toUTC().plus({ days: 1 }).toISODate();
    const before = inForce(old, now.toUTC().toISODate()!);
    const previous = `{ every: "${durationText(before.everyMs)}", validFor: "${durationText(before.validForMs)}"${before.since ? `, since: "${before.since}"` : ""} }`;
    return `rotation: { every: "${durationText(news.everyMs)}", validFor: "${durationText(news.validForMs)}", since: "${tomorrow}", previous: ${previous} }`;
}

/**
 * Why the change from `oldText` to `newText` is undeclared, or undefined when it is fine: no record
 * before (a first deploy, or state from a release that kept none), the same every and validFor, or
 * a new schedule whose `previous` is the one in force (the transition keeps its credentials).
 */
export function undeclaredScheduleChange(oldText: unknown, newText: unknown, now: DateTime): string | undefined {
    const old = parseScheduleRecord(oldText);
    const news = parseScheduleRecord(newText);
    if (!old || !news) return undefined;
    if (old.everyMs === news.everyMs && old.validForMs === news.validForMs) return undefined;
    const today = now.toUTC().toISODate()!;
    if (news.since && sameSchedule(news.previous, inForce(old, today))) return undefined;
    // The transition has not begun: the schedule in force is still `previous`, and it is kept.
    if (old.since && old.since > today && news.since === old.since && sameSchedule(news.previous, old.previous)) return undefined;
    const before = inForce(old, today);
    return `changed from every ${durationText(before.everyMs)}, validFor ${durationText(before.validForMs)} ` +
        `to every ${durationText(news.everyMs)}, validFor ${durationText(news.validForMs)} without rotation.since and rotation.previous: ` +
        "every slot would be re-issued and the credential Key Vault holds deleted in this run";
}

/**
 * Why the rotation day moved, or undefined: the same every, validFor and since, both records with a
 * rotation day, and the days differ. The day is derived from the app's name (or `rotationKey`), so a
 * rename without the old name as the key moves it: every slot's dates change, every password is
 * re-issued and the credential Key Vault holds is deleted in that run.
 */
export function movedRotationDay(oldText: unknown, newText: unknown): string | undefined {
    const old = parseScheduleRecord(oldText);
    const news = parseScheduleRecord(newText);
    if (!old || !news || old.phaseDays === undefined || news.phaseDays === undefined) return undefined;
    if (!sameSchedule(old, news) || old.phaseDays === news.phaseDays) return undefined;
    return `moved its rotation day: periods of ${durationText(news.everyMs)} started ${old.phaseDays} days into the cycle, now ${news.phaseDays} ` +
        "(the app's name or rotationKey changed): every slot would be re-issued and the credential Key Vault holds deleted in this run";
}

interface ComputedSchedule {
    readonly everyMs: number;
    readonly validForMs: number;
    readonly phaseMs?: number;
    readonly sinceMs?: number;
    readonly previous?: ComputedSchedule;
}

function recordedOf(schedule: ComputedSchedule): RecordedSchedule {
    const since = schedule.sinceMs !== undefined ? DateTime.fromMillis(schedule.sinceMs, { zone: "utc" }).toISODate() : undefined;
    return {
        everyMs: schedule.everyMs, validForMs: schedule.validForMs, ...(since ? { since } : {}),
        ...(schedule.phaseMs !== undefined ? { phaseDays: Math.round(schedule.phaseMs / DAY_MS) } : {}),
    };
}

/** The record of a schedule as components/schedule.ts computes it (RotationSchedule). */
export function scheduleRecordOf(schedule: ComputedSchedule): string {
    return scheduleRecordText({ ...recordedOf(schedule), ...(schedule.previous ? { previous: recordedOf(schedule.previous) } : {}) });
}
