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
//
// A change of schedule is declared, not detected (no state is kept between runs):
// `since` says when the new schedule takes over and `previous` what ran before.
// Until `since` the previous schedule runs on; from `since` the new one issues its
// own credentials in its own slots (named after `since`), and the previous
// schedule's credentials of that instant stay declared, unchanged, for the longer
// of the two periods plus a late day, or until their own end when that is sooner.
import { DateTime, Duration } from "luxon";
import { DAY_MS, DEFAULT_MAX_LIFETIME_DAYS, DEFAULT_MIN_DAYS_REMAINING } from "../policies/lib/contract";
import { InputError } from "../lib/errors";

export { DAY_MS, toRfc3339, SERVES_UNTIL_MARKER, PERIOD_START_MARKER } from "../policies/lib/contract";
/** Periods are counted from here; any fixed instant works, it only has to never change. */
export const SCHEDULE_EPOCH = DateTime.fromISO("2000-01-01T00:00:00Z", { zone: "utc" });
/** The longest period whose default credentials (2 × every + 1 day = 179 days) fit a 180-day tenant limit. */
export const DEFAULT_EVERY = "P89D";
/** A scheduled run may come this late and every guarantee still holds. */
export const LATE_RUN_ALLOWANCE_MS = DAY_MS;
/**
 * The in-service credential keeps this much life even on a run a day late, so Key Vault's
 * version passes the policy pack's credential-expiry-near (14 days by default) on every run.
 */
export const MIN_LIFE_IN_SERVICE_MS = DEFAULT_MIN_DAYS_REMAINING * DAY_MS;
/** The policy pack's default credential-lifetime limit (365 days; Microsoft recommends under 12 months). */
export const MAX_VALID_FOR_MS = DEFAULT_MAX_LIFETIME_DAYS * DAY_MS;
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
    /** When this schedule took over from `previous` (epoch ms, midnight UTC); undefined: from the start. */
    readonly sinceMs?: number;
    /** Prefix of this schedule's slot names: "" without `since`, else "<yyyymmdd>-". */
    readonly slotPrefix: string;
    /** The schedule before `since`; its credentials of that instant are kept for the transition. */
    readonly previous?: RotationSchedule;
}

export interface PlannedCredential {
    /** Period index of its own schedule: credential k is issued when period k starts. */
    readonly period: number;
    /** Resource-name suffix of its slot: "a", "b", "c", or after a schedule change "<yyyymmdd>-a" etc. */
    readonly slot: string;
    /** Start of its period; Entra stamps the credential's own start when it is created, at or after this. */
    readonly startDate: DateTime;
    readonly endDate: DateTime;
    /** When the next credential takes over in Key Vault. */
    readonly servesUntil: DateTime;
    readonly inService: boolean;
}

