// The dynamic provider behind VaultSecret: writes through @azure/keyvault-secrets.
// Everything it needs is built when a method runs, so the serialized provider holds
// no credential and no client.
import * as pulumi from "@pulumi/pulumi";
import type { SecretClient, KeyVaultSecret } from "@azure/keyvault-secrets";
import { VaultSecretFields, vaultSecretChange } from "./vaultSecretDiff";

export interface VaultSecretOutputs extends VaultSecretFields {
    /** Versioned id of the version this resource last wrote. */
    versionId: string;
    version: string;
    /** Versionless URI: consumers read the newest version through it. */
    secretUri: string;
}

export const MANAGED_BY_TAG = "managed-by";
export const MANAGED_BY_VALUE = "keyrelay";

/** Builds a SecretClient for a vault; the default uses createAzureCredential. Replaceable for tests. */
export type SecretClientFactory = (vaultUrl: string) => SecretClient;

export function defaultSecretClientFactory(vaultUrl: string): SecretClient {
    // Required here, not at module top: the provider is serialized, and must build its clients where it runs.
    const { SecretClient: Client } = require("@azure/keyvault-secrets") as typeof import("@azure/keyvault-secrets");
    const { createAzureCredential } = require("./azureCredential") as typeof import("./azureCredential");
    return new Client(vaultUrl, createAzureCredential());
}

/** An error about a vault operation that never carries the secret's value. */
export function vaultError(action: string, vaultUrl: string, name: string, error: unknown, value?: string): Error {
    const status = (error as { statusCode?: number })?.statusCode;
    const code = (error as { code?: string })?.code;
    let detail = error instanceof Error ? error.message : String(error);
    if (value) detail = detail.split(value).join("[redacted]");
    if (status === 403) {
        return new Error(`keyrelay: cannot ${action} secret "${name}" in ${vaultUrl}: access denied (403). ` +
            `Give the identity running Pulumi the "Key Vault Secrets Officer" role on the vault (or this secret).`);
    }
    return new Error(`keyrelay: cannot ${action} secret "${name}" in ${vaultUrl}${status ? ` (HTTP ${status}${code ? ` ${code}` : ""})` : ""}: ${detail}`);
}

function withManagedTag(tags: Record<string, string> | undefined): Record<string, string> {
    return { ...(tags ?? {}), [MANAGED_BY_TAG]: MANAGED_BY_VALUE };
}

function outputsOf(inputs: VaultSecretFields, written: KeyVaultSecret): VaultSecretOutputs {
    const versionId = written.properties.id ?? "";
    return {
        ...inputs,
        tags: withManagedTag(inputs.tags),
        versionId,
        version: written.properties.version ?? "",
        secretUri: `${inputs.vaultUrl.replace(/\/+$/, "")}/secrets/${inputs.name}`,
    };
}

export async function writeVaultSecret(client: SecretClient, inputs: VaultSecretFields): Promise<KeyVaultSecret> {
    try {
        return await client.setSecret(inputs.name, inputs.value, {
            expiresOn: new Date(inputs.expiresOn),
            ...(inputs.notBefore ? { notBefore: new Date(inputs.notBefore) } : {}),
            contentType: inputs.contentType ?? "text/plain",
            tags: withManagedTag(inputs.tags),
            enabled: true,
        });
    } catch (error) {
        throw vaultError("write", inputs.vaultUrl, inputs.name, error, inputs.value);
    }
}

export function createVaultSecretProvider(clientFor: SecretClientFactory = defaultSecretClientFactory): pulumi.dynamic.ResourceProvider<VaultSecretFields, VaultSecretOutputs> {
    return {
        async diff(_id, olds, news) {
            const change = vaultSecretChange(olds, news);
            return {
                changes: change.changed.length > 0,
                replaces: change.replaces,
                deleteBeforeReplace: false,
            };
        },
        async create(inputs) {
            const written = await writeVaultSecret(clientFor(inputs.vaultUrl), inputs);
            return { id: `${inputs.vaultUrl.replace(/\/+$/, "")}/secrets/${inputs.name}`, outs: outputsOf(inputs, written) };
        },
        async update(_id, olds, news) {
            if (!vaultSecretChange(olds, news).writesVersion) {
                return { outs: { ...olds, ...news, tags: withManagedTag(news.tags), versionId: olds.versionId, version: olds.version, secretUri: olds.secretUri } };
            }
            const written = await writeVaultSecret(clientFor(news.vaultUrl), news);
            return { outs: outputsOf(news, written) };
        },
        async read(id, props) {
            if (!props) return { id, props };
            const client = clientFor(props.vaultUrl);
            let latest: KeyVaultSecret;
            try {
                latest = await client.getSecret(props.name);
            } catch (error) {
                if ((error as { statusCode?: number }).statusCode === 404) return { id: "", props: undefined };
                throw vaultError("read", props.vaultUrl, props.name, error, props.value);
            }
            return {
                id,
                props: {
                    ...props,
                    value: latest.value ?? "",
                    expiresOn: latest.properties.expiresOn ? latest.properties.expiresOn.toISOString() : "",
                    notBefore: latest.properties.notBefore ? latest.properties.notBefore.toISOString() : undefined,
                    contentType: latest.properties.contentType,
                    tags: latest.properties.tags ?? {},
                    versionId: latest.properties.id ?? props.versionId,
                    version: latest.properties.version ?? props.version,
                },
            };
        },
        async delete(_id, props) {
            if (props.retainOnDelete) return;
            try {
                await clientFor(props.vaultUrl).beginDeleteSecret(props.name);
            } catch (error) {
                if ((error as { statusCode?: number }).statusCode === 404) return;
                throw vaultError("delete", props.vaultUrl, props.name, error, props.value);
            }
        },
    };
}
