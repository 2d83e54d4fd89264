// How long an audit of a large tenant takes, from the requests it sends and the services' published
// limits, so the default --timeout fits a tenant of 20,000 apps. A silent host is still caught
// sooner: every request is bounded by PER_REQUEST_TIMEOUT_MS whatever the overall deadline.
import { GRAPH_MAX_PAGE_SIZE } from "./graphReader";

/**
 * Microsoft Graph, identity and access service limits (https://learn.microsoft.com/graph/throttling-limits,
 * "Identity and access service limits"): per application+tenant pair 3,500 ResourceUnits per 10 s in
 * a tenant under 50 users (5,000 / 8,000 in larger ones); GET applications costs 2 and any other
 * identity GET 1; $select lowers the cost by 1, $expand raises it by 1; never below 1.
 */
export const GRAPH_RESOURCE_UNITS_PER_10S = 3_500;
/** Key Vault: 4,000 transactions (other than creates) per 10 s per vault (https://learn.microsoft.com/azure/key-vault/general/service-limits). */
export const VAULT_TRANSACTIONS_PER_10S = 4_000;
/** Key Vault's largest list page ("maxresults ... Maximum 25"). */
const VAULT_LIST_PAGE = 25;
/** $expand caps a page of directory objects at 100 (https://learn.microsoft.com/graph/query-parameters#expand). */
const EXPAND_PAGE = 100;
/**
 * Not published: how long one page takes to come back. A 999-object page of applications with their
 * credentials is the slowest thing the audit asks for; this allows 10 s for each, and 250 ms for a
 * vault page of 25. They only set the default; --timeout overrides it.
 */
const GRAPH_PAGE_MS = 10_000;
const VAULT_PAGE_MS = 250;

export interface AuditSize {
    apps: number;
    servicePrincipals: number;
    /** Vault secrets listed (all vaults together). */
    secrets: number;
    /** Secrets read with --read-values. */
    valueReads: number;
    /** Graph endpoints without owners/$count: owners through $expand, 100 per page. */
    expandOwners?: boolean;
}

export interface AuditBudget {
    graphRequests: number;
    graphResourceUnits: number;
    vaultRequests: number;
    /** The least time the published limits allow for those requests. */
    throttleFloorMs: number;
    /** The longest chain of requests that must follow one another, at the assumed page times. */
    sequentialMs: number;
    /** What the default deadline must cover: both. */
    neededMs: number;
}

const pages = (items: number, pageSize: number) => Math.max(1, Math.ceil(items / pageSize));

export function auditBudget(size: AuditSize): AuditBudget {
    const appPages = pages(size.apps, GRAPH_MAX_PAGE_SIZE);
    const spPages = pages(size.servicePrincipals, GRAPH_MAX_PAGE_SIZE);
    // Worst case for the advanced query: every app without an owner.
    const ownerPages = size.expandOwners ? pages(size.apps, EXPAND_PAGE) : appPages;
    const policyRequests = 3; // the default policy, the assigned ones with appliesTo, one more page
    const graphRequests = appPages + spPages + ownerPages + policyRequests;
    // applications 2 − 1 ($select); servicePrincipals 1; owners $expand 2 − 1 + 1, or the advanced query 2 − 1; policies 1.
    const graphResourceUnits = appPages * 1 + spPages * 1 + ownerPages * (size.expandOwners ? 2 : 1) + policyRequests;
    const listPages = pages(size.secrets, VAULT_LIST_PAGE);
    const vaultRequests = listPages + size.valueReads;
    const throttleFloorMs = (graphResourceUnits / GRAPH_RESOURCE_UNITS_PER_10S + vaultRequests / VAULT_TRANSACTIONS_PER_10S) * 10_000;
    // Graph's collections are read side by side, each page after the last; the vaults after Graph.
    const graphChain = Math.max(appPages, spPages, ownerPages) * GRAPH_PAGE_MS;
    const vaultChain = listPages * VAULT_PAGE_MS + (size.valueReads / VAULT_TRANSACTIONS_PER_10S) * 10_000;
    const sequentialMs = graphChain + vaultChain;
    return { graphRequests, graphResourceUnits, vaultRequests, throttleFloorMs, sequentialMs, neededMs: Math.max(throttleFloorMs, sequentialMs) };
}

/** 20,000 apps, as many service principals plus Microsoft's own, one secret per app, values read. */
export const LARGE_TENANT: AuditSize = { apps: 20_000, servicePrincipals: 21_000, secrets: 20_000, valueReads: 20_000 };

/** The default --timeout: what LARGE_TENANT needs, rounded up to whole minutes (see test/cli/auditBudget.test.ts). */
export const DEFAULT_AUDIT_TIMEOUT = `${Math.ceil(auditBudget(LARGE_TENANT).neededMs / 60_000)}m`;
