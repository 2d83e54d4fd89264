// The rules of Entra, ARM and the Pulumi providers that the simulated engine enforces, each with
// its source beside it. Pure: the engine passes in what the service would look up.
import { DateTime, Duration } from "luxon";
import { PROVIDER_TYPE_TOKENS, TYPE_TOKENS, toRfc3339 } from "../policies/lib/contract";

export const TYPES = {
    application: PROVIDER_TYPE_TOKENS.application,
    servicePrincipal: PROVIDER_TYPE_TOKENS.servicePrincipal,
    applicationPassword: PROVIDER_TYPE_TOKENS.applicationPassword,
    vaultSecret: TYPE_TOKENS.vaultSecret,
    roleAssignment: PROVIDER_TYPE_TOKENS.roleAssignment,
    federatedCredential: PROVIDER_TYPE_TOKENS.federatedIdentityCredential,
    /** azure-native's Vault (`Vault.__pulumiType` in @pulumi/azure-native/keyvault/vault.js). */
    keyVault: "azure-native:keyvault:Vault",
} as const;

/**
 * What ARM gives a new vault: properties.vaultUri, "The URI of the vault for performing operations on keys
 * and secrets" (VaultPropertiesResponse in @pulumi/azure-native types/output.d.ts). `az keyvault show` prints
 * it with a trailing slash; keyrelay canonicalises the URL either way, so the spelling cannot matter.
 */
export function createdVaultProperties(vaultName: string, properties: Record<string, unknown> | undefined): Record<string, unknown> {
    return { ...properties, vaultUri: `https://${vaultName.toLowerCase()}.vault.azure.net/` };
}

/**
 * Optional inputs the provider computes when they are left out: dropping one from the program keeps
 * the stored value and is no change (the bridge diffs only what the program sets). ApplicationPassword's
 * startDate: "If this isn't specified, the current date is used" (applicationPassword.d.ts).
 */
export const COMPUTED_WHEN_OMITTED: Record<string, string[]> = {
    [TYPES.applicationPassword]: ["startDate"],
};

/**
 * Inputs that force replacement, per type ("*": all of them). Others update in place. Every
 * ApplicationPassword argument says "Changing this field forces a new resource to be created"
 * (applicationPassword.d.ts). A service principal's clientId and a role assignment's principal,
 * scope and role identify the object itself; the typings do not say ForceNew, so the simulation
 * takes the cautious reading (replace), which only makes it report more churn, never less.
 */
export const REPLACE_ON_CHANGE: Record<string, "*" | string[]> = {
    [TYPES.applicationPassword]: "*",
    [TYPES.servicePrincipal]: ["clientId"],
    [TYPES.roleAssignment]: ["principalId", "scope", "roleDefinitionId"],
};

/** An answer Entra or ARM would give, raised where the real service would refuse the request. */
export class ServiceRefusal extends Error {
    constructor(readonly status: number, readonly code: string, message: string) {
        super(`${message} (HTTP ${status} ${code})`);
        this.name = "ServiceRefusal";
    }
}

/**
 * How far before the request a start date may lie. Entra's exact allowance is not documented; the
 * harness allows five minutes of clock skew and refuses anything older. keyrelay sends no startDate,
 * so the exact figure cannot matter to it.
 */
export const START_DATE_TOLERANCE_MS = 5 * 60 * 1000;
/** Audiences that include personal Microsoft accounts, and their password cap. */
const PERSONAL_ACCOUNT_AUDIENCES = new Set(["AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount"]);
const PERSONAL_ACCOUNT_PASSWORD_CAP = 2;

/** An application as the rules see it: its name, resource id, declared inputs and live outputs. */
export interface ApplicationRecord {
    readonly name: string;
    readonly id: string;
    readonly inputs: Record<string, any>;
    /** `owners` here are the live owners, as the provider's Read records them. */
    readonly outputs?: Record<string, any>;
}

/**
 * Who may manage what: a principal holding a directory role such as Application Administrator
 * manages every application; anyone else runs under Application.ReadWrite.OwnedBy.
 * https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference#application-administrator
 */
export interface Deployer {
    readonly objectId: string;
    /** True for a directory role that manages all applications; false: Application.ReadWrite.OwnedBy. */
    readonly administrator: boolean;
}

/** The live owners of an Application or ServicePrincipal the stack declares. */
export function liveOwners(record: ApplicationRecord): string[] {
    const owners = record.outputs?.owners ?? record.inputs.owners;
    return Array.isArray(owners) ? owners.map(String) : [];
}

/**
 * Application.ReadWrite.OwnedBy lets the deploying principal manage only what it owns: "the
 * principal being used to run Terraform must be an owner of the application" (applicationPassword.d.ts),
 * "of _both_ the linked application registration, _and_ the service principal" (servicePrincipal.d.ts).
 * What counts is who owns the object now (see ownersAfterCreate / ownersAfterUpdate), not what the
 * program declares. An app this stack does not declare is taken as owned.
 */
