// One call to get a local token server, a local vault that trusts it, a registered app
// whose client secret authenticates, and the environment the real credential reads.
import * as crypto from "crypto";
import { SecretClient } from "@azure/keyvault-secrets";
import { createAzureCredential } from "../../components/azureCredential";
import { SecretClientFactory, secretClientOptions } from "../../components/provider/vaultSecretProvider";
import { LocalVault, LocalVaultOptions, startLocalVault } from "./localVault";
import { TrustedTls, trustedTls } from "./tls";
import { TokenServer, startTokenServer } from "./tokenServer";

export interface VaultTestbed {
    tls: TrustedTls;
    tokens: TokenServer;
    vault: LocalVault;
    /** The app Pulumi runs as: its client secret is a test-only value. */
    identity: { clientId: string; clientSecret: string; objectId: string };
    /** What EnvironmentCredential (inside DefaultAzureCredential) reads, pointed at the token server. */
    credentialEnv: Record<string, string>;
    /** Environment for a child process: the credential's variables and NODE_EXTRA_CA_CERTS for the test CA. */
    childEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
    /** Clients built like the provider's default (createAzureCredential, secretClientOptions), trusting the test CA. */
    clientFactory(): SecretClientFactory;
    close(): Promise<void>;
}

/** Runs `fn` with these variables set in process.env, then restores the previous values. */
export function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    const apply = (values: Record<string, string | undefined>) => {
        for (const [k, v] of Object.entries(values)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
    };
    apply(vars);
    try {
        return fn();
    } finally {
        apply(saved);
    }
}

export async function startVaultTestbed(options: { vault?: Omit<LocalVaultOptions, "tokenServer"> } = {}): Promise<VaultTestbed> {
    const tls = await trustedTls();
    const tokens = await startTokenServer();
    const identity = { clientId: crypto.randomUUID(), clientSecret: `test-${crypto.randomBytes(12).toString("hex")}`, objectId: crypto.randomUUID() };
    tokens.registerClient({ clientId: identity.clientId, objectId: identity.objectId, secrets: [{ value: identity.clientSecret }] });
    const vault = await startLocalVault({ tokenServer: tokens, ...options.vault });
    const credentialEnv = {
        AZURE_TENANT_ID: tokens.tenantId,
        AZURE_CLIENT_ID: identity.clientId,
        AZURE_CLIENT_SECRET: identity.clientSecret,
        AZURE_AUTHORITY_HOST: tokens.authorityHost,
    };
    return {
        tls, tokens, vault, identity, credentialEnv,
        childEnv: (extra = {}) => ({
            PATH: process.env.PATH ?? "",
            HOME: process.env.HOME ?? "",
            NODE_EXTRA_CA_CERTS: tls.caFile,
            ...credentialEnv,
            ...extra,
        }),
        clientFactory: () => {
            const clients = new Map<string, SecretClient>();
            return (vaultUrl, settings) => {
                let client = clients.get(vaultUrl);
                if (!client) {
                    const credential = withEnv(credentialEnv, () => createAzureCredential({ tlsOptions: { ca: tls.ca } }));
                    client = new SecretClient(vaultUrl, credential, secretClientOptions(vaultUrl, settings, { ca: tls.ca }));
                    clients.set(vaultUrl, client);
                }
                return client;
            };
        },
        close: async () => {
            await vault.close();
            await tokens.close();
        },
    };
}
