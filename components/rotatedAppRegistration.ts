import * as pulumi from "@pulumi/pulumi";
import { TYPE_TOKENS } from "./typeTokens";
import * as azuread from "@pulumi/azuread";
import * as authorization from "@pulumi/azure-native/authorization";
import { DateTime } from "luxon";
import { CredentialSummary, RotatingPassword, planRotatingPassword } from "./rotatingPassword";
import { DEFAULT_EVERY, RotationSettings } from "./schedule";
import {
    Reader, checkReaders, checkRotatedAppRegistrationShape, checkSecretName, checkSignInAudience, checkVaultUrl,
    readerKeys, registerSecretWriter, secretOwnership,
} from "./validate";
import { VaultSecret } from "./vaultSecret";
import { deployingClientConfig } from "./deploymentIdentity";
import { CredentialProofArgs, checkProofArgs } from "./proofSettings";
import { InputError } from "../lib/errors";

/** Built-in role "Key Vault Secrets User": read secret contents. */
export const KEY_VAULT_SECRETS_USER_ROLE_ID = "4633458b-17de-408a-b874-0445c86b69e6";

export interface VaultTarget {
    /** Vault URI, https://<name>.vault.azure.net (or a sovereign-cloud vault host). */
    url: string;
    /** Secret that receives the in-service client secret; ^[0-9a-zA-Z-]{1,127}$. */
    secretName: string;
    /** ARM id of the vault; needed for readers. */
    resourceId?: pulumi.Input<string>;
}

export interface RotatedAppRegistrationArgs {
    /** Display name of the app registration in Entra ID. */
    displayName: pulumi.Input<string>;
    /**
     * ISO-8601 schedule; `every` defaults to P89D, `validFor` to max(2 × every + 1 day, every + 15 days).
     * To change a schedule without cutting off cached credentials, set `since` and `previous`.
     */
    rotation?: RotationSettings;
    /**
     * The tenant's password lifetime limit (app management policy passwordLifetime maxLifetime,
     * ISO-8601, e.g. "P180D"); the schedule is checked against it before anything is created.
     */
    maxLifetime?: string;
    /** Where the in-service client secret is written. */
    vault: VaultTarget;
    /**
     * Principals given "Key Vault Secrets User" on this one secret; needs vault.resourceId. Each is
     * an object id (a string), or { name, principalId } when the id is an Output: each role
     * assignment is named after its principal (or name), so removing one reader touches no other.
     */
    readers?: Reader[];
    /**
     * Further owners (object ids) of the application and its service principal. The deploying
     * principal is always an owner: under Application.ReadWrite.OwnedBy it must own both.
     */
    owners?: pulumi.Input<string>[];
    /** Further azuread.Application arguments, passed through (owners: use `owners`). */
    application?: Omit<azuread.ApplicationArgs, "displayName" | "owners">;
    /** Leave the Key Vault secret in place when this component is deleted; default false (see VaultSecretArgs.retainOnDelete). */
    retainOnDelete?: boolean;
    /** Take over a secret whose newest version another stack wrote, for the one run that moves it here; default false (see VaultSecretArgs.adopt). */
    adopt?: boolean;
    /**
     * Proof before promote: each new password gets a token from Entra `attempts` times in a row
     * (default 3) within `within` (default PT5M) before Key Vault points at it; otherwise the run
     * fails and Key Vault keeps the previous one. `false` only where the deployment cannot reach
     * Entra's token endpoint (docs/proof.md).
     */
    proof?: Pick<CredentialProofArgs, "attempts" | "within"> | false;
}

/** The object id of the principal running the deployment: one getClientConfig per deployment. */
function deployingPrincipal(): pulumi.Output<string> {
    return deployingClientConfig().objectId;
}

/** The deploying principal first, then the user's owners, each once. */
function ownersWith(deployer: pulumi.Input<string>, extra: pulumi.Input<string>[] | undefined): pulumi.Output<string[]> {
    return pulumi.all([deployer, ...(extra ?? [])]).apply((ids) => [...new Set(ids)]);
}

/** Checks every input; throws before any resource is declared. Returns the canonical vault URL. */
export function validateRotatedAppRegistration(name: string, args: RotatedAppRegistrationArgs): string {
    const resource = `RotatedAppRegistration "${name}"`;
    checkRotatedAppRegistrationShape(resource, args, (value) => pulumi.Output.isInstance(value) || value instanceof Promise);
    planRotatingPassword(name, args.rotation, resource, DateTime.utc(), { maxLifetime: args.maxLifetime });
    const vaultUrl = checkVaultUrl(args.vault.url, resource);
    checkSecretName(args.vault.secretName, resource);
    checkReaders(args.readers, args.vault.resourceId, resource);
    readerKeys(args.readers ?? [], resource);
    checkSignInAudience(args.application?.signInAudience, resource);
    checkProofArgs(resource, args.proof);
    secretOwnership(pulumi.runtime.getMonitor() as object | undefined).claim(vaultUrl, args.vault.secretName, resource);
    return vaultUrl;
}

