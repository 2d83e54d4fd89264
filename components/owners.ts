// Who owns a keyrelay app registration and its service principal: the same set whoever runs `pulumi up`.
//
// What the azuread provider does with `owners` (terraform-provider-azuread, which @pulumi/azuread bridges):
//   - create (application_resource.go applicationResourceCreate, service_principal_resource.go
//     servicePrincipalResourceCreate): the caller is sent as the first owner, then removed again
//     (`removeCallerOwner`) unless `owners` lists it. With no `owners` the new object has no owner at all.
//   - update (applicationResourceUpdate, servicePrincipalResourceUpdate): when `owners` changed it lists
//     the live owners and adds and removes until they are exactly the listed ones. `owners` is Optional and
//     not Computed, and Read stores the live owners, so leaving `owners` out of a later run is a change
//     to the empty set: every owner is removed.
//   - azuread.ApplicationOwner refuses to add an owner that is already there (application_owner_resource.go
//     Create: `ResourceRequiresImport`), and its docs call it incompatible with azuread_application.
//
// So a deployer-dependent `owners` input (the old `deployer ∪ owners`) made a user's run remove the
// pipeline from both objects; every later run under Application.ReadWrite.OwnedBy got 403.
//   - Declared owners (args `owners`, else stack config `keyrelay:owners`) are passed as they are: the same
//     list from every deployer, so no run changes them.
//   - With none declared, each run sends the owners already there (the stack's last state records the
//     live ones: components/ownerUnion.ts) plus the deploying principal: owners are added and never
//     removed, the pipeline stays whoever runs, and a person's run adds that person. An exact list the
//     program can read is what the provider needs: ApplicationOwner fails on an owner already present
//     (ResourceRequiresImport, above), and `ignoreChanges: ["owners"]` (earlier releases) could never
//     add one. When the last state cannot be read outside the mock runtime, the run fails before any
//     write rather than send a list that might remove someone.
import * as pulumi from "@pulumi/pulumi";
import { InputError, KeyrelayError } from "../lib/errors";
import { isPulumiOutput } from "./validate";
import { printable } from "../lib/terminalText";
import { lastStateIndex } from "./lastState";
import { ownerUnion, ownersAlreadyThere } from "./ownerUnion";

/**
 * "A maximum of 100 users and service principals can be owners of a single application."
 * https://learn.microsoft.com/entra/identity/users/directory-service-limits-restrictions (Applications);
 * the provider's schema says the same (`owners` MaxItems: 100 in application_resource.go).
 */
export const MAX_OWNERS = 100;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: unknown): value is string {
    return typeof value === "string" && GUID.test(value);
}

/**
 * Each owner a GUID, once (case-insensitively: the provider's set hashes the string, so "ABC…" and
 * "abc…" are two owners and a permanent diff against the lower-case ids Graph returns), at most 100.
 * Entries known only at deployment are checked when they resolve (see ownerIds).
 */
export function checkOwners(owners: unknown, resource: string, field = "owners"): void {
    if (owners === undefined) return;
    if (!Array.isArray(owners)) {
        throw new InputError(resource, field, `is ${JSON.stringify(owners) ?? String(owners)}, not a list`, 'List object ids: owners: ["<pipeline service principal object id>"].');
    }
    if (owners.length === 0) {
        throw new InputError(resource, field, "is an empty list, which would remove every owner",
            "List the pipeline's service principal object id (and any person who must manage the app), or leave owners out.");
    }
    const known = owners.filter((o) => !isPulumiOutput(o) && !(o instanceof Promise));
    ownerIds(known, resource, field, owners.length);
}

/** The owners as the provider should get them: lower case, each once, each a GUID, at most 100. */
export function ownerIds(owners: readonly unknown[], resource: string, field = "owners", declared = owners.length): string[] {
    const seen = new Set<string>();
    owners.forEach((owner, index) => {
        if (!isGuid(owner)) {
            throw new InputError(resource, `${field}[${index}]`, `is ${JSON.stringify(owner) ?? String(owner)}, not an object id (a GUID)`,
                "Use the principal's object id (Entra admin center > the user or enterprise application > Object ID), not its name or app id.");
        }
        seen.add(owner.toLowerCase());
    });
    const count = seen.size + (declared - owners.length);
    if (count > MAX_OWNERS) {
        throw new InputError(resource, field, `lists ${count} different owners; Entra allows at most ${MAX_OWNERS} per application`,
            "Keep the pipeline's service principal and a few people; grant the rest through a directory role instead.");
    }
    return [...seen];
}

/** The declared owners: the component's own `owners` win over the stack's `keyrelay:owners` (a per-app list is more specific). */
export function declaredOwners(argsOwners: readonly pulumi.Input<string>[] | undefined, stackOwners: readonly string[] | undefined): readonly pulumi.Input<string>[] | undefined {
    return argsOwners ?? stackOwners;
}

/** Stack config `keyrelay:owners`, checked like the argument. */
export function stackConfigOwners(resource: string): string[] | undefined {
    const raw = new pulumi.Config("keyrelay").getObject<unknown>("owners");
    if (raw === undefined) return undefined;
    checkOwners(raw, resource, "keyrelay:owners (stack config)");
    return ownerIds(raw as unknown[], resource, "keyrelay:owners (stack config)");
}

export interface OwnersInput {
    /** The `owners` input of the Application and the ServicePrincipal. */
    readonly owners: pulumi.Output<string[]>;
    /** Resource options that go with it. */
    readonly ignoreChanges: string[];
}

/** What the Application and ServicePrincipal get, given the declared owners (if any) and the deploying principal. */
export function ownersInput(resource: string, name: string, declared: readonly pulumi.Input<string>[] | undefined, deployer: pulumi.Input<string>,
    formerNames: readonly string[] = []): OwnersInput {
    if (declared !== undefined) {
        const owners = pulumi.all([pulumi.output(deployer), pulumi.all([...declared])]).apply(([caller, ids]) => {
            const listed = ownerIds(ids, resource);
            if (!listed.includes(caller.toLowerCase())) {
                // Not an error: a person may run with a directory role. But a pipeline left out loses the app.
                void pulumi.log.warn(`${resource}: owners does not list the deploying principal ${printable(caller)}; the provider removes it from the owners. ` +
                    "Under Application.ReadWrite.OwnedBy list the pipeline's service principal object id in owners (or keyrelay:owners).");
            }
            return listed;
        });
        return { owners, ignoreChanges: [] };
    }
    const owners = pulumi.output(deployer).apply(async (caller) => {
        const state = await lastStateIndex();
        if (state !== undefined) return ownerUnion(ownersAlreadyThere(state, name, formerNames), caller);
        // A preview that cannot read the state shows the deployer alone; the update reads it (lastState.ts).
        if (!underMocks() && !pulumi.runtime.isDryRun()) {
            throw new KeyrelayError("OwnersUnknown", `${resource}: owners: the stack's last state could not be read, so the owners already on the app are unknown, and a run that sent only ${printable(caller)} would remove them`,
                { fix: "Declare the owners (the owners argument, or stack config keyrelay:owners) with the pipeline's service principal object id." });
        }
        return [caller.toLowerCase()];
    });
    return { owners, ignoreChanges: [] };
}

/** The SDK's mock runtime (pulumi.runtime.setMocks), where a test that does not model the engine's builtins runs. */
function underMocks(): boolean {
    return (pulumi.runtime.getMonitor() as object | undefined)?.constructor?.name === "MockMonitor";
}
