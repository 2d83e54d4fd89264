// The dynamic provider behind VaultSecret: writes through @azure/keyvault-secrets.
// Pulumi serializes this provider into the resource's `__provider` input and the engine's
// dynamic provider host evaluates that text in another process: so everything it uses is
// either serialized with it (functions of this project) or a package it requires by name,
// and the clients, credential and pacing state are built there, when a method first runs.
import type * as pulumi from "@pulumi/pulumi";
import { SecretClient, KeyVaultSecret, SecretClientOptions } from "@azure/keyvault-secrets";
import { DateTime } from "luxon";
import { createAzureCredential } from "./azureCredential";
import {
    DEFAULT_CONTENT_TYPE, VaultSecretFields, vaultSecretChange, withManagedTag,
} from "./vaultSecretDiff";
import {
    VaultPacer, VaultRetrySettings, isVaultThrottledError, newVaultPacer, vaultRetrySettingsFromEnvironment, withThrottleRetry,
} from "./vaultRetry";

export { MANAGED_BY_TAG, MANAGED_BY_VALUE } from "./vaultSecretDiff";

export interface VaultSecretOutputs extends VaultSecretFields {
    /** Versioned id of the version this resource last wrote (or found newest on refresh). */
    versionId: string;
    version: string;
    /** Versionless URI: consumers read the newest version through it. */
    secretUri: string;
}

/** Builds the SecretClient for a vault. */
export type SecretClientFactory = (vaultUrl: string, settings: VaultRetrySettings) => SecretClient;

export interface VaultSecretProviderOptions {
    /** Default: one client per vault per process, authenticated by createAzureCredential(). */
    clientFor?: SecretClientFactory;
    /** Default: production timing, or KEYRELAY_VAULT_RETRY_TIME_SCALE, read when the provider runs. */
    settings?: VaultRetrySettings;
    /** Per-vault pacing state; default: shared by every VaultSecret the process writes. */
    pacers?: Map<string, VaultPacer>;
    /** Waits between retries; default setTimeout. */
    sleep?: (ms: number) => Promise<void>;
}

/** Key Vault roles named in errors. */
export const SECRETS_OFFICER_ROLE = "Key Vault Secrets Officer";

function normalizedVaultUrl(vaultUrl: string): string {
    return vaultUrl.replace(/\/+$/, "").toLowerCase();
}

/** Loopback vaults (emulators, tests) cannot match the challenge's resource host, so the SDK's check is skipped for them only. */
export function isLoopbackVault(vaultUrl: string): boolean {
    try {
        const host = new URL(vaultUrl).hostname.replace(/^\[|\]$/g, "");
        return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
    } catch {
        return false;
    }
}

export function secretClientOptions(vaultUrl: string, settings: VaultRetrySettings, tlsOptions?: { ca?: string | Buffer }): SecretClientOptions {
    return {
        retryOptions: { maxRetries: settings.transientRetries, retryDelayInMs: settings.transientDelayMs, maxRetryDelayInMs: settings.transientMaxDelayMs },
        userAgentOptions: { userAgentPrefix: "keyrelay" },
        ...(isLoopbackVault(vaultUrl) ? { disableChallengeResourceVerification: true } : {}),
        ...(tlsOptions ? { tlsOptions } : {}),
    };
}

/** The process-wide clients and pacers, kept on globalThis so every copy of the serialized provider in a host process shares them. */
function processState(): { clients: Map<string, SecretClient>; pacers: Map<string, VaultPacer> } {
    const key = Symbol.for("keyrelay.vaultSecretProvider.state");
    const holder = globalThis as unknown as Record<symbol, { clients: Map<string, SecretClient>; pacers: Map<string, VaultPacer> } | undefined>;
    holder[key] ??= { clients: new Map(), pacers: new Map() };
    return holder[key]!;
}

export function defaultSecretClientFactory(vaultUrl: string, settings: VaultRetrySettings): SecretClient {
    const clients = processState().clients;
    const key = normalizedVaultUrl(vaultUrl);
    let client = clients.get(key);
    if (!client) {
        client = new SecretClient(vaultUrl, createAzureCredential(), secretClientOptions(vaultUrl, settings));
        clients.set(key, client);
    }
    return client;
}

interface VaultCall {
    client: SecretClient;
    settings: VaultRetrySettings;
    retry: <T>(request: () => Promise<T>) => Promise<T>;
}

function vaultCall(options: VaultSecretProviderOptions, vaultUrl: string): VaultCall {
    const settings = options.settings ?? vaultRetrySettingsFromEnvironment();
    const pacers = options.pacers ?? processState().pacers;
    const key = normalizedVaultUrl(vaultUrl);
    const pacer = pacers.get(key) ?? newVaultPacer();
    pacers.set(key, pacer);
    const client = (options.clientFor ?? defaultSecretClientFactory)(vaultUrl, settings);
    return { client, settings, retry: (request) => withThrottleRetry(request, { settings, pacer, sleep: options.sleep }) };
}