export function parseIsoDuration(text: string, resource: string, field: string): number {
    const duration = typeof text === "string" ? Duration.fromISO(text) : Duration.invalid("not text");
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

/**
 * The shortest validFor: the retiring credential stays valid a full period after a run a day
 * late (2 × every + 1 day), and the in-service one keeps 14 days of life on a run a day late
 * (every + 15 days), so every accepted schedule passes the policy pack's defaults.
 */
export function minimumValidForMs(everyMs: number): number {
    return Math.max(2 * everyMs + LATE_RUN_ALLOWANCE_MS, everyMs + LATE_RUN_ALLOWANCE_MS + MIN_LIFE_IN_SERVICE_MS);
}

export function defaultValidForMs(everyMs: number): number {
    return minimumValidForMs(everyMs);
}

/** The longest `every`, in whole days, whose default validFor fits in `maxLifetimeMs`; 0 if none does. */
export function longestEveryDaysWithin(maxLifetimeMs: number): number {
    let days = Math.floor(maxLifetimeMs / DAY_MS);
    while (days >= 1 && defaultValidForMs(days * DAY_MS) > maxLifetimeMs) days--;
    return Math.max(days, 0);
}

export interface PreviousRotationSettings {
    /** The `every` that ran before the change. */
    every?: string;
    /** The `validFor` that ran before the change. */
    validFor?: string;
    /** The `since` that schedule had, if it had one (it named its slots). */
    since?: string;
}

export interface RotationSettings {
    /** ISO-8601 duration between rotations; default P89D. */
    every?: string;
    /** ISO-8601 life of each credential; default and minimum max(2 × every + 1 day, every + 15 days). */
    validFor?: string;
    /**
     * Date (YYYY-MM-DD, midnight UTC) this schedule takes over from `previous`. It names this
     * schedule's slots, so keep it for as long as the schedule runs.
     */
    since?: string;
    /** The schedule that ran before `since`: its credentials stay for the transition. */
    previous?: PreviousRotationSettings;
}

export interface RotationLimits {
    /** The tenant's app management policy passwordLifetime maxLifetime (ISO-8601), if any. */
    maxLifetime?: string;
}

function parseSince(text: string, resource: string, field: string): DateTime {
    const at = /^\d{4}-\d{2}-\d{2}$/.test(String(text)) ? DateTime.fromISO(text, { zone: "utc" }) : DateTime.invalid("not a date");
    if (!at.isValid) {
        throw new InputError(resource, field, `is ${JSON.stringify(text)}, not a date`, `Write the day the new schedule takes over as YYYY-MM-DD, for example "2027-03-01".`);
    }
    return at;
}

function checkedSchedule(appName: string, every: string | undefined, validFor: string | undefined, resource: string, prefix: string): { everyMs: number; validForMs: number; phaseMs: number } {
    const everyText = every ?? DEFAULT_EVERY;
    const everyMs = parseIsoDuration(everyText, resource, `${prefix}every`);
    if (everyMs < MIN_EVERY_MS) {
        throw new InputError(resource, `${prefix}every`, `is ${everyText}, under one day`,
            `Rotate at most once a day: use "P1D" or longer (the default is "${DEFAULT_EVERY}").`);
    }
    const longestEvery = longestEveryDaysWithin(MAX_VALID_FOR_MS);
    if (everyMs > longestEvery * DAY_MS) {
        throw new InputError(resource, `${prefix}every`, `is ${everyText} (${formatDays(everyMs)}); the overlap needs validFor = 2 × every + 1 day, which would pass the ${formatDays(MAX_VALID_FOR_MS)} the policy pack allows a credential`,
            `Use "P${longestEvery}D" or less; Microsoft recommends rotating at least every six months.`);
    }
    const minimum = minimumValidForMs(everyMs);
    let validForMs: number;
    if (validFor === undefined) {
        validForMs = defaultValidForMs(everyMs);
    } else {
        validForMs = parseIsoDuration(validFor, resource, `${prefix}validFor`);
        if (validForMs > MAX_VALID_FOR_MS) {
            throw new InputError(resource, `${prefix}validFor`, `is ${validFor} (${formatDays(validForMs)}), over the ${formatDays(MAX_VALID_FOR_MS)} the policy pack's credential-lifetime allows (Microsoft recommends under 12 months)`,
                `Use "P${MAX_VALID_FOR_MS / DAY_MS}D" or less, and rotate more often instead.`);
        }
        if (validForMs < minimum) {
            throw new InputError(resource, `${prefix}validFor`, `is ${validFor} (${formatDays(validForMs)}), too short for every = ${everyText}: a retiring credential must stay valid a full period after a run a day late, and the one in service keep ${formatDays(MIN_LIFE_IN_SERVICE_MS)} of life (the policy pack's credential-expiry-near)`,
                `Use at least max(2 × every + 1 day, every + 15 days) ("P${Math.ceil(minimum / DAY_MS)}D"), or leave validFor out to get that default.`);
        }
    }
    return { everyMs, validForMs, phaseMs: rotationPhaseDays(appName, everyMs) * DAY_MS };
}

function slotPrefixOf(since: DateTime | undefined): string {
    return since ? `${since.toFormat("yyyyMMdd")}-` : "";
}

/** Validates the settings and derives the schedule of the app named `appName`. */
export function rotationSchedule(appName: string, settings: RotationSettings = {}, resource = appName, limits: RotationLimits = {}): RotationSchedule {
    const current = checkedSchedule(appName, settings.every, settings.validFor, resource, "rotation.");
    if (limits.maxLifetime !== undefined) checkTenantLifetime(current, settings, limits.maxLifetime, resource);
    const since = settings.since === undefined ? undefined : parseSince(settings.since, resource, "rotation.since");
    let previous: RotationSchedule | undefined;
    if (settings.previous !== undefined) {
        if (!since) {
            throw new InputError(resource, "rotation.previous", "is set without rotation.since, so keyrelay cannot tell when the new schedule takes over",
                `Set rotation.since to the day the new schedule starts (YYYY-MM-DD, ideally a day after your next run), and keep it afterwards: it names the new schedule's slots.`);
        }
        const old = settings.previous;
        const oldSince = old.since === undefined ? undefined : parseSince(old.since, resource, "rotation.previous.since");
        if (oldSince && oldSince >= since) {
            throw new InputError(resource, "rotation.previous.since", `is ${old.since}, not before rotation.since ${settings.since}`,
                "Set rotation.previous.since to the since the previous schedule had (or leave it out if it had none).");
        }
        previous = { ...checkedSchedule(appName, old.every, old.validFor, resource, "rotation.previous."), sinceMs: oldSince?.toMillis(), slotPrefix: slotPrefixOf(oldSince) };
    }
    return { ...current, sinceMs: since?.toMillis(), slotPrefix: slotPrefixOf(since), previous };
}

/** Entra refuses, at apply time, a password living longer than the tenant's passwordLifetime: refuse the schedule first. */
function checkTenantLifetime(schedule: { everyMs: number; validForMs: number }, settings: RotationSettings, maxLifetime: string, resource: string): void {
    const maxMs = parseIsoDuration(maxLifetime, resource, "maxLifetime");
    if (schedule.validForMs <= maxMs) return;
    const fitting = longestEveryDaysWithin(maxMs);
    const problem = `is ${maxLifetime} (${formatDays(maxMs)}), shorter than this schedule's credentials (validFor ${formatDays(schedule.validForMs)}${settings.validFor === undefined ? `, the default for every = ${settings.every ?? DEFAULT_EVERY}` : ""}): Entra would refuse each new password with CredentialInvalidLifetimeAsPerAppPolicy`;
    const fix = fitting < 1
        ? `No schedule fits: the overlap needs at least 16 days of life. Ask for a longer tenant limit.`
        : `Use rotation.every "P${fitting}D" or shorter with validFor left out (or at most "P${Math.floor(maxMs / DAY_MS)}D"), so that validFor fits the limit.`;
    throw new InputError(resource, "maxLifetime", problem, fix);
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
        slot: `${schedule.slotPrefix}${slotOf(period)}`,
        startDate,
        endDate: startDate.plus(schedule.validForMs),
        servesUntil: periodStart(schedule, period + 1),
        inService,
    };
}