export function requireOwnership(application: ApplicationRecord | undefined, deployer: string | Deployer, what: string, verb = "create"): void {
    const { objectId, administrator } = typeof deployer === "string" ? { objectId: deployer, administrator: false } : deployer;
    if (!application || administrator) return;
    const owners = liveOwners(application);
    if (!owners.some((o) => o.toLowerCase() === objectId.toLowerCase())) {
        throw new ServiceRefusal(403, "Authorization_RequestDenied",
            `Entra refused to ${verb} ${what} for application "${application.name}": the deploying principal ${objectId} is not among its owners ` +
            `(${owners.length === 0 ? "none" : owners.join(", ")}), and Application.ReadWrite.OwnedBy allows only owned applications. ` +
            "Insufficient privileges to complete the operation");
    }
}

/**
 * The owners the provider leaves on a new Application or ServicePrincipal: it sends the caller as the
 * first owner, adds the listed ones, then removes the caller unless `owners` lists it (EqualFold), so
 * with no `owners` there is none (terraform-provider-azuread application_resource.go
 * applicationResourceCreate, service_principal_resource.go servicePrincipalResourceCreate: removeCallerOwner).
 */
export function ownersAfterCreate(declared: unknown): string[] {
    return Array.isArray(declared) ? [...new Set(declared.map(String))] : [];
}

/**
 * On update, when `owners` changed, the provider lists the live owners and adds and removes until they
 * are exactly the declared ones (applicationResourceUpdate, servicePrincipalResourceUpdate:
 * `tf.Difference(existingOwners, desiredOwners)`). `owners` is Optional, not Computed, so leaving it out
 * declares the empty set. Unchanged (or under ignoreChanges), the live owners stay as they are.
 */
export function ownersAfterUpdate(live: readonly string[], oldDeclared: unknown, newDeclared: unknown): string[] {
    const asSet = (v: unknown) => JSON.stringify(ownersAfterCreate(v).sort());
    const same = asSet(oldDeclared) === asSet(newDeclared);
    return same ? [...live] : ownersAfterCreate(newDeclared);
}

export interface NewPasswordContext {
    /** The application the password is for, when this stack declares it. */
    readonly application: ApplicationRecord | undefined;
    readonly deployingPrincipal: string | Deployer;
    /** The tenant's passwordLifetime maxLifetime (ISO 8601), when it has one. */
    readonly maxLifetime: string | undefined;
    /** Passwords the application holds now (not deleted). */
    readonly livePasswords: number;
}

/** Entra's rules for a new password credential, checked before it is issued; returns the startDate Entra stores. */
export function checkNewPassword(at: DateTime, name: string, inputs: Record<string, any>, context: NewPasswordContext): string {
    const { application, maxLifetime } = context;
    requireOwnership(application, context.deployingPrincipal, `password "${name}"`);
    // A start in the past: Entra answered KeyCredentialsInvalidStartDate to re-created credentials
    // whose start date had passed (hashicorp/terraform-provider-azuread#1582); allow clock skew only.
    const startDate = inputs.startDate === undefined ? toRfc3339(at) : String(inputs.startDate);
    const start = Date.parse(startDate);
    if (start < at.toMillis() - START_DATE_TOLERANCE_MS) {
        throw new ServiceRefusal(400, "KeyCredentialsInvalidStartDate",
            `Entra refused password "${name}": startDate ${startDate} is ${Math.round((at.toMillis() - start) / 60000)} minutes before the request; ` +
            "leave startDate out (Entra stamps the creation time) or send one no earlier than now");
    }
    // An end at or before now: Entra answers KeyCredentialsInvalidEndDate (issue 16 §5; Graph addPassword,
    // https://learn.microsoft.com/graph/api/application-addpassword, takes endDateTime as the credential's
    // expiry). keyrelay's margin of a day is a flag, not a refusal (see PASSWORD_MIN_LIFE_MS).
    if (inputs.endDate !== undefined && Date.parse(inputs.endDate) <= at.toMillis()) {
        throw new ServiceRefusal(400, "KeyCredentialsInvalidEndDate",
            `Entra refused password "${name}": endDate ${inputs.endDate} is not after the request (${toRfc3339(at)})`);
    }
    // App management policy passwordLifetime: maxLifetime caps endDateTime - startDateTime.
    // https://learn.microsoft.com/graph/api/resources/passwordcredentialconfiguration
    if (maxLifetime !== undefined) {
        const maxMs = Duration.fromISO(maxLifetime).toMillis();
        const life = Date.parse(inputs.endDate) - start;
        if (inputs.endDate === undefined || life > maxMs) {
            throw new ServiceRefusal(400, "CredentialInvalidLifetimeAsPerAppPolicy",
                `Entra refused password "${name}": it would live ${inputs.endDate === undefined ? "two years (no endDate)" : `${(life / 86_400_000).toFixed(2)} days`}, ` +
                `over the tenant's app management policy passwordLifetime maxLifetime ${maxLifetime}`);
        }
    }
    // Apps open to personal Microsoft accounts hold at most two client secrets ("Client secrets
    // (passwordCredentials)": "Up to two client secrets"; Graph answers TooManyAppPasswords).
    // https://learn.microsoft.com/entra/identity-platform/supported-accounts-validation
    if (application && PERSONAL_ACCOUNT_AUDIENCES.has(application.inputs.signInAudience) && context.livePasswords >= PERSONAL_ACCOUNT_PASSWORD_CAP) {
        throw new ServiceRefusal(400, "TooManyAppPasswords",
            `Entra refused password "${name}": application "${application.name}" (signInAudience ${application.inputs.signInAudience}) already holds ${context.livePasswords} passwords, ` +
            `the most an app that accepts personal Microsoft accounts may have`);
    }
    return startDate;
}

