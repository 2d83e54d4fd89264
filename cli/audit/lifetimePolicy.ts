// Which password lifetime limit applies to an app or service principal. Entra's rule
// (https://learn.microsoft.com/graph/api/resources/applicationauthenticationmethodpolicy):
// an appManagementPolicy assigned to the object overrides the tenant default policy; the
// tenant default (tenantAppManagementPolicy, disabled unless an admin enables it) applies to
// every other object, with separate restrictions for applications and service principals.
// A restriction with restrictForAppsCreatedAfterDateTime only binds objects created after it.
import { DateTime, Duration } from "luxon";
import { CredentialRestriction, DirectoryApp, TenantPolicies } from "./model";

/** Where the tenant sets no limit, audit holds passwords to a year. */
export const DEFAULT_LIFETIME_LIMIT_DAYS = 365;

export interface LifetimeLimit {
    days: number;
    /** For the report: which policy, e.g. `tenant default policy` or `appManagementPolicy "Short secrets"`. */
    source: string;
}

function passwordLifetimeOf(restrictions: CredentialRestriction[] | null | undefined, app: DirectoryApp): number | undefined {
    // Graph's data may have the wrong shape (cli/audit/graphShape.ts): anything unreadable sets no limit.
    const restriction = (Array.isArray(restrictions) ? restrictions : []).find((r) => r?.restrictionType === "passwordLifetime" && (r.state ?? "enabled") === "enabled");
    if (typeof restriction?.maxLifetime !== "string") return undefined;
    const after = typeof restriction.restrictForAppsCreatedAfterDateTime === "string" ? DateTime.fromISO(restriction.restrictForAppsCreatedAfterDateTime, { zone: "utc" }) : undefined;
    const created = app.createdDateTime ? DateTime.fromISO(app.createdDateTime, { zone: "utc" }) : undefined;
    // Only a creation time before the cut-off exempts: a service principal has none in Graph v1.0
    // (servicePrincipal resource, v1.0), and Entra's rule cannot be shown not to bind it.
    if (after?.isValid && created?.isValid && created < after) return undefined;
    const lifetime = Duration.fromISO(restriction.maxLifetime);
    if (!lifetime.isValid) return undefined;
    return lifetime.as("days");
}

export function passwordLifetimeLimit(app: DirectoryApp, policies: TenantPolicies): LifetimeLimit {
    const assigned = policies.appPolicies.find((p) => p.isEnabled && p.appliesTo.includes(app.id));
    if (assigned) {
        const days = passwordLifetimeOf(assigned.restrictions?.passwordCredentials, app);
        if (days !== undefined) return { days, source: `appManagementPolicy "${assigned.displayName ?? assigned.id}"` };
        // An assigned policy replaces the default, even one without a lifetime restriction.
        return { days: DEFAULT_LIFETIME_LIMIT_DAYS, source: `no passwordLifetime in appManagementPolicy "${assigned.displayName ?? assigned.id}": audit's ${DEFAULT_LIFETIME_LIMIT_DAYS} days` };
    }
    const tenant = policies.tenantDefault;
    if (tenant?.isEnabled) {
        const configuration = app.kind === "application" ? tenant.applicationRestrictions : tenant.servicePrincipalRestrictions;
        const days = passwordLifetimeOf(configuration?.passwordCredentials, app);
        if (days !== undefined) return { days, source: "tenant default app management policy" };
    }
    return { days: DEFAULT_LIFETIME_LIMIT_DAYS, source: `no tenant limit: audit's ${DEFAULT_LIFETIME_LIMIT_DAYS} days` };
}
