// Microsoft recommends client secrets live well under the two years the portal allows.
// https://learn.microsoft.com/entra/identity-platform/how-to-add-credentials
// endDateRelative is deprecated (applicationPassword.d.ts) and reported ignored by the provider
// (hashicorp/terraform-provider-azuread#1424): only endDate counts.
import { DateTime } from "luxon";
import { DEFAULT_MAX_LIFETIME_DAYS, daysBetween, formatDayCount, toRfc3339 } from "./lib/contract";
import { NumberSetting, resourcePolicy } from "./lib/resourcePolicy";
import { TENANT_MAX_LIFETIME, TenantLifetime, readTenantMaxLifetime } from "./lib/tenantLifetime";
import { keyrelayPeriodStart } from "./lib/keyrelayCredential";
import { describeResource, validityOf } from "./lib/resourceKinds";
import { readPath } from "./lib/unknownValues";
import type { ResourceView } from "./lib/resourceView";

export const CREDENTIAL_LIFETIME = "credential-lifetime";

export const MAX_LIFETIME_DAYS: NumberSetting = {
    key: "maxLifetimeDays",
    default: DEFAULT_MAX_LIFETIME_DAYS,
    minimum: 1,
    description: "Longest life, in days, of a credential or Key Vault secret, from its start (or now) to its end.",
};

/** Messages for a credential or Key Vault secret with no end, an unreadable end, or a life over `maxLifetimeDays`. */
export function lifetimeViolations(resource: ResourceView, now: DateTime, maxLifetimeDays: number, tenant?: TenantLifetime): string[] {
    const validity = validityOf(resource.type, resource.props);
    if (!validity) return [];
    const what = describeResource(resource.type, resource.name);
    const { end, start } = validity;
    switch (end.state) {
        case "unknown":
            return [];
        case "missing":
            if (validity.kind === "credential" && readPath(resource.props, ["endDateRelative"]).state !== "missing") {
                return [`${what} sets endDateRelative but no endDate: endDateRelative is deprecated in the azuread provider and reported ignored ` +
                    "(hashicorp/terraform-provider-azuread#1424), so the credential may get Graph's default life of two years. " +
                    `Set endDate (RFC 3339) at most ${maxLifetimeDays} days after the start instead, and remove endDateRelative.`];
            }
            return [validity.kind === "credential"
                ? `${what} has no endDate: Graph then gives the credential its default life of two years. Set endDate (RFC 3339) at most ${maxLifetimeDays} days after startDate.`
                : `${what} has no expiry (${end.field}), so the secret never expires. Set ${end.field} at most ${maxLifetimeDays} days after the secret's start.`];
        case "invalid":
            return [`${what} has ${end.field} ${JSON.stringify(end.text)}, which is ${end.reason}. Write ${end.field} as ${validity.kind === "secret" && end.field.endsWith("expires") ? "seconds since 1970-01-01T00:00:00Z" : "an RFC 3339 date such as 2026-01-31T00:00:00Z"}.`];
        case "known": {
            // Without a startDate, Entra stamps the creation time: a keyrelay credential's period start
            // bounds it from below (its keyrelay-period-start marker); any other counts from now.
            const periodStart = start.state === "missing" ? keyrelayPeriodStart(resource.type, resource.props, resource.urn, resource.parent) : undefined;
            const from = start.state === "known" ? start.at : periodStart ?? now;
            const lifeDays = daysBetween(from, end.at);
            const origin = start.state === "known" ? `${start.field} ${toRfc3339(start.at)}`
                : periodStart ? `its period start (keyrelay-period-start) ${toRfc3339(periodStart)}` : "now";
            // The tenant's passwordLifetime binds credentials only; Entra refuses a longer one outright.
            if (tenant && validity.kind === "credential" && lifeDays > tenant.days && tenant.days < maxLifetimeDays) {
                return [`${what} lives ${formatDayCount(lifeDays)}, from ${origin} to ${end.field} ${toRfc3339(end.at)}, over the tenant's passwordLifetime ${tenant.text} (${formatDayCount(tenant.days)}, its app management policy): ` +
                    `Entra refuses it with CredentialInvalidLifetimeAsPerAppPolicy. Set rotation.validFor to ${tenant.text} or less (keyrelay doctor reads the tenant's policies).`];
            }
            if (lifeDays <= maxLifetimeDays) return [];
            return [`${what} lives ${formatDayCount(lifeDays)}, from ${origin} to ${end.field} ${toRfc3339(end.at)}, over the maximum of ${maxLifetimeDays} days. ` +
                `Set ${end.field} at most ${maxLifetimeDays} days after the start; with keyrelay, shorten rotation.validFor or rotation.every.`];
        }
    }
}

export const credentialLifetime = resourcePolicy({
    name: CREDENTIAL_LIFETIME,
    description: "Entra credentials and Key Vault secrets must have an end date, at most maxLifetimeDays after their start.",
    level: "mandatory",
    setting: MAX_LIFETIME_DAYS,
    configProperties: { [TENANT_MAX_LIFETIME.key]: TENANT_MAX_LIFETIME.schema },
    check: (resource, now, maxLifetimeDays, config) => lifetimeViolations(resource, now, maxLifetimeDays, readTenantMaxLifetime(CREDENTIAL_LIFETIME, config)),
});
