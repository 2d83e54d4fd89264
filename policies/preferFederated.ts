// A rotating client secret read only by CI platforms or Kubernetes, which can sign in with a federated
// identity credential instead and need no secret at all. Advisory: the move takes two deployments.
// https://learn.microsoft.com/entra/workload-id/workload-identity-federation
import { consumersFromTags, onlyFederationReadyConsumers } from "./lib/consumerHints";
import { parentType } from "./lib/keyrelayCredential";
import { PROVIDER_TYPE_TOKENS, TYPE_TOKENS } from "./lib/contract";
import { resourcePolicy } from "./lib/resourcePolicy";
import type { ResourceView } from "./lib/resourceView";
import { isUnknown } from "./lib/unknownValues";

export const PREFER_FEDERATED = "prefer-federated";
const APPLICATION = PROVIDER_TYPE_TOKENS.application;

/** The note for a RotatedAppRegistration's application whose declared consumers could all federate. */
export function preferFederatedNotes(resource: ResourceView): string[] {
    if (resource.type !== APPLICATION || parentType(resource.urn, resource.parent) !== TYPE_TOKENS.rotatedAppRegistration) return [];
    const tags = resource.props.tags;
    if (!Array.isArray(tags) || tags.some((t) => isUnknown(t))) return [];
    const consumers = consumersFromTags(tags);
    if (!consumers || !onlyFederationReadyConsumers(consumers)) return [];
    return [`Application "${resource.name}" rotates a client secret, but its only consumers are ${consumers.join(", ")}, which can sign in with a federated identity credential and need no secret. `
        + "Add their trusts with RotatedAppRegistration's `federated` argument, then, once `keyrelay audit --sign-ins` shows the password unused, "
        + "switch to FederatedAppRegistration with aliases: [{ type: \"keyrelay:index:RotatedAppRegistration\" }] (docs/secretless.md)."];
}

export const preferFederated = resourcePolicy({
    name: PREFER_FEDERATED,
    description: "A rotating client secret whose only consumers are CI platforms or Kubernetes: federated credentials need no secret.",
    level: "advisory",
    check: preferFederatedNotes,
});
