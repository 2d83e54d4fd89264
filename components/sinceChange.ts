// Whether `rotation.since` may change in this run: pure, for the provider's check() (which sees the
// since recorded in state) and for anyone else who knows the old value.
//
// `since` names the new schedule's slots and says which of the previous schedule's credentials
// stay for the transition (those of the instant before `since`, components/schedule.ts). A since
// newly set, or moved, to a day before the run renames every slot at once, and the previous
// schedule's credentials "of since" are not the one Key Vault holds when runs went on after
// that day: the held credential is deleted in the same run that stops declaring it.
// At declaration a new since in the past cannot be told from one kept since its transition
// (which is fine), so the rule needs the since of the last run.
import { DateTime } from "luxon";
import { InputError } from "../lib/errors";

/** YYYY-MM-DD of the UTC day `at` falls on. */
function utcDay(at: DateTime): string {
    return at.toUTC().toISODate()!;
}

/**
 * Refuses a `since` that differs from the one recorded at the last run and lies before the run's
 * UTC date. An unchanged since (however old) and a since of today or later pass. A first deploy
 * (nothing recorded: pass `firstDeploy`) holds no credential to lose and passes too. Removing
 * since (newSince undefined) is a schedule change for the undeclared-change check, not this rule.
 */
export function checkSinceChange(
    oldSince: string | undefined,
    newSince: string | undefined,
    now: DateTime = DateTime.utc(),
    options: { resource?: string; firstDeploy?: boolean } = {},
): void {
    if (options.firstDeploy || newSince === undefined || newSince === oldSince) return;
    const today = utcDay(now);
    // Both are YYYY-MM-DD (rotationSchedule refuses anything else), so text order is date order.
    if (newSince >= today) return;
    const tomorrow = utcDay(now.plus({ days: 1 }));
    throw new InputError(options.resource ?? "RotatedAppRegistration", "rotation.since",
        `is ${newSince}, before this run (${today}), and ${oldSince === undefined ? "is newly set" : `was ${oldSince} at the last run`}: ` +
        "it would rename every slot now and delete the credential Key Vault holds in this same run",
        `Set rotation.since to "${tomorrow}" or later (keep previous as it is); once set, keep it unchanged.`);
}
