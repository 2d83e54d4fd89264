import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import { TYPE_TOKENS } from "./typeTokens";
import { FederatedCredentialSpec, FederatedTrust, federatedCredentials } from "./federatedTrusts";
import { declareFederatedCredentials } from "./federatedCredentials";
import { checkSignInAudience } from "./validate";
import { deployingPrincipal } from "./rotatedAppRegistration";
import { checkOwners, declaredOwners, ownersInput, stackConfigOwners } from "./owners";
import { formerNames } from "./ownerUnion";

export interface FederatedAppRegistrationArgs {
    /** Display name of the app registration in Entra ID. */
    displayName: pulumi.Input<string>;
    /** The workloads that sign in as this app, at most 20 (Entra's limit per app); see federatedTrusts.ts for each kind. */
    trusts: FederatedTrust[];
    /**
     * Owners (object ids, at most 100) of the application and its service principal, the same
     * whoever deploys; default: stack config `keyrelay:owners`. Same rules as RotatedAppRegistration's
     * `owners` (components/owners.ts).
     */
    owners?: pulumi.Input<string>[];
    /** Further azuread.Application arguments, passed through (owners: use `owners`). */
    application?: Omit<azuread.ApplicationArgs, "displayName" | "owners">;
}

/** Checks every input; throws before any resource is declared. Returns the credentials to declare. */
export function validateFederatedAppRegistration(name: string, args: FederatedAppRegistrationArgs): FederatedCredentialSpec[] {
    const resource = `FederatedAppRegistration "${name}"`;
    const specs = federatedCredentials(resource, args.trusts ?? []);
    checkSignInAudience(args.application?.signInAudience, resource);
    checkOwners(args.owners, resource);
    return specs;
}

/**
 * An Entra app registration with no password at all: workloads sign in with tokens from a
 * trusted issuer (GitHub Actions, Azure DevOps, Kubernetes, a managed identity).
 * A RotatedAppRegistration of the same name becomes one without a new app id: pass
 * `aliases: [{ type: "keyrelay:index:RotatedAppRegistration" }]` (docs/secretless.md).
 */
export class FederatedAppRegistration extends pulumi.ComponentResource {
    /** Application (client) id. */
    public readonly clientId: pulumi.Output<string>;
    /** Object id of the service principal. */
    public readonly servicePrincipalObjectId: pulumi.Output<string>;
    /** Each trust as issuer and subject (no secrets exist to export). */
    public readonly trusts: pulumi.Output<{ name: string; issuer: string; subject: string }[]>;
    public readonly application: azuread.Application;
    public readonly servicePrincipal: azuread.ServicePrincipal;
    public readonly federatedCredentials: azuread.ApplicationFederatedIdentityCredential[];

    constructor(name: string, args: FederatedAppRegistrationArgs, opts?: pulumi.ComponentResourceOptions) {
        const specs = validateFederatedAppRegistration(name, args);
        const resource = `FederatedAppRegistration "${name}"`;
        const declared = declaredOwners(args.owners, stackConfigOwners(resource));
        super(TYPE_TOKENS.federatedAppRegistration, name, {}, opts);
        const parent = { parent: this };
        // Same child names as RotatedAppRegistration: under an alias the app keeps its URN, so its app id.
        const { owners, ignoreChanges } = ownersInput(resource, name, declared, deployingPrincipal(), formerNames(opts?.aliases));
        this.application = new azuread.Application(name, { ...args.application, displayName: args.displayName, owners }, { parent: this, ignoreChanges });
        this.servicePrincipal = new azuread.ServicePrincipal(`${name}-sp`, { clientId: this.application.clientId, owners }, { parent: this, ignoreChanges });
        this.federatedCredentials = declareFederatedCredentials(this, name, this.application.id, specs);

        this.clientId = this.application.clientId;
        this.servicePrincipalObjectId = this.servicePrincipal.objectId;
        this.trusts = pulumi.output(specs.map(({ name: n, issuer, subject }) => ({ name: n, issuer, subject })));
        this.registerOutputs({ clientId: this.clientId, servicePrincipalObjectId: this.servicePrincipalObjectId, trusts: this.trusts });
    }
}
