// keyrelay follows no redirect with a credential on the request (a bearer token, a client secret
// in the body, a webhook signature): the answer is refused instead. One leaving the origin is a
// ForeignOriginError naming both hosts; one within it is still not followed, and says so.
import { KeyrelayError } from "./errors";
import { ForeignOriginError, hostForMessage, redirectTarget, sameOrigin } from "./origin";

/** The error for a 3xx answer to `requestUrl`, or undefined when `status` is not a redirect. */
export function refuseRedirect(requestUrl: string, status: number, location: string | undefined, command: string): KeyrelayError | undefined {
    if (status < 300 || status >= 400 || status === 304) return undefined;
    const target = location ? redirectTarget(requestUrl, location) : undefined;
    if (location && (!target || !sameOrigin(requestUrl, target))) {
        return new ForeignOriginError(requestUrl, target ? hostForMessage(target) : "an address that is not a URL", "a redirect", command);
    }
    return new KeyrelayError("RedirectRefused",
        `keyrelay ${command}: ${hostForMessage(requestUrl)} answered with a redirect (HTTP ${status}), which keyrelay does not follow with credentials`,
        { fix: "Use the final address instead" });
}