function statusOf(error: unknown): number | undefined {
    return (error as { statusCode?: number })?.statusCode;
}

/** The vault's innererror code (ObjectIsDeletedButRecoverable, SecretDisabled, ...). */
function innerCodeOf(error: unknown): string | undefined {
    const details = (error as { details?: { error?: { innerError?: { code?: string }; innererror?: { code?: string } } } })?.details;
    return details?.error?.innerError?.code ?? details?.error?.innererror?.code;
}

function vaultNameOf(vaultUrl: string): string {
    try {
        return new URL(vaultUrl).hostname.split(".")[0];
    } catch {
        return vaultUrl;
    }
}

/** An error about a vault operation that names the secret and vault and never carries the secret's value. */
export function vaultError(action: string, vaultUrl: string, name: string, error: unknown, value?: string): Error {
    const status = statusOf(error);
    const code = (error as { code?: string })?.code;
    const redact = (text: string) => (value ? text.split(value).join("[redacted]") : text);
    const detail = redact(error instanceof Error ? error.message : String(error));
    const what = `keyrelay: cannot ${action} secret "${name}" in ${vaultUrl}`;
    if (isVaultThrottledError(error)) {
        return new Error(`${what}: ${detail}. The vault's request budget (about 4,000 per 10 s) is used up, ` +
            `perhaps by another client; run again later, or lower the number of secrets written at once (pulumi up --parallel).`);
    }
    if (status === 403) {
        return new Error(`${what}: access denied (HTTP 403 ${code ?? "Forbidden"}). ` +
            `Give the identity running Pulumi the "${SECRETS_OFFICER_ROLE}" role on the vault (or on this secret). Vault said: ${detail}`);
    }
    return new Error(`${what}${status ? ` (HTTP ${status}${code ? ` ${code}` : ""})` : ""}: ${detail}`);
}

function softDeletedError(vaultUrl: string, name: string, recoverError: unknown, value: string): Error {
    const vaultName = vaultNameOf(vaultUrl);
    const cause = vaultError("recover", vaultUrl, name, recoverError, value).message;
    return new Error(`keyrelay: cannot write secret "${name}" in ${vaultUrl}: a deleted secret of that name is waiting to be purged (soft-deleted), ` +
        `and recovering it failed. Recover it (az keyvault secret recover --vault-name ${vaultName} --name ${name}) to keep its old versions, ` +
        `or purge it (az keyvault secret purge --vault-name ${vaultName} --name ${name}), then run again; ` +
        `or give the identity running Pulumi the "${SECRETS_OFFICER_ROLE}" role, which may recover. (${cause})`);
}

/** RFC 3339 to Date, or a clear error naming the secret and the field. */
function instantOf(name: string, field: "expiresOn" | "notBefore", text: string): Date {
    const parsed = DateTime.fromISO(text, { setZone: true });
    if (!parsed.isValid) {
        throw new Error(`keyrelay: VaultSecret "${name}": ${field} is ${JSON.stringify(text)}, not an RFC 3339 time (${parsed.invalidExplanation ?? parsed.invalidReason}). ` +
            `Pass a time such as "2027-03-01T00:00:00Z" (the credential's endDate).`);
    }
    return parsed.toJSDate();
}

async function setVersion(call: VaultCall, inputs: VaultSecretFields): Promise<KeyVaultSecret> {
    const expiresOn = instantOf(inputs.name, "expiresOn", inputs.expiresOn);
    const notBefore = inputs.notBefore ? instantOf(inputs.name, "notBefore", inputs.notBefore) : undefined;
    return call.retry(() => call.client.setSecret(inputs.name, inputs.value, {
        expiresOn,
        ...(notBefore ? { notBefore } : {}),
        contentType: inputs.contentType || DEFAULT_CONTENT_TYPE,
        tags: withManagedTag(inputs.tags),
        enabled: true,
        requestOptions: { timeout: call.settings.requestTimeoutMs },
    }));
}

/** Writes a new version; a soft-deleted name is recovered first (its old versions come back), then written. */
export async function writeVaultSecret(call: VaultCall, inputs: VaultSecretFields): Promise<KeyVaultSecret> {
    try {
        return await setVersion(call, inputs);
    } catch (error) {
        if (statusOf(error) !== 409 || innerCodeOf(error) !== "ObjectIsDeletedButRecoverable") {
            throw vaultError("write", inputs.vaultUrl, inputs.name, error, inputs.value);
        }
    }
    try {
        const poller = await call.retry(() => call.client.beginRecoverDeletedSecret(inputs.name, {
            intervalInMs: call.settings.pollIntervalMs, requestOptions: { timeout: call.settings.requestTimeoutMs },
        }));
        await poller.pollUntilDone();
    } catch (error) {
        throw softDeletedError(inputs.vaultUrl, inputs.name, error, inputs.value);
    }
    try {
        return await setVersion(call, inputs);
    } catch (error) {
        throw vaultError("write", inputs.vaultUrl, inputs.name, error, inputs.value);
    }
}

