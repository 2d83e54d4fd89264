// `keyrelay plan` warns about apps that declare no owners (issue 16 §1). Without declared owners
// the principal that creates an app owns it and no later run changes that (components/owners.ts):
// a first `pulumi up` by a person leaves the pipeline, under Application.ReadWrite.OwnedBy, unable
// to rotate. Declared owners hold whoever deploys.
import { TYPES } from "../../simulation/azureRules";
import type { SimulatedResource } from "../../simulation/engine";
import { TYPE_TOKENS } from "../../components/typeTokens";

const KEYRELAY_COMPONENTS = new Set<string>([TYPE_TOKENS.rotatedAppRegistration, TYPE_TOKENS.federatedAppRegistration]);

/** One line per keyrelay app whose owners were not declared (its Application ignores owner changes). */
export function ownersWarnings(resources: readonly SimulatedResource[]): string[] {
    const componentOf = new Map(resources.map((r) => [r.urn, r]));
    return resources
        .filter((r) => r.type === TYPES.application && (r.ignoreChanges ?? []).includes("owners"))
        .filter((r) => r.parent !== undefined && KEYRELAY_COMPONENTS.has(componentOf.get(r.parent)?.type ?? ""))
        .map((r) => `Warning: ${r.name}: no owners declared, so whoever runs the first \`pulumi up\` owns it. ` +
            "Set keyrelay:owners (or the component's owners) to the pipeline's service principal object id, so that Application.ReadWrite.OwnedBy keeps working whoever deploys.");
}
