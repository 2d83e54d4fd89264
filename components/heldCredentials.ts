// Which earlier credentials a run keeps declaring (issue 16 §5): only those the stack already holds.
// A credential is created only while it is the one in service, on the run that writes it to Key Vault.
// An earlier slot (retiring, or the one before it) is declared again only to keep a password that
// exists alive until its end, never to create one: on a first deploy, or after runs were missed, an
// earlier slot's password would be a live secret Key Vault never held, kept only in state, and a
// Graph write for nothing. So no password is ever created with less than the in-service life
// (validFor - every, at least 15 days), far from Entra's KeyCredentialsInvalidEndDate.
// Pure: no Pulumi, no network, no clock.
import type { PlannedCredential } from "./schedule";
import type { LastStateResource } from "./lastState";
import { PROVIDER_TYPE_TOKENS } from "../policies/lib/contract";

/**
 * The earlier credentials whose password the last state holds for this application: matched by the
 * application id and the display name keyrelay derives from the slot and its period (a slot name
 * repeats every three periods; the display name does not). `lastState` undefined: the engine could not
 * say, so every earlier credential is declared, as before this rule (nothing is lost).
 */
export function heldCredentials(earlier: readonly PlannedCredential[], lastState: readonly LastStateResource[] | undefined,
    applicationId: string, displayNameOf: (c: PlannedCredential) => string): PlannedCredential[] {
    if (lastState === undefined) return [...earlier];
    const held = new Set(lastState
        .filter((r) => r.type === PROVIDER_TYPE_TOKENS.applicationPassword && r.outputs.applicationId === applicationId)
        .map((r) => r.outputs.displayName));
    return earlier.filter((c) => held.has(displayNameOf(c)));
}
