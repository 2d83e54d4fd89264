// The plan's timeline, derived: which runs a daily-scheduled `pulumi up` makes, and what each
// keyrelay credential goes through, computed from the schedule with the same pure functions the
// components call (plannedCredentials, nextRotation). Pure: no Pulumi, no clock of its own.
import { DateTime } from "luxon";
import { PlannedCredential, RotationSchedule, nextRotation, plannedCredentials, toRfc3339 } from "../../components/schedule";

/** The scheduled pipelines run daily at this hour (UTC); the plan's runs happen then too. */
export const DAILY_RUN_HOUR_UTC = 3;

/** The first daily run (DAILY_RUN_HOUR_UTC) strictly after `at` and not before `notBefore`. */
export function nextDailyRun(at: DateTime, notBefore: DateTime = at): DateTime {
    let tick = at.toUTC().startOf("day").set({ hour: DAILY_RUN_HOUR_UTC });
    if (tick < notBefore) tick = notBefore.toUTC().startOf("day").set({ hour: DAILY_RUN_HOUR_UTC });
    while (tick <= at || tick < notBefore) tick = tick.plus({ days: 1 });
    return tick;
}

/** The earliest instant after `at` at which one of these credentials changes role: its period ends, or it expires. */
export function nextChangeOf(credentials: readonly PlannedCredential[], at: DateTime): DateTime | undefined {
    let next: number | undefined;
    for (const credential of credentials) {
        for (const t of [credential.servesUntil.toMillis(), credential.endDate.toMillis()]) {
            if (t > at.toMillis() && (next === undefined || t < next)) next = t;
        }
    }
    return next === undefined ? undefined : DateTime.fromMillis(next, { zone: "utc" });
}

/** One run that changes what an app declares, and the credentials it declares from then on (oldest first, last in service). */
export interface AppRun {
    at: DateTime;
    declared: PlannedCredential[];
}

/**
 * The runs, from `from` to `until`, at which what an app declares changes: the first run, then the
 * first daily run at or after each instant one of its declared credentials changes role. Between
 * two of them every run declares the same as the earlier one. The first run starts from an empty
 * stack, so, as the component does (components/heldCredentials.ts), each run declares the
 * credential in service and, of the earlier ones, only those the run before it declared.
 */
export function appRuns(schedule: RotationSchedule, from: DateTime, until: DateTime): AppRun[] {
    const runs: AppRun[] = [];
    let held = new Set<number>();
    for (let at: DateTime | undefined = from; at !== undefined && at <= until;) {
        const declared = declaredAt(schedule, at, held);
        held = new Set(declared.map((c) => c.period));
        runs.push({ at, declared });
        const change = nextChangeOf(declared, at);
        at = change === undefined ? undefined : nextDailyRun(at, change);
    }
    return runs;
}

/** What a run at `at` declares when the stack holds the credentials of the periods `held`. */
export function declaredAt(schedule: RotationSchedule, at: DateTime, held: ReadonlySet<number>): PlannedCredential[] {
    return plannedCredentials(schedule, at).filter((c) => c.inService || held.has(c.period));
}

/** The run at or after `change`, given the first run at `from`: runs after it come at the daily hour. */
export function firstRunAtOrAfter(change: DateTime, from: DateTime): DateTime {
    return change <= from ? from : nextDailyRun(from, change);
}

/** Every run of the fleet: the first, and each one any app (or any other credential) needs. Sorted, distinct. */
export function fleetRuns(from: DateTime, until: DateTime, runsOfApps: readonly (readonly AppRun[])[], otherChanges: readonly DateTime[] = []): DateTime[] {
    const instants = new Set<number>([from.toMillis()]);
    for (const runs of runsOfApps) for (const run of runs) instants.add(run.at.toMillis());
    for (const change of otherChanges) {
        const run = firstRunAtOrAfter(change, from);
        if (run <= until) instants.add(run.toMillis());
    }
    return [...instants].sort((a, b) => a - b).map((t) => DateTime.fromMillis(t, { zone: "utc" }));
}

/** Every daily run from `from` to `until`. */
export function dailyRuns(from: DateTime, until: DateTime): DateTime[] {
    const runs: DateTime[] = [];
    for (let at = from; at <= until; at = nextDailyRun(at)) runs.push(at);
    return runs;
}

export interface CredentialFacts {
    slot: string;
    /** Period index: orders credentials, and names the derived ones. */
    period: number;
    /** Graph passwordCredential startDateTime: when it becomes valid. */
    startDateTime: string;
    /** Graph passwordCredential endDateTime: when it expires. */
    endDateTime: string;
    /** The run that created it. */
    issued: string;
    /** When Key Vault started pointing at it; undefined if it never served inside the horizon. */
    inServiceFrom: string | undefined;
    /** When the next credential replaced it in Key Vault; undefined if still in service at the horizon. */
    replaced: string | undefined;
    /** When a run deleted it from Entra; undefined if still there at the horizon. */
    removed: string | undefined;
}

export interface AppTimeline {
    nextRotation: string;
    /** The runs at which Key Vault switched to a newer credential (the first write is not a rotation). */
    rotations: string[];
    /** Every credential the runs issue, oldest first. */
    credentials: CredentialFacts[];
}

/**
 * What the runs `runs` (from appRuns) do to an app's credentials. A credential is valid from its
 * period's start when the component sends that as its startDate; a password sent without one is
 * valid from its creation, which Entra stamps (`startDateSent: false`).
 */
export function appTimeline(schedule: RotationSchedule, runs: readonly AppRun[], { startDateSent = true }: { startDateSent?: boolean } = {}): AppTimeline {
    const byPeriod = new Map<number, CredentialFacts>();
    const rotations: string[] = [];
    let inService: CredentialFacts | undefined;
    for (const run of runs) {
        const when = toRfc3339(run.at);
        const declared = new Set(run.declared.map((c) => c.period));
        for (const facts of byPeriod.values()) {
            if (facts.removed === undefined && !declared.has(facts.period)) facts.removed = when;
        }
        for (const credential of run.declared) {
            if (!byPeriod.has(credential.period)) {
                byPeriod.set(credential.period, {
                    slot: credential.slot, period: credential.period,
                    startDateTime: startDateSent ? toRfc3339(credential.startDate) : when, endDateTime: toRfc3339(credential.endDate),
                    issued: when, inServiceFrom: undefined, replaced: undefined, removed: undefined,
                });
            }
        }
        const serving = byPeriod.get(run.declared[run.declared.length - 1].period)!;
        if (serving !== inService) {
            if (inService) {
                inService.replaced = when;
                rotations.push(when);
            }
            serving.inServiceFrom ??= when;
            inService = serving;
        }
    }
    return {
        nextRotation: toRfc3339(nextRotation(schedule, runs[0].at)),
        rotations,
        credentials: [...byPeriod.values()].sort((a, b) => a.period - b.period),
    };
}