/** An Entra app registration whose client secret rotates itself into Key Vault on every scheduled `pulumi up`. */
export class RotatedAppRegistration extends pulumi.ComponentResource {
    /** Application (client) id. */
    public readonly clientId: pulumi.Output<string>;
    /** Object id of the service principal. */
    public readonly servicePrincipalObjectId: pulumi.Output<string>;
    /** Versionless secret URI: consumers always read the newest version. */
    public readonly secretUri: pulumi.Output<string>;
    /** End of the credential in service, RFC 3339. */
    public readonly expiresAt: pulumi.Output<string>;
    /** When a run will next issue a credential, RFC 3339. */
    public readonly nextRotation: pulumi.Output<string>;
    /** Every live credential (metadata only). */
    public readonly credentials: pulumi.Output<CredentialSummary[]>;
    public readonly application: azuread.Application;
    public readonly servicePrincipal: azuread.ServicePrincipal;
    public readonly password: RotatingPassword;
    public readonly vaultSecret: VaultSecret;

    constructor(name: string, args: RotatedAppRegistrationArgs, opts?: pulumi.ComponentResourceOptions) {
        const vaultUrl = validateRotatedAppRegistration(name, args);
        super(TYPE_TOKENS.rotatedAppRegistration, name, {}, opts);
        registerSecretWriter(this, `RotatedAppRegistration "${name}"`);
        const parent = { parent: this };

        // No app is created until the program has declared every writer of this secret (see SecretOwnership).
        const ownership = secretOwnership(pulumi.runtime.getMonitor() as object | undefined);
        const displayName = pulumi.output(args.displayName).apply(async (d) => {
            await ownership.afterDeclarations(vaultUrl, args.vault.secretName);
            return d;
        });
        // Application.ReadWrite.OwnedBy: the deploying principal must own the application and the
        // service principal (notes atop application.d.ts, servicePrincipal.d.ts, applicationPassword.d.ts
        // in @pulumi/azuread); the provider removes it again when `owners` does not list it.
        const owners = ownersWith(deployingPrincipal(), args.owners);
        this.application = new azuread.Application(name, { ...args.application, displayName, owners }, parent);
        this.servicePrincipal = new azuread.ServicePrincipal(`${name}-sp`, { clientId: this.application.clientId, owners }, parent);
        this.password = new RotatingPassword(`${name}-password`, {
            applicationId: this.application.id,
            rotation: args.rotation,
            maxLifetime: args.maxLifetime,
            displayName: name,
            spreadKey: name,
        }, parent);

        const secretUri = `${vaultUrl}/secrets/${args.vault.secretName}`;
        this.vaultSecret = new VaultSecret(`${name}-secret`, {
            vaultUrl,
            name: args.vault.secretName,
            value: this.password.value,
            expiresOn: this.password.endDate,
            notBefore: this.password.startDate,
            contentType: "text/plain",
            tags: {
                app: name,
                "client-id": this.application.clientId,
                "key-id": this.password.keyId,
                "rotation-every": everyInForce(args.rotation),
                "next-rotation": this.password.nextRotation,
            },
            ...(args.retainOnDelete !== undefined ? { retainOnDelete: args.retainOnDelete } : {}),
            ...(args.adopt !== undefined ? { adopt: args.adopt } : {}),
            proof: args.proof === false ? false : { ...args.proof, tenantId: deployingClientConfig().tenantId, clientId: this.application.clientId },
        }, parent);

        readerKeys(args.readers ?? [], `RotatedAppRegistration "${name}"`).forEach(({ key, principalId }, index) => {
            const vaultId = pulumi.output(args.vault.resourceId!);
            // Earlier releases named assignments by list position: the alias carries each one over
            // unchanged (a new assignment of the same principal, role and scope would get 409).
            new authorization.RoleAssignment(`${name}-reader-${key}`, {
                principalId,
                scope: vaultId.apply((id) => `${id}/secrets/${args.vault.secretName}`),
                roleDefinitionId: vaultId.apply((id) => `${subscriptionScope(id)}/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_SECRETS_USER_ROLE_ID}`),
            }, { parent: this, dependsOn: [this.vaultSecret], aliases: [{ name: `${name}-reader-${index}` }] });
        });

        this.clientId = this.application.clientId;
        this.servicePrincipalObjectId = this.servicePrincipal.objectId;
        this.secretUri = this.vaultSecret.id.apply(() => secretUri);
        this.expiresAt = this.password.endDate;
        this.nextRotation = this.password.nextRotation;
        this.credentials = this.password.credentials;
        this.registerOutputs({
            clientId: this.clientId, servicePrincipalObjectId: this.servicePrincipalObjectId, secretUri: this.secretUri,
            expiresAt: this.expiresAt, nextRotation: this.nextRotation, credentials: this.credentials,
        });
    }
}

/** The `every` the credential in Key Vault follows now: the previous one until a declared change takes over. */
function everyInForce(rotation: RotationSettings | undefined): string {
    const before = rotation?.since !== undefined && rotation.previous !== undefined
        && DateTime.utc() < DateTime.fromISO(rotation.since, { zone: "utc" });
    return (before ? rotation!.previous!.every : rotation?.every) ?? DEFAULT_EVERY;
}

/** "/subscriptions/<id>" from any ARM id under a subscription. */
export function subscriptionScope(resourceId: string, resource = "RotatedAppRegistration"): string {
    const match = /^\/subscriptions\/[^/]+/i.exec(resourceId);
    if (!match) {
        throw new InputError(resource, "vault.resourceId", `is "${resourceId}", not an ARM id`,
            "Use /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>.");
    }
    return match[0];
}
