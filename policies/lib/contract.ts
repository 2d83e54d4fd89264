// The contract between keyrelay's components and this policy pack: the type tokens, the markers a
// RotatingPassword writes into each credential, and the date basics both compute with.
//
// It lives in the pack, not beside the components, because the pack ships self-contained:
// `pulumi policy publish` (and test/packaging/policyPack.test.ts) copies `policies/` alone and
// installs it, so the pack may import nothing outside this folder. The components import it from here.
import { DateTime } from "luxon";

/** keyrelay's Pulumi type tokens, chosen once: renaming one later needs aliases in every user's stack. */
export const TYPE_TOKENS = {
    rotatedAppRegistration: "keyrelay:index:RotatedAppRegistration",
    rotatingPassword: "keyrelay:index:RotatingPassword",
    federatedAppRegistration: "keyrelay:index:FederatedAppRegistration",
    expiryAlerts: "keyrelay:index:ExpiryAlerts",
    /** A dynamic resource's token is pulumi-nodejs:dynamic/<module>:<type>. */
    vaultSecret: "pulumi-nodejs:dynamic/keyrelay:VaultSecret",
} as const;

export const VAULT_SECRET_MODULE = "keyrelay";
export const VAULT_SECRET_TYPE_NAME = "VaultSecret";

/**
 * The azuread and azure-native tokens keyrelay declares or checks, spelled once for the pack, the
 * components' tools and the simulation (node_modules/@pulumi/azuread/*.js `__pulumiType`).
 */
export const PROVIDER_TYPE_TOKENS = {
    application: "azuread:index/application:Application",
    servicePrincipal: "azuread:index/servicePrincipal:ServicePrincipal",
    applicationPassword: "azuread:index/applicationPassword:ApplicationPassword",
    servicePrincipalPassword: "azuread:index/servicePrincipalPassword:ServicePrincipalPassword",
    applicationCertificate: "azuread:index/applicationCertificate:ApplicationCertificate",
    servicePrincipalCertificate: "azuread:index/servicePrincipalCertificate:ServicePrincipalCertificate",
    getClientConfig: "azuread:index/getClientConfig:getClientConfig",
    azureNativeSecret: "azure-native:keyvault:Secret",
    azureClassicSecret: "azure:keyvault/secret:Secret",
    roleAssignment: "azure-native:authorization:RoleAssignment",
    federatedIdentityCredential: "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
} as const;

/** Key in an ApplicationPassword's rotateWhenChanged: when it stops being the credential in Key Vault. */
export const SERVES_UNTIL_MARKER = "keyrelay-serves-until";
/** Key in an ApplicationPassword's rotateWhenChanged: the start of the period it was issued for. */
export const PERIOD_START_MARKER = "keyrelay-period-start";

/** credential-expiry-near's default minDaysRemaining; the component's minimum validFor is built on it. */
export const DEFAULT_MIN_DAYS_REMAINING = 14;
/** credential-lifetime's default maxLifetimeDays; the component's longest validFor. */
export const DEFAULT_MAX_LIFETIME_DAYS = 365;

export const DAY_MS = 24 * 60 * 60 * 1000;

/** RFC 3339 in UTC without milliseconds, the form the azuread provider and Key Vault accept. */
export function toRfc3339(instant: DateTime): string {
    return instant.toUTC().toISO({ suppressMilliseconds: true })!;
}

/** Signed days from `from` to `to`. */
export function daysBetween(from: DateTime, to: DateTime): number {
    return (to.toMillis() - from.toMillis()) / DAY_MS;
}

/** "1 day", "13.5 days", "0.2 days": one decimal at most. */
export function formatDayCount(days: number): string {
    const rounded = Math.round(Math.abs(days) * 10) / 10;
    return `${rounded} ${rounded === 1 ? "day" : "days"}`;
}
