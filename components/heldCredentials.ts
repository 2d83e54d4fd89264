// Which earlier credentials a run keeps declaring (issue 16 §5): only those the stack already holds.
// A credential is created only while it is the one in service, on the run that writes it to Key Vault.
// An earlier slot (retiring, or the one before it) is declared again only to keep a password that
// exists alive until its end, never to create one: on a first deploy, or after runs were missed, an
// earlier slot's password would be a live secret Key Vault never held, kept only in state, and a
// Graph write for nothing. So no password is ever created with less than the in-service life
// (validFor - every, at least 15 days), far from Entra's KeyCredentialsInvalidEndDate.
//
// A held password is declared with the display name it was created with: every input of an
// azuread.ApplicationPassword forces a replacement, so a component renamed with `aliases` (its
// display-name prefix is the component's name) must not send a new one.
// Pure: no Pulumi, no network, no clock.
import { PERIOD_START_MARKER, PlannedCredential, toRfc3339 } from "./schedule";
import type { LastStateIndex } from "./lastState";

/**
 * The passwords the last state holds for one application: display name by period start (RFC 3339).
 * A plain object, not a Map: it travels through pulumi.all, which rebuilds plain objects only.
 */
export type HeldPasswords = Readonly<Record<string, string>>;

/**
 * The application's keyrelay passwords in the last state, keyed by their period-start marker (a
 * credential's period start is its identity; its slot letter repeats every three periods), or
 * undefined when the engine could not say.
 */
export function heldPasswords(lastState: Pick<LastStateIndex, "passwordsOf"> | undefined, applicationId: string): HeldPasswords | undefined {
    if (lastState === undefined) return undefined;
    const held: Record<string, string> = {};
    for (const r of lastState.passwordsOf(applicationId)) {
        const start = (r.outputs.rotateWhenChanged as Record<string, unknown> | undefined)?.[PERIOD_START_MARKER];
        if (typeof start === "string" && typeof r.outputs.displayName === "string") held[start] = r.outputs.displayName;
    }
    return held;
}

/** The display name a credential's password has in the last state, if the stack holds it. */
export function heldDisplayName(held: HeldPasswords | undefined, credential: PlannedCredential): string | undefined {
    const start = toRfc3339(credential.startDate);
    return held !== undefined && Object.prototype.hasOwnProperty.call(held, start) ? held[start] : undefined;
}

/**
 * The earlier credentials whose password the last state holds. `held` undefined: the engine could not
 * say, so every earlier credential is declared, as before this rule (nothing is lost).
 */
export function heldCredentials(earlier: readonly PlannedCredential[], held: HeldPasswords | undefined): PlannedCredential[] {
    if (held === undefined) return [...earlier];
    return earlier.filter((c) => heldDisplayName(held, c) !== undefined);
}
