import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import { FederatedCredentialSpec } from "./federatedTrusts";

/**
 * One azuread.ApplicationFederatedIdentityCredential per spec, named `${name}-trust-${spec.name}` so that
 * RotatedAppRegistration's `federated` argument and FederatedAppRegistration declare the same URNs.
 */
export function declareFederatedCredentials(parent: pulumi.Resource, name: string, applicationId: pulumi.Input<string>, specs: readonly FederatedCredentialSpec[]): azuread.ApplicationFederatedIdentityCredential[] {
    return specs.map((spec) => new azuread.ApplicationFederatedIdentityCredential(`${name}-trust-${spec.name}`, {
        applicationId,
        displayName: spec.name,
        description: spec.description,
        issuer: spec.issuer,
        subject: spec.subject,
        audiences: spec.audiences,
    }, { parent }));
}