/** A rule keyrelay holds itself to beyond the service's own: the harness fails the run that breaks it. */
export class KeyrelayRuleViolation extends Error {
    constructor(message: string) {
        super(message);
        this.name = "KeyrelayRuleViolation";
    }
}

/**
 * keyrelay's margin over KeyCredentialsInvalidEndDate (issue 16 §5, "never declare a credential with
 * less than a day to live"): a password created with under a day to live is refused, because the
 * same program applied a little later (after a preview, or by a late run) sends an end Entra refuses.
 * keyrelay's rule, not Entra's, so it is a KeyrelayRuleViolation and not a ServiceRefusal.
 */
export const PASSWORD_MIN_LIFE_MS = 24 * 60 * 60 * 1000;

export function checkPasswordLife(at: DateTime, name: string, endDate: unknown): void {
    const end = typeof endDate === "string" ? Date.parse(endDate) : NaN;
    if (end - at.toMillis() < PASSWORD_MIN_LIFE_MS) {
        throw new KeyrelayRuleViolation(`password "${name}" would be created with ${((end - at.toMillis()) / 3_600_000).toFixed(1)} hours to live, under a day`);
    }
}

/**
 * Issue 16 §5, "declare a slot only when Key Vault will hold it or when it keeps a held one alive":
 * a password created for an application whose values go to Key Vault must reach Key Vault in the
 * same run, or it is a live secret kept only in state, and a Graph write for nothing.
 * `vaulted`: the application ids whose passwords Key Vault has ever held (this run's writes included).
 */
export function unheldPasswords(created: readonly { name: string; inputs: Record<string, any>; outputs: Record<string, any> }[],
    writtenThisRun: ReadonlySet<string>, vaulted: ReadonlySet<string>): KeyrelayRuleViolation[] {
    return created
        .filter((p) => vaulted.has(p.inputs.applicationId) && !writtenThisRun.has(p.outputs.value))
        .map((p) => new KeyrelayRuleViolation(`password "${p.name}" was created and never reached Key Vault: a live secret kept only in state`));
}

export function roleAssignmentKey(inputs: Record<string, any>): string {
    return [inputs.principalId, inputs.roleDefinitionId, inputs.scope].map((v) => String(v).toLowerCase()).join("|");
}

/**
 * ARM holds one assignment of a role per principal and scope: a second, under any name, is
 * answered 409 RoleAssignmentExists ("The role assignment already exists").
 * https://learn.microsoft.com/azure/role-based-access-control/troubleshooting (RoleAssignmentExists)
 * `assignments` maps "principal|role|scope" (lower case) to the holder's URN; the claim is recorded in it.
 */
export function claimRoleAssignment(assignments: Map<string, string>, urn: string, name: string, inputs: Record<string, any>): void {
    const key = roleAssignmentKey(inputs);
    const holder = assignments.get(key);
    if (holder !== undefined && holder !== urn) {
        throw new ServiceRefusal(409, "RoleAssignmentExists",
            `Azure refused role assignment "${name}": principal ${inputs.principalId} already holds role ${inputs.roleDefinitionId} at scope ${inputs.scope} ` +
            `(assignment ${holder.slice(holder.lastIndexOf("::") + 2)}). The role assignment already exists`);
    }
    assignments.set(key, urn);
}

/**
 * One key per vault secret. Vault hosts are DNS names (case-insensitive); secret names are compared
 * case-insensitively too, the stricter reading for the simulation's one-writer bookkeeping: were
 * Key Vault to tell case apart, folding it only makes two writers meet sooner, never later.
 */
export function vaultKey(vaultUrl: string, name: string): string {
    return `${vaultUrl.replace(/\/+$/, "").toLowerCase()}/secrets/${name.toLowerCase()}`;
}
