// Who reads an app's client secret, as RotatedAppRegistration's `consumers` hint declares it. The
// component records the hint as one application tag, where prefer-federated reads it; the pack
// keeps this file so it stays self-contained.

/** The consumer kinds a hint may name. */
export const CONSUMER_KINDS = [
    "github-actions", "azure-devops", "kubernetes",
    "app-service", "functions", "container-apps", "virtual-machine", "on-premises", "third-party", "other",
] as const;
export type ConsumerKind = typeof CONSUMER_KINDS[number];

/**
 * Consumers that can sign in with a federated identity credential instead of a secret: the CI
 * platforms and Kubernetes workload identity (https://learn.microsoft.com/entra/workload-id/workload-identity-federation).
 */
export const FEDERATION_READY: readonly ConsumerKind[] = ["github-actions", "azure-devops", "kubernetes"];

export const CONSUMERS_TAG_PREFIX = "keyrelay-consumers:";

export function isConsumerKind(value: unknown): value is ConsumerKind {
    return typeof value === "string" && (CONSUMER_KINDS as readonly string[]).includes(value);
}

/** The application tag that records the hint, e.g. "keyrelay-consumers:github-actions,kubernetes". */
export function consumersTag(consumers: readonly ConsumerKind[]): string {
    return `${CONSUMERS_TAG_PREFIX}${[...new Set(consumers)].sort().join(",")}`;
}

/** The hint recorded in an application's tags; undefined when there is none (or tags are not known yet). */
export function consumersFromTags(tags: unknown): string[] | undefined {
    if (!Array.isArray(tags)) return undefined;
    const tag = tags.find((t): t is string => typeof t === "string" && t.startsWith(CONSUMERS_TAG_PREFIX));
    return tag === undefined ? undefined : tag.slice(CONSUMERS_TAG_PREFIX.length).split(",").filter(Boolean);
}

/** True when every declared consumer could use a federated credential instead. */
export function onlyFederationReadyConsumers(consumers: readonly string[]): boolean {
    return consumers.length > 0 && consumers.every((c) => (FEDERATION_READY as readonly string[]).includes(c));
}
