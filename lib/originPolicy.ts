// The Azure SDK pipeline half of lib/origin.ts: a SecretClient that talks to one vault refuses
// any request to another origin before its authentication policy attaches a token.
//
// Why position "perCall": in a SecretClient's pipeline (@azure/keyvault-secrets 4.12, ordered by
// @typespec/ts-http-runtime's Pipeline.orderPolicies) perCall policies run before
// keyVaultAuthenticationPolicy, which sits in no phase, and perRetry ones run after the Sign phase,
// that is after the token is already on the request. The SDK follows a listing's `nextLink` itself
// (static-helpers/pagingHelpers.js: every later page goes through the same pipeline), so this
// policy sees each page's address first. Redirects: redirectPolicy (afterPhase Retry) follows only
// same-origin ones by default (allowCrossOriginRedirects false) and deletes Authorization before it
// does; a cross-origin 3xx comes back up unfollowed, and this policy turns it into the refusal.
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from "@azure/core-rest-pipeline";
import { ForeignOriginError, hostForMessage, redirectTarget, sameOrigin } from "./origin";
import { RepeatedNextLinkError } from "./pageTrail";

export const SAME_ORIGIN_POLICY_NAME = "keyrelaySameOrigin";

/** Refuses requests that leave `origin`, and redirects that point elsewhere. */
export function sameOriginPolicy(origin: string, command: string): PipelinePolicy {
    const listingPagesSeen = new Set<string>();
    let listingPages = 0;
    return {
        name: SAME_ORIGIN_POLICY_NAME,
        async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
            if (!sameOrigin(origin, request.url)) {
                throw new ForeignOriginError(origin, hostForMessage(request.url), "a link", command);
            }
            // The mapped page iterator of SecretClient drops continuationToken, so a looping nextLink
            // is only visible here: a list-page address asked for a second time.
            if (request.method === "GET" && isListingPath(new URL(request.url).pathname)) {
                if (listingPagesSeen.has(request.url)) throw new RepeatedNextLinkError(`secrets in ${hostForMessage(origin)}`, listingPages, command);
                listingPagesSeen.add(request.url);
                listingPages++;
            }
            const response = await next(request);
            const location = response.status >= 300 && response.status < 400 ? response.headers.get("location") : undefined;
            if (location) {
                const target = redirectTarget(request.url, location);
                if (!target || !sameOrigin(origin, target)) {
                    throw new ForeignOriginError(origin, target ? hostForMessage(target) : "an address that is not a URL", "a redirect", command);
                }
            }
            return response;
        },
    };
}

/** Key Vault's list operations: GET /secrets, /secrets/{name}/versions, /deletedsecrets (Key Vault REST API). */
function isListingPath(pathname: string): boolean {
    return /^\/(secrets|deletedsecrets|secrets\/[^/]+\/versions)\/?$/i.test(pathname);
}
