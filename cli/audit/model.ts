// What keyrelay audit reads and reports. Plain data: no network, no clock.

/** An Entra object that holds credentials: an app registration or a service principal. */
export type OwnerKind = "application" | "servicePrincipal";

/** passwordCredential as Graph v1.0 returns it (https://learn.microsoft.com/graph/api/resources/passwordcredential). */
export interface GraphPasswordCredential {
    keyId: string;
    displayName?: string | null;
    /** The first three characters of the password (Graph keeps nothing more). */
    hint?: string | null;
    startDateTime?: string | null;
    endDateTime?: string | null;
    /** What is wrong with this credential's data (an unreadable date, a keyId another app has): cli/audit/graphShape.ts. */
    problems?: string[];
}

/** keyCredential as Graph v1.0 returns it (https://learn.microsoft.com/graph/api/resources/keycredential); `key` is not selected. */
export interface GraphKeyCredential {
    keyId: string;
    displayName?: string | null;
    type?: string | null;
    usage?: string | null;
    startDateTime?: string | null;
    endDateTime?: string | null;
    problems?: string[];
}

/** An application or service principal with the properties audit selects. */
export interface DirectoryApp {
    kind: OwnerKind;
    /** Object id. */
    id: string;
    /** Application (client) id. */
    appId: string;
    displayName: string;
    signInAudience?: string | null;
    createdDateTime?: string | null;
    passwordCredentials: GraphPasswordCredential[];
    keyCredentials: GraphKeyCredential[];
    /** Applications: false when the app has no owner; undefined when not known (service principals). */
    hasOwner?: boolean;
}

/** One restriction of an appManagementConfiguration (https://learn.microsoft.com/graph/api/resources/passwordcredentialconfiguration). */
export interface CredentialRestriction {
    restrictionType: string;
    /** ISO-8601 duration, for passwordLifetime. */
    maxLifetime?: string | null;
    restrictForAppsCreatedAfterDateTime?: string | null;
    /** "enabled" | "disabled"; absent means enabled. */
    state?: string | null;
}

export interface AppManagementConfiguration {
    passwordCredentials?: CredentialRestriction[] | null;
    keyCredentials?: CredentialRestriction[] | null;
}

/** GET /policies/defaultAppManagementPolicy (https://learn.microsoft.com/graph/api/resources/tenantappmanagementpolicy). */
export interface TenantAppManagementPolicy {
    id?: string;
    displayName?: string | null;
    isEnabled: boolean;
    applicationRestrictions?: AppManagementConfiguration | null;
    servicePrincipalRestrictions?: AppManagementConfiguration | null;
}

/** An appManagementPolicy with the ids of the objects it applies to (https://learn.microsoft.com/graph/api/resources/appmanagementpolicy). */
export interface AppManagementPolicy {
    id: string;
    displayName?: string | null;
    isEnabled: boolean;
    restrictions?: AppManagementConfiguration | null;
    appliesTo: string[];
}

export interface TenantPolicies {
    tenantDefault: TenantAppManagementPolicy | undefined;
    appPolicies: AppManagementPolicy[];
}

export type Severity = "critical" | "warning";

export const FINDING_SEVERITIES = {
    "credential-expired": "critical",
    "credential-expiring": "warning",
    "credential-lifetime-over-policy": "warning",
    "credential-data-invalid": "warning",
    "app-without-owner": "warning",
    "secret-holds-secret-id": "critical",
    "secret-value-whitespace": "critical",
    "secret-stale": "critical",
    "secret-wrong-app": "critical",
    "secret-expiry-mismatch": "warning",
    "secret-behind-rotation": "warning",
    "credential-retiring-in-use": "warning",
    "credential-unused": "warning",
} as const satisfies Record<string, Severity>;

export type FindingCode = keyof typeof FINDING_SEVERITIES;

export interface AppRef {
    displayName: string;
    /** Application (client) id. */
    appId: string;
    kind: OwnerKind;
}

export interface Finding {
    code: FindingCode;
    severity: Severity;
    /** The app the finding is about; undefined when a secret names a client id the tenant does not have. */
    app: AppRef | undefined;
    clientId: string;
    keyId?: string;
    vault?: string;
    secret?: string;
    /** What is wrong and what to do, one or two sentences. Never any part of a value beyond a 3-character hint. */
    message: string;
}

/** One credential row of the report. */
export interface AuditedCredential {
    app: AppRef & { objectId: string; signInAudience: string | null; hasOwner: boolean | null };
    type: "password" | "key";
    keyId: string;
    displayName: string | null;
    /** Graph's hint: the first three characters of a password; null for keys. */
    hint: string | null;
    startDateTime: string | null;
    endDateTime: string | null;
    /** Whole days to endDateTime (negative once expired); null without an end. */
    daysLeft: number | null;
    lifetimeDays: number | null;
    /** The lifetime limit that applies, in days, and where it comes from. */
    lifetimeLimitDays: number | null;
    lifetimeLimitSource: string | null;
    managedByKeyrelay: boolean;
    /** A keyrelay credential that a newer keyrelay credential has replaced in Key Vault. */
    retiring: boolean;
    /** Vault secrets whose value matches this password's hint: "vault/secret". */
    heldBy: string[];
}

/** One Key Vault secret that belongs to an app, checked against the app's credentials. */
export interface AuditedSecret {
    vault: string;
    name: string;
    clientId: string;
    /** How it was tied to the app: its client-id tag, or --map. */
    source: "tag" | "map";
    app: AppRef | undefined;
    /** First three characters of the value, as Entra shows a password's hint; null unless --read-values, and "" for a value of 12 characters or fewer. */
    hint: string | null;
    /** How the credential it holds was found: its key-id tag, its expiry, or (with --read-values) its hint; null when none matched. */
    matchedBy: "key-id tag" | "expiry" | "hint" | null;
    /** The version's expiry: endDateTime, as Graph names a credential's. */
    endDateTime: string | null;
    /** keyId of the app's password whose hint the value matches. */
    keyId: string | null;
    managedByKeyrelay: boolean;
    findings: FindingCode[];
}