function secretUriOf(inputs: Pick<VaultSecretFields, "vaultUrl" | "name">): string {
    return `${inputs.vaultUrl.replace(/\/+$/, "")}/secrets/${inputs.name}`;
}

function outputsOf(inputs: VaultSecretFields, written: KeyVaultSecret): VaultSecretOutputs {
    return {
        ...inputs,
        contentType: inputs.contentType || DEFAULT_CONTENT_TYPE,
        tags: withManagedTag(inputs.tags),
        versionId: written.properties.id ?? "",
        version: written.properties.version ?? "",
        secretUri: secretUriOf(inputs),
    };
}

/** Only the fields VaultSecret owns: the engine's inputs also carry `__provider`. */
function fieldsOf(props: VaultSecretFields): VaultSecretFields {
    const { vaultUrl, name, value, expiresOn, notBefore, contentType, tags, retainOnDelete } = props;
    return {
        vaultUrl, name, value, expiresOn,
        ...(notBefore ? { notBefore } : {}),
        ...(contentType ? { contentType } : {}),
        ...(tags ? { tags } : {}),
        ...(retainOnDelete !== undefined ? { retainOnDelete } : {}),
    };
}

/** The provider's methods, all present, with the results it always returns. */
export interface VaultSecretProvider extends pulumi.dynamic.ResourceProvider<VaultSecretFields, VaultSecretOutputs> {
    diff(id: string, olds: VaultSecretOutputs, news: VaultSecretFields): Promise<pulumi.dynamic.DiffResult>;
    create(inputs: VaultSecretFields): Promise<{ id: string; outs: VaultSecretOutputs }>;
    update(id: string, olds: VaultSecretOutputs, news: VaultSecretFields): Promise<{ outs: VaultSecretOutputs }>;
    read(id: string, props?: VaultSecretOutputs): Promise<{ id: string; props?: VaultSecretOutputs }>;
    delete(id: string, props: VaultSecretOutputs): Promise<void>;
}

export function createVaultSecretProvider(options: VaultSecretProviderOptions = {}): VaultSecretProvider {
    return {
        async diff(_id: string, olds: VaultSecretOutputs, news: VaultSecretFields) {
            const change = vaultSecretChange(olds, news);
            return {
                changes: change.changed.length > 0,
                replaces: change.replaces,
                deleteBeforeReplace: false,
            };
        },
        async create(inputs: VaultSecretFields) {
            const fields = fieldsOf(inputs);
            const written = await writeVaultSecret(vaultCall(options, fields.vaultUrl), fields);
            return { id: secretUriOf(fields), outs: outputsOf(fields, written) };
        },
        async update(_id: string, olds: VaultSecretOutputs, news: VaultSecretFields) {
            const fields = fieldsOf(news);
            if (!vaultSecretChange(olds, fields).writesVersion) {
                return { outs: { ...fields, contentType: fields.contentType || DEFAULT_CONTENT_TYPE, tags: withManagedTag(fields.tags), versionId: olds.versionId, version: olds.version, secretUri: secretUriOf(fields) } };
            }
            const written = await writeVaultSecret(vaultCall(options, fields.vaultUrl), fields);
            return { outs: outputsOf(fields, written) };
        },
        async read(id: string, props?: VaultSecretOutputs) {
            if (!props) return { id, props };
            const call = vaultCall(options, props.vaultUrl);
            let latest: KeyVaultSecret;
            try {
                latest = await call.retry(() => call.client.getSecret(props.name, { requestOptions: { timeout: call.settings.requestTimeoutMs } }));
            } catch (error) {
                if (statusOf(error) === 404) return { id: "", props: undefined };
                if (statusOf(error) === 403 && innerCodeOf(error) === "SecretDisabled") {
                    // Someone disabled the newest version: its value is unreadable, which the next up repairs with a new version.
                    return { id, props: { ...props, value: "" } };
                }
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
        async delete(_id: string, props: VaultSecretOutputs) {
            if (props.retainOnDelete) return;
            const call = vaultCall(options, props.vaultUrl);
            try {
                const poller = await call.retry(() => call.client.beginDeleteSecret(props.name, {
                    intervalInMs: call.settings.pollIntervalMs, requestOptions: { timeout: call.settings.requestTimeoutMs },
                }));
                await poller.pollUntilDone();
            } catch (error) {
                if (statusOf(error) === 404) return;
                throw vaultError("delete", props.vaultUrl, props.name, error, props.value);
            }
        },
    };
}
