// The owners a keyrelay app already has, read from the stack's last state (components/lastState.ts):
// with no owners declared, each run declares these plus the deploying principal, so owners are
// added and never removed (issue 16 §1). The provider's Read records the live owners in the
// Application's and ServicePrincipal's `owners` output (application_resource.go applicationResourceRead,
// service_principal_resource.go servicePrincipalResourceRead: `tf.Set(d, "owners", ownerIds)`).
// Pure: no Pulumi, no network.
import type { LastStateIndex } from "./lastState";
import { PROVIDER_TYPE_TOKENS } from "../policies/lib/contract";

/**
 * The owners recorded on the Application `name` and the ServicePrincipal `name`-sp, for the component's
 * name and each name it is aliased from, lower case, each once. Matched by type and name under any
 * parent, so a component that changed type (a RotatedAppRegistration aliased into a
 * FederatedAppRegistration) or name (its children inherit the alias, the old name for the new one:
 * https://www.pulumi.com/docs/iac/concepts/options/aliases/) still finds them.
 */
export function ownersAlreadyThere(state: Pick<LastStateIndex, "named">, name: string, formerNames: readonly string[] = []): string[] {
    const owners = new Set<string>();
    for (const n of [name, ...formerNames]) {
        const objects = [
            ...state.named(n).filter((r) => r.type === PROVIDER_TYPE_TOKENS.application),
            ...state.named(`${n}-sp`).filter((r) => r.type === PROVIDER_TYPE_TOKENS.servicePrincipal),
        ];
        for (const r of objects) {
            const recorded = r.outputs.owners;
            if (Array.isArray(recorded)) for (const o of recorded) if (typeof o === "string") owners.add(o.toLowerCase());
        }
    }
    return [...owners].sort();
}

/** The former names in a component's `aliases`: a name given as text, or the last part of an alias URN. */
export function formerNames(aliases: readonly unknown[] | undefined): string[] {
    const names: string[] = [];
    for (const alias of aliases ?? []) {
        if (typeof alias === "string") {
            const name = alias.split("::").pop();
            if (name) names.push(name);
        } else if (alias && typeof alias === "object" && typeof (alias as { name?: unknown }).name === "string") {
            names.push((alias as { name: string }).name);
        }
    }
    return names;
}

/** The owners already there and the deployer, each once: a run adds its deployer and removes no one. */
export function ownerUnion(already: readonly string[], deployer: string): string[] {
    const union = new Set(already.map((o) => o.toLowerCase()));
    union.add(deployer.toLowerCase());
    return [...union].sort();
}
