// keyrelay doctor's judgement, pure: can the declared fleet be rotated in this tenant? Entra's rules
// (Microsoft Graph appManagementPolicy / tenantAppManagementPolicy, passwordCredentialConfiguration):
// - an enabled appManagementPolicy assigned to an app replaces the tenant default for it; the
//   default (when isEnabled) applies to every other app, through its applicationRestrictions;
// - a restriction binds apps created after its restrictForAppsCreatedAfterDateTime; a new app is
//   created now, so every restriction with a past cut-off binds it;
// - passwordAddition refuses every new password; passwordLifetime refuses an end − start over maxLifetime
//   (HTTP 400 CredentialInvalidLifetimeAsPerAppPolicy);
// - under Application.ReadWrite.OwnedBy the deployer can change only apps it owns.
import { DateTime, Duration } from "luxon";
import { AppManagementPolicy, CredentialRestriction, TenantPolicies } from "../audit/model";

export interface DeclaredApp {
    /** The Application's displayName, as the program declares it. */
    displayName: string;
    /** The longest password lifetime the schedule asks for, in days (validFor). */
    validForDays: number;
}

export interface TenantApp {
    id: string;
    appId: string;
    displayName: string;
    createdDateTime?: string | null;
}

export type DoctorProblemCode = "password-addition-blocked" | "lifetime-over-policy" | "not-owned-by-deployer" | "name-ambiguous";

export interface DoctorProblem {
    code: DoctorProblemCode;
    severity: "critical" | "warning";
    app: string;
    message: string;
}

export interface DoctorInput {
    declared: readonly DeclaredApp[];
    tenantApps: readonly TenantApp[];
    policies: TenantPolicies;
    /** Object ids the deployer owns; undefined when they could not be read. */
    owned: ReadonlySet<string> | undefined;
    now: DateTime;
}

function binds(restriction: CredentialRestriction, created: DateTime): boolean {
    if ((restriction.state ?? "enabled") !== "enabled") return false;
    const after = restriction.restrictForAppsCreatedAfterDateTime ? DateTime.fromISO(restriction.restrictForAppsCreatedAfterDateTime, { zone: "utc" }) : undefined;
    return !after?.isValid || created > after;
}

function governing(app: TenantApp | undefined, policies: TenantPolicies): { restrictions: CredentialRestriction[]; source: string } {
    const assigned: AppManagementPolicy | undefined = app ? policies.appPolicies.find((p) => p.isEnabled && p.appliesTo.includes(app.id)) : undefined;
    if (assigned) return { restrictions: assigned.restrictions?.passwordCredentials ?? [], source: `appManagementPolicy "${assigned.displayName ?? assigned.id}"` };
    const tenant = policies.tenantDefault;
    return tenant?.isEnabled ? { restrictions: tenant.applicationRestrictions?.passwordCredentials ?? [], source: "the tenant default app management policy" } : { restrictions: [], source: "no policy" };
}

export function judgeTenant(input: DoctorInput): DoctorProblem[] {
    const problems: DoctorProblem[] = [];
    for (const declared of input.declared) {
        const matches = input.tenantApps.filter((a) => a.displayName === declared.displayName);
        const label = `app "${declared.displayName}"`;
        if (matches.length > 1) {
            problems.push({ code: "name-ambiguous", severity: "warning", app: declared.displayName,
                message: `${matches.length} apps in the tenant are named "${declared.displayName}": doctor checked the first (${matches[0].appId}). Give the declared app a unique name.` });
        }
        const existing = matches[0];
        const created = existing?.createdDateTime ? DateTime.fromISO(existing.createdDateTime, { zone: "utc" }) : input.now;
        const where = existing ? `${label} (${existing.appId}, created ${created.isValid ? created.toISODate() : "at an unknown time"})` : `${label} (new: created by the first pulumi up)`;
        const { restrictions, source } = governing(existing, input.policies);
        const bound = restrictions.filter((r) => binds(r, created.isValid ? created : input.now));
        if (bound.some((r) => r.restrictionType === "passwordAddition")) {
            problems.push({ code: "password-addition-blocked", severity: "critical", app: declared.displayName,
                message: `${where}: ${source} blocks adding passwords (passwordAddition), so keyrelay cannot create its client secrets. Exempt the app (assign it an appManagementPolicy without passwordAddition) or use a certificate or federated credential instead.` });
        }
        for (const r of bound.filter((x) => x.restrictionType === "passwordLifetime" && x.maxLifetime)) {
            const cap = Duration.fromISO(r.maxLifetime!);
            if (!cap.isValid) continue;
            const capDays = cap.as("days");
            if (declared.validForDays > capDays + 1 / 1440) {
                problems.push({ code: "lifetime-over-policy", severity: "critical", app: declared.displayName,
                    message: `${where}: validFor is ${Math.round(declared.validForDays)} days, over the ${Math.round(capDays)}-day passwordLifetime of ${source}; Entra refuses it (CredentialInvalidLifetimeAsPerAppPolicy). Set validFor to ${r.maxLifetime} or less, or set keyrelay:maxLifetime so the policy pack catches it.` });
            }
        }
        if (existing && input.owned && !input.owned.has(existing.id)) {
            problems.push({ code: "not-owned-by-deployer", severity: "warning", app: declared.displayName,
                message: `${where} is not owned by the deployer: under Application.ReadWrite.OwnedBy the first pulumi up gets 403. Add the deployer as an owner, or grant Application.ReadWrite.All.` });
        }
    }
    return problems;
}
