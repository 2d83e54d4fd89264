// The rotation schedule: pure date math, no Pulumi and no network.
//
// Time is cut into periods of length `every`, shifted per app by a phase derived
// from its name. Credential k is issued at the start of period k, serves (is the
// one Key Vault points at) until period k+1 starts, and lives `validFor`.
// Three slots hold credential k in slot k mod 3. The planned set at instant t is:
//   - credential k   (in service),
//   - credential k-1 (retiring: apps that cached it keep working),
//   - credential k-2 while it is still valid (a run that was missed for up to two
//     periods still finds the credential Key Vault held, undeleted).
// Everything is a function of t through the period index alone, so a re-run
// inside a period declares exactly the same inputs.
import { DateTime, Duration } from "luxon";
import { DAY_MS } from "../policies/lib/timeBasics";

export { DAY_MS, toRfc3339, SERVES_UNTIL_MARKER, PERIOD_START_MARKER } from "../policies/lib/timeBasics";
/** Periods are counted from here; any fixed instant works, it only has to never change. */
export const SCHEDULE_EPOCH = DateTime.fromISO("2000-01-01T00:00:00Z", { zone: "utc" });
export const DEFAULT_EVERY = "P90D";
/** A scheduled run may come this late and every guarantee still holds. */
export const LATE_RUN_ALLOWANCE_MS = DAY_MS;
/** The in-service credential keeps at least this much life by default (the policy pack warns at 14 days). */
export const DEFAULT_MIN_LIFE_IN_SERVICE_MS = 15 * DAY_MS;
/** Entra's portal limit, and the provider's silent default when no end date is sent. */
export const MAX_VALID_FOR_MS = 730 * DAY_MS;
export const MIN_EVERY_MS = DAY_MS;
export const SLOT_NAMES = ["a", "b", "c"] as const;
export type SlotName = (typeof SLOT_NAMES)[number];

export interface RotationSchedule {
    /** Length of one rotation period, in milliseconds (months count as 30 days, years as 365). */
    readonly everyMs: number;
    /** Life of each credential, in milliseconds. */
    readonly validForMs: number;
    /** Offset of this app's period boundaries from the epoch, whole days, in [0, every). */
    readonly phaseMs: number;
}

export interface PlannedCredential {
    /** Period index: credential k is issued when period k starts. */
    readonly period: number;
    readonly slot: SlotName;
    readonly startDate: DateTime;
    readonly endDate: DateTime;
    /** When the next credential takes over in Key Vault. */
    readonly servesUntil: DateTime;
    readonly inService: boolean;
}

/** A thrown problem with one input of one resource; the message says what to change. */
export class InputError extends Error {
    constructor(
        readonly resource: string,
        readonly field: string,
        problem: string,
        fix: string,
    ) {
        super(`keyrelay: ${resource}: ${field} ${problem}. ${fix}`);
        this.name = "InputError";
    }
}

export function parseIsoDuration(text: string, resource: string, field: string): number {
    const duration = Duration.fromISO(text);
    if (!duration.isValid) {
        throw new InputError(resource, field, `is ${JSON.stringify(text)}, not an ISO-8601 duration (${duration.invalidExplanation ?? duration.invalidReason})`,
            `Write a duration such as "P90D" (90 days) or "P6M" (six months).`);
    }
    const ms = duration.toMillis();
    if (!Number.isFinite(ms) || ms <= 0) {
        throw new InputError(resource, field, `is ${JSON.stringify(text)}, which is not a positive duration`, `Write a duration such as "P90D".`);
    }
    return ms;
}

export function formatDays(ms: number): string {
    const days = ms / DAY_MS;
    return Number.isInteger(days) ? `${days} days` : `${days.toFixed(2)} days`;
}

/** The shortest validFor that keeps the retiring credential valid for a full period after a run a day late. */
export function minimumValidForMs(everyMs: number): number {
    return 2 * everyMs + LATE_RUN_ALLOWANCE_MS;
}

export function defaultValidForMs(everyMs: number): number {
    return Math.max(minimumValidForMs(everyMs), everyMs + DEFAULT_MIN_LIFE_IN_SERVICE_MS);
}

export interface RotationSettings {
    /** ISO-8601 duration between rotations; default P90D. */
    every?: string;
    /** ISO-8601 life of each credential; default 2 × every + 1 day (at least every + 15 days). */
    validFor?: string;
}

