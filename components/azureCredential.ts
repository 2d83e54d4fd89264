// The one place keyrelay builds its Azure credential. Called when a provider runs,
// never captured in a serialized provider.
import type { TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential } from "@azure/identity";

/** Microsoft's public-cloud and sovereign authority hosts, where instance discovery works. */
export const KNOWN_AUTHORITY_HOSTS = [
    "login.microsoftonline.com",
    "login.microsoftonline.us",
    "login.chinacloudapi.cn",
    "login.partner.microsoftonline.cn",
    "login.microsoftonline.de",
    "login.windows.net",
];

export function isKnownAuthorityHost(authorityHost: string): boolean {
    let host: string;
    try {
        host = new URL(authorityHost).hostname.toLowerCase();
    } catch {
        return false;
    }
    return KNOWN_AUTHORITY_HOSTS.includes(host);
}

export interface AzureCredentialOptions {
    /** Authority host; defaults to AZURE_AUTHORITY_HOST, then the public cloud. */
    authorityHost?: string;
    /** Extra TLS settings (a private CA, for example) for the token requests. */
    tlsOptions?: { ca?: string | Buffer | Array<string | Buffer> };
    /** Extra pipeline policies for the token requests (the keyrelay command's timeouts and host tracking). */
    additionalPolicies?: { policy: unknown; position: "perCall" | "perRetry" }[];
}

/**
 * DefaultAzureCredential (environment, workload identity, managed identity, Azure CLI)
 * that honours AZURE_AUTHORITY_HOST and turns instance discovery off for hosts that are
 * not Microsoft's own (Azure Stack, private clouds).
 */
export function createAzureCredential(options: AzureCredentialOptions = {}): TokenCredential {
    const authorityHost = options.authorityHost ?? process.env.AZURE_AUTHORITY_HOST;
    const disableInstanceDiscovery = authorityHost !== undefined && !isKnownAuthorityHost(authorityHost);
    return new DefaultAzureCredential({
        ...(authorityHost ? { authorityHost } : {}),
        ...(disableInstanceDiscovery ? { disableInstanceDiscovery: true } : {}),
        ...(options.tlsOptions ? { tlsOptions: options.tlsOptions } : {}),
        ...(options.additionalPolicies ? { additionalPolicies: options.additionalPolicies } : {}),
    } as ConstructorParameters<typeof DefaultAzureCredential>[0]);
}