/** The credentials of one schedule alone at `at`, oldest first, never one of a period before its `since`. */
function ownCredentials(schedule: RotationSchedule, at: DateTime): PlannedCredential[] {
    const current = periodIndexAt(schedule, at);
    const first = schedule.sinceMs === undefined ? -Infinity : periodIndexAt(schedule, DateTime.fromMillis(schedule.sinceMs, { zone: "utc" }));
    const planned: PlannedCredential[] = [];
    for (let period = Math.max(current - 2, first); period <= current; period++) {
        const credential = credentialOfPeriod(schedule, period, period === current);
        if (period >= current - 1 || credential.endDate > at) planned.push(credential);
    }
    return planned;
}

/** When the previous schedule's credentials of the change stop being declared: the longer period plus a late day after `since`. */
export function transitionEnd(schedule: RotationSchedule): DateTime | undefined {
    if (schedule.previous === undefined || schedule.sinceMs === undefined) return undefined;
    return DateTime.fromMillis(schedule.sinceMs + Math.max(schedule.everyMs, schedule.previous.everyMs) + LATE_RUN_ALLOWANCE_MS, { zone: "utc" });
}

/**
 * The credentials that should exist at `at`, oldest first; the last one is in service.
 * Before `since` that is the previous schedule's set; from `since` this schedule's own, after
 * the previous schedule's credentials of `since` while the transition lasts and they are valid.
 */
export function plannedCredentials(schedule: RotationSchedule, at: DateTime): PlannedCredential[] {
    const since = schedule.sinceMs;
    if (since !== undefined && at.toMillis() < since) {
        if (!schedule.previous) return [];
        return plannedCredentials(schedule.previous, at);
    }
    const own = ownCredentials(schedule, at);
    const end = transitionEnd(schedule);
    if (!schedule.previous || !end || at >= end) return own;
    const kept = plannedCredentials(schedule.previous, DateTime.fromMillis(since! - 1, { zone: "utc" }))
        .filter((c) => c.endDate > at)
        .map((c) => ({ ...c, inService: false }));
    return [...kept, ...own];
}

export function inServiceCredential(schedule: RotationSchedule, at: DateTime): PlannedCredential {
    const planned = plannedCredentials(schedule, at);
    if (planned.length === 0) return credentialOfPeriod(schedule, periodIndexAt(schedule, at), true);
    return planned[planned.length - 1];
}

/** When a run next issues a credential (a rotation, or the change of schedule at `since`). */
export function nextRotation(schedule: RotationSchedule, at: DateTime): DateTime {
    if (schedule.sinceMs !== undefined && at.toMillis() < schedule.sinceMs) {
        const since = DateTime.fromMillis(schedule.sinceMs, { zone: "utc" });
        if (!schedule.previous) return since;
        const previousNext = nextRotation(schedule.previous, at);
        return previousNext < since ? previousNext : since;
    }
    return periodStart(schedule, periodIndexAt(schedule, at) + 1);
}
