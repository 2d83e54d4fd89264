// The provider's client: one SecretClient per vault per process, built with keyrelay's retry
// settings and pipeline policies, and the paced, retried call every provider method goes through.
import { sameOriginPolicy } from "../../lib/originPolicy";
import type { CredentialProofOptions } from "./proveBeforeWrite";
import { SecretClient, SecretClientOptions } from "@azure/keyvault-secrets";
import { VaultAction } from "../../lib/errors";
import { isLoopbackUrl } from "../../lib/network";
import { createAzureCredential } from "./azureCredential";
import { VaultPacer, newVaultPacer } from "./vaultPacer";
import { requestTimeoutPolicy, retryAfterCapPolicy } from "./vaultPipelinePolicies";
import { withThrottleRetry } from "./vaultRetry";
import { VaultRetrySettings, vaultRetrySettingsFromEnvironment } from "./vaultRetrySettings";
import { canonicalVaultUrl } from "./vaultSecretDiff";

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
    /** Where delete says it left a secret in place; default console.warn (the engine shows a provider's stderr). */
    warn?: (message: string) => void;
    /** The proof's endpoint, CA and timing; default the vault's cloud (or AZURE_AUTHORITY_HOST) at production timing. */
    proof?: CredentialProofOptions;
}

function normalizedVaultUrl(vaultUrl: string): string {
    return canonicalVaultUrl(vaultUrl);
}

export function secretClientOptions(vaultUrl: string, settings: VaultRetrySettings, tlsOptions?: { ca?: string | Buffer }): SecretClientOptions {
    return {
        retryOptions: { maxRetries: settings.transientRetries, retryDelayInMs: settings.transientDelayMs, maxRetryDelayInMs: settings.transientMaxDelayMs },
        userAgentOptions: { userAgentPrefix: "keyrelay" },
        // perCall, before the vault's authentication policy attaches a token: a redirect or a URL the
        // vault hands back that leaves its origin is refused, as in every CLI command (lib/originPolicy.ts).
        additionalPolicies: [{ policy: sameOriginPolicy(vaultUrl, "pulumi up"), position: "perCall" }, { policy: retryAfterCapPolicy(settings.maxRetryAfterMs), position: "perRetry" }],
        // Loopback vaults (emulators, tests) cannot match the challenge's resource host, so the SDK's check is skipped for them only.
        ...(isLoopbackUrl(vaultUrl) ? { disableChallengeResourceVerification: true } : {}),
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
        // Token requests get the same per-request timeout as vault requests: a silent authority host must not hang pulumi up.
        const credential = createAzureCredential({ additionalPolicies: [{ policy: requestTimeoutPolicy(settings.requestTimeoutMs), position: "perRetry" }] });
        client = new SecretClient(vaultUrl, credential, secretClientOptions(vaultUrl, settings));
        clients.set(key, client);
    }
    return client;
}

export interface VaultCall {
    client: SecretClient;
    vaultUrl: string;
    settings: VaultRetrySettings;
    /** Paces and retries a secret create (a PUT of a new version): Key Vault limits those on their own, 300 per 10 s. */
    retry: <T>(action: VaultAction, secret: string, request: () => Promise<T>) => Promise<T>;
    /** The same for every other transaction (reads, deletes, recovers), which Key Vault counts apart: 4,000 per 10 s. */
    retryOther: <T>(action: VaultAction, secret: string, request: () => Promise<T>) => Promise<T>;
}

export function vaultCall(options: VaultSecretProviderOptions, vaultUrl: string): VaultCall {
    const settings = options.settings ?? vaultRetrySettingsFromEnvironment();
    const pacers = options.pacers ?? processState().pacers;
    const key = normalizedVaultUrl(vaultUrl);
    const pacer = pacers.get(key) ?? newVaultPacer();
    pacers.set(key, pacer);
    const client = (options.clientFor ?? defaultSecretClientFactory)(vaultUrl, settings);
    // Separate pacers, because the vault's limits are separate (https://learn.microsoft.com/azure/key-vault/general/service-limits):
    // a pacer that counted the writer check's reads would learn a creates limit twice too high.
    const otherKey = `${key}#other`;
    const otherPacer = pacers.get(otherKey) ?? newVaultPacer();
    pacers.set(otherKey, otherPacer);
    return {
        client, settings, vaultUrl,
        retry: (action, secret, request) => withThrottleRetry(request, { settings, pacer, target: { action, secret, vaultUrl }, sleep: options.sleep }),
        retryOther: (action, secret, request) => withThrottleRetry(request, { settings, pacer: otherPacer, target: { action, secret, vaultUrl }, sleep: options.sleep }),
    };
}

