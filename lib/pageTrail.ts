// The links a paged listing follows. A next-page link must stay on the listing's origin (a token
// goes with it) and must not repeat an earlier one (a service that loops would otherwise be read
// until the deadline). Pure: the caller does the fetching.
import { KeyrelayError, isKeyrelayError } from "./errors";
import { requireSameOrigin } from "./origin";

export const REPEATED_NEXT_LINK_CODE = "RepeatedNextLink";

export class RepeatedNextLinkError extends KeyrelayError {
    constructor(readonly listing: string, readonly page: number, command: string) {
        super(REPEATED_NEXT_LINK_CODE,
            `keyrelay${command ? ` ${command}` : ""}: the listing of ${listing} pointed back to a page it had already returned (after page ${page}), so it would never end; stopped`,
            { fix: "The service's paging is broken: try again later, and report it to the service's owner if it persists" });
        this.name = "RepeatedNextLinkError";
    }
}

export function isRepeatedNextLinkError(error: unknown): error is RepeatedNextLinkError {
    return isKeyrelayError(error) && error.code === REPEATED_NEXT_LINK_CODE;
}

export class PageTrail {
    private readonly seen = new Set<string>();
    private pages = 0;

    /**
     * @param origin the origin the command was pointed at
     * @param listing what is listed, for messages ("applications at graph.microsoft.com")
     * @param linkName what the service calls its next-page link ("@odata.nextLink", "nextLink")
     */
    constructor(private readonly origin: string, private readonly listing: string, private readonly linkName: string, private readonly command: string, first?: string) {
        if (first !== undefined) this.seen.add(first);
    }

    /** Checks the link a page returned before it is followed; returns it, or undefined at the end. */
    next(link: string | null | undefined): string | undefined {
        this.pages++;
        if (link === undefined || link === null || link === "") return undefined;
        requireSameOrigin(this.origin, link, `the ${this.linkName}`, this.command);
        if (this.seen.has(link)) throw new RepeatedNextLinkError(this.listing, this.pages, this.command);
        this.seen.add(link);
        return link;
    }
}
