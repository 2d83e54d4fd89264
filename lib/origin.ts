// Where a bearer token may go: only to the origin (scheme, host, port) a command was pointed at.
// Any address a service hands back (a nextLink, a redirect's Location, a $batch answer) is
// compared with that origin in canonical form before anything is sent to it. Pure: no network.
//
// Canonical form is the WHATWG URL parser's (the one Node and browsers share): scheme and host
// lower-cased, IDNA hosts in punycode, percent-encoded host bytes decoded, IPv4 shorthands
// (127.1) expanded, the scheme's default port dropped. On top of that one trailing dot of a
// host name is dropped ("graph.microsoft.com." names the same host). Opaque origins (data:,
// file:, unparseable text) are never the same as anything.
import { KeyrelayError, isKeyrelayError } from "./errors";

/** `https://host[:port]` in canonical form, or undefined for text that has no such origin. */
export function canonicalOrigin(url: string | URL): string | undefined {
    let parsed: URL;
    try {
        parsed = typeof url === "string" ? new URL(url) : url;
    } catch {
        return undefined;
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return undefined;
    const host = parsed.hostname.endsWith(".") ? parsed.hostname.slice(0, -1) : parsed.hostname;
    if (host === "") return undefined;
    return `${parsed.protocol}//${host}${parsed.port ? `:${parsed.port}` : ""}`;
}

/** True when both name the same origin after canonical form; false when either has none. */
export function sameOrigin(a: string | URL, b: string | URL): boolean {
    const left = canonicalOrigin(a);
    return left !== undefined && left === canonicalOrigin(b);
}

/** The host (and port) to name in a message: never user-info, path or query. */
export function hostForMessage(url: string | URL): string {
    const origin = canonicalOrigin(url);
    if (origin) return origin.replace(/^https?:\/\//, "");
    return "an address that is not an http(s) URL";
}

/** A Location header resolved against the request it answers (Location may be relative, RFC 9110 10.2.2). */
export function redirectTarget(requestUrl: string, location: string): string | undefined {
    try {
        return new URL(location, requestUrl).toString();
    } catch {
        return undefined;
    }
}

export const FOREIGN_ORIGIN_CODE = "ForeignOrigin";

/** A service pointed keyrelay at another origin; nothing (no token, no signature) was sent there. */
export class ForeignOriginError extends KeyrelayError {
    constructor(
        /** The origin the command was pointed at. */
        readonly expected: string,
        /** The host the answer pointed to. */
        readonly foreignHost: string,
        /** What pointed there, e.g. "an @odata.nextLink", "a redirect". */
        readonly what: string,
        command: string,
    ) {
        super(FOREIGN_ORIGIN_CODE,
            `keyrelay${command ? ` ${command}` : ""}: refused ${what} from ${hostForMessage(expected)} to ${foreignHost}: it leaves the origin the command was pointed at, so nothing was sent there`,
            { fix: `Check that ${hostForMessage(expected)} is the service you meant (and not a proxy that rewrites links)` });
        this.name = "ForeignOriginError";
    }
}

export function isForeignOriginError(error: unknown): error is ForeignOriginError {
    return isKeyrelayError(error) && error.code === FOREIGN_ORIGIN_CODE;
}

/** Throws ForeignOriginError unless `target` has the origin of `expected`. */
export function requireSameOrigin(expected: string, target: string, what: string, command: string): void {
    if (!sameOrigin(expected, target)) throw new ForeignOriginError(expected, hostForMessage(target), what, command);
}
