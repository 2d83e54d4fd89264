// A client secret that reaches no Key Vault secret has to be copied somewhere by hand, and nothing
// rotates that copy.
// https://learn.microsoft.com/azure/key-vault/secrets/tutorial-rotation-dual
import { DateTime } from "luxon";
import { isRetiringKeyrelayCredential, keyrelayServesUntil } from "./lib/keyrelayCredential";
import { describeResource, isPassword, secretValueSlot } from "./lib/resourceKinds";
import { StackViolation, resourcePolicy } from "./lib/resourcePolicy";
import type { StackResourceView } from "./lib/resourceView";

export const PASSWORD_STORED_IN_KEYVAULT = "password-stored-in-keyvault";

/** URNs whose outputs flow, directly or through other resources' inputs, into a Key Vault secret's value. */
export function urnsFlowingIntoVault(resources: readonly StackResourceView[]): Set<string> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const reached = new Set<string>();
    const pending: string[] = [];
    for (const resource of resources) {
        const slot = secretValueSlot(resource.type);
        if (slot) pending.push(...(resource.propertyDependencies[slot.dependencyKey] ?? []));
    }
    while (pending.length > 0) {
        const urn = pending.pop()!;
        if (reached.has(urn)) continue;
        reached.add(urn);
        const source = byUrn.get(urn);
        if (source && !isPassword(source.type)) {
            for (const deps of Object.values(source.propertyDependencies)) pending.push(...deps);
        }
    }
    return reached;
}

/** A keyrelay slot's schedule: its name without the slot letter ("app-password-", "app-password-20270301-"). */
function scheduleOfSlot(name: string): string {
    return name.slice(0, -1);
}

/**
 * Every password whose value no Key Vault secret in the stack depends on (keyrelay's retiring
 * credentials aside: by their marker, or, during a declared change of schedule, the previous
 * schedule's credentials kept beside the new schedule's stored one under the same RotatingPassword).
 */
export function unstoredPasswordViolations(resources: readonly StackResourceView[], now: DateTime): StackViolation[] {
    const passwords = resources.filter((r) => isPassword(r.type) && !isRetiringKeyrelayCredential(r.type, r.props, r.urn, r.parent, now));
    if (passwords.length === 0) return [];
    const stored = urnsFlowingIntoVault(resources);
    const storedSchedules = new Map<string, string>();
    for (const r of resources) {
        if (stored.has(r.urn) && r.parent && keyrelayServesUntil(r.type, r.props, r.urn, r.parent) !== undefined) storedSchedules.set(r.parent, scheduleOfSlot(r.name));
    }
    const keptFromPreviousSchedule = (p: StackResourceView) => {
        const storedSchedule = p.parent === undefined ? undefined : storedSchedules.get(p.parent);
        return storedSchedule !== undefined && storedSchedule !== scheduleOfSlot(p.name) && keyrelayServesUntil(p.type, p.props, p.urn, p.parent) !== undefined;
    };
    return passwords.filter((p) => !stored.has(p.urn) && !keptFromPreviousSchedule(p)).map((password) => ({
        urn: password.urn,
        message: `${describeResource(password.type, password.name)}: its value flows into no Key Vault secret in this stack, so someone would have to copy it by hand, and nothing would rotate that copy. ` +
            "Write it to Key Vault in the same stack: use keyrelay's RotatedAppRegistration, or pass the password's `value` output to a keyrelay VaultSecret or an azure-native keyvault.Secret.",
    }));
}

export const passwordStoredInKeyVault = resourcePolicy({
    name: PASSWORD_STORED_IN_KEYVAULT,
    description: "Every Entra application or service principal password must flow into a Key Vault secret in the same stack.",
    level: "mandatory",
    stackCheck: unstoredPasswordViolations,
});
