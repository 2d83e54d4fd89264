import * as pulumi from "@pulumi/pulumi";
import { VAULT_SECRET_MODULE, VAULT_SECRET_TYPE_NAME } from "./typeTokens";
import { checkVaultSecretInputs } from "./validate";
import { createVaultSecretProvider } from "./vaultSecretProvider";
import { loadingVaultSecretProvider, providerModuleLocation } from "./vaultSecretProviderLocation";

export interface VaultSecretArgs {
    /** Vault URI, https://<name>.vault.azure.net. Changing it replaces the secret. */
    vaultUrl: pulumi.Input<string>;
    /** Secret name, ^[0-9a-zA-Z-]{1,127}$. Changing it replaces the secret. */
    name: pulumi.Input<string>;
    /** The secret value; stored in state as a Pulumi secret. */
    value: pulumi.Input<string>;
    /** RFC 3339 expiry of the version (the credential's end). */
    expiresOn: pulumi.Input<string>;
    /** RFC 3339 activation of the version. */
    notBefore?: pulumi.Input<string>;
    /** Content type of the version; default text/plain. */
    contentType?: pulumi.Input<string>;
    /** Metadata tags; keyrelay adds managed-by=keyrelay. */
    tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Leave the secret in the vault when this resource is deleted; default false (soft-delete). */
    retainOnDelete?: pulumi.Input<boolean>;
}

/**
 * One provider object for every VaultSecret: Pulumi serializes it once per process and reuses the text.
 * It is a loader of a few hundred bytes; the provider's code is loaded where it runs.
 */
const vaultSecretProvider = loadingVaultSecretProvider(providerModuleLocation(), createVaultSecretProvider());

/** A Key Vault secret written through @azure/keyvault-secrets; every change of value, expiry or tags is a new version. */
export class VaultSecret extends pulumi.dynamic.Resource {
    declare public readonly vaultUrl: pulumi.Output<string>;
    declare public readonly name: pulumi.Output<string>;
    declare public readonly expiresOn: pulumi.Output<string>;
    declare public readonly tags: pulumi.Output<Record<string, string>>;
    declare public readonly versionId: pulumi.Output<string>;
    declare public readonly version: pulumi.Output<string>;
    /** Versionless URI: consumers always read the newest version. */
    declare public readonly secretUri: pulumi.Output<string>;

    constructor(name: string, args: VaultSecretArgs, opts?: pulumi.CustomResourceOptions) {
        checkVaultSecretInputs(`VaultSecret "${name}"`, args);
        super(
            vaultSecretProvider,
            name,
            { versionId: undefined, version: undefined, secretUri: undefined, ...args, value: pulumi.secret(args.value) },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["value"] }),
            VAULT_SECRET_MODULE,
            VAULT_SECRET_TYPE_NAME,
        );
    }
}