/** Validates the settings and derives the schedule of the app named `appName`. */
export function rotationSchedule(appName: string, settings: RotationSettings = {}, resource = appName): RotationSchedule {
    const everyText = settings.every ?? DEFAULT_EVERY;
    const everyMs = parseIsoDuration(everyText, resource, "rotation.every");
    if (everyMs < MIN_EVERY_MS) {
        throw new InputError(resource, "rotation.every", `is ${everyText}, under one day`,
            `Rotate at most once a day: use "P1D" or longer (the default is "${DEFAULT_EVERY}").`);
    }
    const longestEvery = (MAX_VALID_FOR_MS - LATE_RUN_ALLOWANCE_MS) / 2;
    if (everyMs > longestEvery) {
        throw new InputError(resource, "rotation.every", `is ${everyText} (${formatDays(everyMs)}); the overlap needs validFor = 2 × every + 1 day, which would pass the two-year limit`,
            `Use "P364D" or less; Microsoft recommends rotating at least every six months ("P180D").`);
    }
    const minimum = minimumValidForMs(everyMs);
    let validForMs: number;
    if (settings.validFor === undefined) {
        validForMs = defaultValidForMs(everyMs);
    } else {
        validForMs = parseIsoDuration(settings.validFor, resource, "rotation.validFor");
        if (validForMs > MAX_VALID_FOR_MS) {
            throw new InputError(resource, "rotation.validFor", `is ${settings.validFor} (${formatDays(validForMs)}), over the two-year limit Entra allows`,
                `Use "P2Y" or less, and rotate more often instead.`);
        }
        if (validForMs < minimum) {
            throw new InputError(resource, "rotation.validFor", `is ${settings.validFor} (${formatDays(validForMs)}), too short for every = ${everyText}: a retiring credential must stay valid a full period after the run that replaces it`,
                `Use at least 2 × every + 1 day ("P${Math.ceil(minimum / DAY_MS)}D"), or leave validFor out to get that default.`);
        }
    }
    return { everyMs, validForMs, phaseMs: rotationPhaseDays(appName, everyMs) * DAY_MS };
}

function fnv1a32(text: string): number {
    let hash = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
        hash ^= text.charCodeAt(i);
        hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash >>> 0;
}

const GOLDEN_RATIO_FRACTION = (Math.sqrt(5) - 1) / 2;

/**
 * The app's rotation day within the period, from its name alone. Fleets are
 * usually named with a running number ("svc-001", "svc-002", ...): the number
 * walks a golden-ratio sequence, which spreads consecutive numbers far more
 * evenly than a hash; the rest of the name is hashed.
 */
export function rotationPhaseDays(appName: string, everyMs: number): number {
    const days = Math.max(1, Math.floor(everyMs / DAY_MS));
    const match = /^(.*?)(\d+)(\D*)$/.exec(appName);
    const base = match ? `${match[1]}#${match[3]}` : appName;
    const number = match ? Number(match[2].slice(-12)) : 0;
    const fraction = (fnv1a32(base) / 2 ** 32 + number * GOLDEN_RATIO_FRACTION) % 1;
    return Math.floor(fraction * days);
}

export function periodIndexAt(schedule: RotationSchedule, at: DateTime): number {
    return Math.floor((at.toMillis() - SCHEDULE_EPOCH.toMillis() - schedule.phaseMs) / schedule.everyMs);
}

export function periodStart(schedule: RotationSchedule, period: number): DateTime {
    return DateTime.fromMillis(SCHEDULE_EPOCH.toMillis() + schedule.phaseMs + period * schedule.everyMs, { zone: "utc" });
}

export function slotOf(period: number): SlotName {
    return SLOT_NAMES[((period % 3) + 3) % 3];
}

export function credentialOfPeriod(schedule: RotationSchedule, period: number, inService: boolean): PlannedCredential {
    const startDate = periodStart(schedule, period);
    return {
        period,
        slot: slotOf(period),
        startDate,
        endDate: startDate.plus(schedule.validForMs),
        servesUntil: periodStart(schedule, period + 1),
        inService,
    };
}

/** The credentials that should exist at `at`, oldest first; the last one is in service. */
export function plannedCredentials(schedule: RotationSchedule, at: DateTime): PlannedCredential[] {
    const current = periodIndexAt(schedule, at);
    const planned: PlannedCredential[] = [];
    for (let period = current - 2; period <= current; period++) {
        const credential = credentialOfPeriod(schedule, period, period === current);
        if (period >= current - 1 || credential.endDate > at) planned.push(credential);
    }
    return planned;
}

export function inServiceCredential(schedule: RotationSchedule, at: DateTime): PlannedCredential {
    return credentialOfPeriod(schedule, periodIndexAt(schedule, at), true);
}

export function nextRotation(schedule: RotationSchedule, at: DateTime): DateTime {
    return periodStart(schedule, periodIndexAt(schedule, at) + 1);
}


