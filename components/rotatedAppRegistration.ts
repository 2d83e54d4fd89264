import * as pulumi from "@pulumi/pulumi";
import { TYPE_TOKENS } from "./typeTokens";
import * as azuread from "@pulumi/azuread";
import * as authorization from "@pulumi/azure-native/authorization";
import { CredentialSummary, RotatingPassword } from "./rotatingPassword";
import { RotationSettings, rotationSchedule } from "./schedule";
import {
    checkReaders, checkRotatedAppRegistrationShape, checkSecretName, checkVaultUrl, registerSecretWriter, secretOwnership,
} from "./validate";
import { VaultSecret } from "./vaultSecret";

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
    /** ISO-8601 schedule; `every` defaults to P90D, `validFor` to 2 × every + 1 day. */
    rotation?: RotationSettings;
    /** Where the in-service client secret is written. */
    vault: VaultTarget;
    /** Principal object ids given "Key Vault Secrets User" on this one secret; needs vault.resourceId. */
    readers?: pulumi.Input<string>[];
    /** Further azuread.Application arguments, passed through. */
    application?: Omit<azuread.ApplicationArgs, "displayName">;
    /** Leave the Key Vault secret in place when this component is deleted; default false (see VaultSecretArgs.retainOnDelete). */
    retainOnDelete?: boolean;
    /** Take over a secret whose newest version another stack wrote, for the one run that moves it here; default false (see VaultSecretArgs.adopt). */
    adopt?: boolean;
}

/** Checks every input; throws before any resource is declared. Returns the canonical vault URL. */
export function validateRotatedAppRegistration(name: string, args: RotatedAppRegistrationArgs): string {
    const resource = `RotatedAppRegistration "${name}"`;
    checkRotatedAppRegistrationShape(resource, args, (value) => pulumi.Output.isInstance(value) || value instanceof Promise);
    rotationSchedule(name, args.rotation, resource);
    const vaultUrl = checkVaultUrl(args.vault.url, resource);
    checkSecretName(args.vault.secretName, resource);
    checkReaders(args.readers, args.vault.resourceId, resource);
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
        this.application = new azuread.Application(name, { ...args.application, displayName }, parent);
        this.servicePrincipal = new azuread.ServicePrincipal(`${name}-sp`, { clientId: this.application.clientId }, parent);
        this.password = new RotatingPassword(`${name}-password`, {
            applicationId: this.application.id,
            rotation: args.rotation,
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
                "rotation-every": args.rotation?.every ?? "P90D",
                "next-rotation": this.password.nextRotation,
            },
            ...(args.retainOnDelete !== undefined ? { retainOnDelete: args.retainOnDelete } : {}),
            ...(args.adopt !== undefined ? { adopt: args.adopt } : {}),
        }, parent);

        (args.readers ?? []).forEach((principalId, i) => {
            const vaultId = pulumi.output(args.vault.resourceId!);
            new authorization.RoleAssignment(`${name}-reader-${i}`, {
                principalId,
                scope: vaultId.apply((id) => `${id}/secrets/${args.vault.secretName}`),
                roleDefinitionId: vaultId.apply((id) => `${subscriptionScope(id)}/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_SECRETS_USER_ROLE_ID}`),
            }, { parent: this, dependsOn: [this.vaultSecret] });
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

/** "/subscriptions/<id>" from any ARM id under a subscription. */
export function subscriptionScope(resourceId: string): string {
    const match = /^\/subscriptions\/[^/]+/i.exec(resourceId);
    if (!match) throw new Error(`keyrelay: vault.resourceId "${resourceId}" is not an ARM id. Use /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>.`);
    return match[0];
}
