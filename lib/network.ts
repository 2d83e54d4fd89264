// Facts about the network shared by the components and the command: which hosts are this machine
// (local stand-ins), and which failures mean a host name did not resolve.

/**
 * Loopback hosts: local stand-ins (emulators, tests), any port. Takes a URL's `hostname`, with or
 * without the brackets URL keeps around an IPv6 address.
 */
export function isLoopbackHost(hostname: string): boolean {
    const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
    return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** True when `url` parses and names a loopback host. */
export function isLoopbackUrl(url: string): boolean {
    try {
        return isLoopbackHost(new URL(url).hostname);
    } catch {
        return false;
    }
}

/**
 * The codes Node's resolver (getaddrinfo, via dns.lookup) gives a host name that does not resolve:
 * ENOTFOUND for NXDOMAIN, EAI_AGAIN when no DNS server answers, EAI_NONAME / EAI_NODATA on some
 * platforms' resolvers (https://nodejs.org/api/dns.html#error-codes).
 */
export const UNRESOLVED_HOST_CODES: readonly string[] = ["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_NODATA"];

/** The error's system code, or its cause's (undici and the Azure SDK wrap the socket's error). */
export function errorCode(error: unknown): string | undefined {
    const e = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
    const code = e?.code ?? e?.cause?.code;
    return typeof code === "string" ? code : undefined;
}

/** A failure because a host name did not resolve. */
export function isUnresolvedError(error: unknown): boolean {
    const code = errorCode(error);
    return code !== undefined && UNRESOLVED_HOST_CODES.includes(code);
}
