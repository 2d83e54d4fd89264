// Input checks shared by the components: pure, so a bad stack fails before anything is created.
import type * as pulumi from "@pulumi/pulumi";
import { DateTime } from "luxon";
import { InputError } from "../lib/errors";
import { isLoopbackHost } from "../lib/network";
import { KEYRELAY_TAGS, MAX_VAULT_TAGS, MAX_VAULT_TAG_VALUE, canonicalVaultUrl } from "./provider/vaultSecretDiff";

export const SECRET_NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/;
/**
 * Key Vault's DNS suffixes: public cloud, China (21Vianet), US Government. Microsoft Cloud Germany
 * (vault.microsoftazure.de) was retired in October 2021.
 * https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#dns-suffixes-for-object-identifiers
 */
export const VAULT_DNS_SUFFIXES = ["vault.azure.net", "vault.azure.cn", "vault.usgovcloudapi.net"];
const VAULT_NAME_PATTERN = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;

export function checkSecretName(name: string, resource: string, field = "vault.secretName"): void {
    if (!SECRET_NAME_PATTERN.test(name)) {
        throw new InputError(resource, field, `is ${JSON.stringify(name)}, not a valid Key Vault secret name`,
            "Use 1 to 127 letters, digits and hyphens (^[0-9a-zA-Z-]{1,127}$), for example \"billing-api-client-secret\".");
    }
}

/** Returns the vault URL in canonical form: https, lower-case host, no trailing slash. */
export function checkVaultUrl(url: string, resource: string, field = "vault.url"): string {
    let parsed: URL | undefined;
    try {
        parsed = new URL(url);
    } catch {
        parsed = undefined;
    }
    const host = parsed?.hostname.toLowerCase() ?? "";
    const suffix = VAULT_DNS_SUFFIXES.find((s) => host.endsWith(`.${s}`));
    const vaultName = suffix ? host.slice(0, -suffix.length - 1) : "";
    const valid = parsed !== undefined && parsed.protocol === "https:" && suffix !== undefined
        && VAULT_NAME_PATTERN.test(vaultName) && parsed.port === "" && (parsed.pathname === "/" || parsed.pathname === "")
        && parsed.search === "" && parsed.hash === "" && parsed.username === "";
    if (!valid) {
        throw new InputError(resource, field, `is ${JSON.stringify(url)}, not a Key Vault URL`,
            `Use the vault's URI as the portal shows it, "https://<vault-name>.vault.azure.net" (or ${VAULT_DNS_SUFFIXES.slice(1).join(", ")} in sovereign clouds), with no path.`);
    }
    return `https://${host}`;
}

export function checkReaders(readers: readonly unknown[] | undefined, vaultResourceId: unknown, resource: string): void {
    if (readers !== undefined && readers.length > 0 && vaultResourceId === undefined) {
        throw new InputError(resource, "readers", "grants \"Key Vault Secrets User\" on the secret, which needs the vault's resource id",
            "Set vault.resourceId to the vault's ARM id (/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>), or remove readers.");
    }
}

/** A reader: a principal object id, or a stable name for a principal id known only at deployment. */
/**
 * Output.isInstance without loading the SDK (the command's usage errors must not): the SDK marks each
 * Output with a true __pulumiOutput member (node_modules/@pulumi/pulumi/output.js, Output.isInstance).
 */
export function isPulumiOutput(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as { __pulumiOutput?: unknown }).__pulumiOutput === true;
}

export type Reader = string | { name: string; principalId: pulumi.Input<string> };

const READER_KEY_PATTERN = /^[0-9a-zA-Z-]{1,64}$/;
const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Each reader's role assignment is keyed by its principal (or the name given with it), never by
 * its place in the list: removing one reader then deletes only its own assignment, where keying by
 * position replaced the next one with a principal that already holds the role (409 RoleAssignmentExists).
 */
export function readerKeys(readers: readonly Reader[], resource: string): { key: string; principalId: pulumi.Input<string> }[] {
    const seen = new Map<string, number>();
    return readers.map((reader, index) => {
        const field = `readers[${index}]`;
        let key: string;
        let principalId: pulumi.Input<string>;
        if (typeof reader === "string") {
            key = reader;
            principalId = reader;
        } else if (reader !== null && typeof reader === "object" && !isPulumiOutput(reader) && !(reader instanceof Promise) && "principalId" in reader) {
            if (typeof reader.name !== "string") {
                throw new InputError(resource, `${field}.name`, `is ${JSON.stringify(reader.name)}, not a string`,
                    'Give each reader whose principalId is an Output a stable name, for example { name: "orders-api", principalId: ordersIdentity.principalId }.');
            }
            key = reader.name;
            principalId = reader.principalId;
        } else {
            throw new InputError(resource, field, "is not known when the program runs (an Output or a promise), so keyrelay cannot name its role assignment after it",
                'Write it as { name: "<stable name, e.g. the consumer\'s name>", principalId: <the Output> }, or as the principal\'s object id string.');
        }
        if (!READER_KEY_PATTERN.test(key) || /^\d+$/.test(key)) {
            throw new InputError(resource, field, `is ${JSON.stringify(key)}, which cannot name a role assignment`,
                "Use the principal's object id (a GUID), or { name, principalId } with a name of 1 to 64 letters, digits and hyphens, not digits alone.");
        }
        if (typeof principalId === "string" && !GUID_PATTERN.test(principalId)) {
            // ARM's principalId is the principal's object id; a name here fails only after the app and the secret exist.
            throw new InputError(resource, typeof reader === "string" ? field : `${field}.principalId`, `is ${JSON.stringify(principalId)}, not a principal object id (a GUID)`,
                "Use the object id of the user, group, service principal or managed identity (Entra admin center > Object ID), or { name, principalId: <an Output> }.");
        }
        const earlier = seen.get(key.toLowerCase());
        if (earlier !== undefined) {
            throw new InputError(resource, field, `repeats readers[${earlier}] ("${key}"); Azure allows one assignment of a role per principal and scope (409 RoleAssignmentExists)`,
                "List each principal once.");
        }
        seen.set(key.toLowerCase(), index);
        return { key, principalId };
    });
}

/** Audiences that include personal Microsoft accounts: Entra allows such an app at most two passwords. */
export const PERSONAL_ACCOUNT_AUDIENCES = ["AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount"];

/**
 * keyrelay keeps a third password on the first day of each period (and more during a schedule
 * change); an app open to personal Microsoft accounts may hold only two, so Graph would answer
 * TooManyAppPasswords on every rotation day. Refused here, before anything is created.
 * https://learn.microsoft.com/entra/identity-platform/supported-accounts-validation
 */
export function checkSignInAudience(audience: unknown, resource: string): void {
    if (audience === undefined) return;
    if (typeof audience !== "string") {
        throw new InputError(resource, "application.signInAudience", "is not a plain string, so keyrelay cannot check it before anything is created",
            'Write it as text, for example "AzureADMyOrg" or "AzureADMultipleOrgs".');
    }
    if (PERSONAL_ACCOUNT_AUDIENCES.includes(audience)) {
        throw new InputError(resource, "application.signInAudience",
            `is "${audience}": Entra allows an app that accepts personal Microsoft accounts at most two client secrets (TooManyAppPasswords), and keyrelay's rotation needs three on every rotation day`,
            'Use "AzureADMyOrg" or "AzureADMultipleOrgs" for the app keyrelay rotates (a separate app registration can serve personal accounts), or give that app a certificate instead of a client secret.');
    }
}

/**
 * Remembers which resource writes which secret, per deployment, to refuse two writers of one secret.
 * The second writer fails in its constructor; the first one's writes wait (`afterDeclarations`) until
 * the program's synchronous declarations are done, and then fail too, so neither writes anything.
 */
export class SecretOwnership {
    private readonly owners = new Map<string, string>();
    private readonly conflicts = new Map<string, InputError>();

    private static keyOf(vaultUrl: string, secretName: string): string {
        return `${canonicalVaultUrl(vaultUrl)}/secrets/${secretName.toLowerCase()}`;
    }

    claim(vaultUrl: string, secretName: string, resource: string, field = "vault.secretName"): void {
        const key = SecretOwnership.keyOf(vaultUrl, secretName);
        const owner = this.owners.get(key);
        if (owner !== undefined && owner !== resource) {
            const error = new InputError(resource, field,
                `is "${secretName}" in ${canonicalVaultUrl(vaultUrl)}, which ${owner} already writes (Key Vault names are case-insensitive)`,
                `Give each writer its own secret name, or remove one of ${owner} and ${resource}: two writers would overwrite each other's credential.`);
            this.conflicts.set(key, error);
            throw error;
        }
        this.owners.set(key, resource);
    }

    /** Resolves once the declarations made in the same pass are done, or rejects when another writer claimed the same secret. */
    async afterDeclarations(vaultUrl: string, secretName: string): Promise<void> {
        await new Promise<void>((resolve) => setImmediate(resolve));
        const conflict = this.conflicts.get(SecretOwnership.keyOf(vaultUrl, secretName));
        if (conflict) throw conflict;
    }
}

const ownershipByDeployment = new WeakMap<object, SecretOwnership>();
const processWideDeployment = {};

/** One SecretOwnership per deployment: each mock runtime (and the one real engine) gets its own. */
export function secretOwnership(deployment: object | undefined): SecretOwnership {
    const key = deployment ?? processWideDeployment;
    let ownership = ownershipByDeployment.get(key);
    if (!ownership) {
        ownership = new SecretOwnership();
        ownershipByDeployment.set(key, ownership);
    }
    return ownership;
}

/** Components that write a secret through a child VaultSecret, and the name they claimed it under. */
const secretWriterLabels = new WeakMap<object, string>();

export function registerSecretWriter(component: object, label: string): void {
    secretWriterLabels.set(component, label);
}

/**
 * The label a VaultSecret claims its secret under: its parent component's for the one VaultSecret
 * that component declares itself (its first child VaultSecret, declared in its constructor); any
 * other VaultSecret given `{ parent: component }` claims under its own name, so a second writer of
 * the component's secret is refused like any other.
 */
export function secretWriterLabel(parent: object | undefined, own: string): string {
    const label = parent ? secretWriterLabels.get(parent) : undefined;
    if (label === undefined) return own;
    secretWriterLabels.delete(parent!);
    return label;
}

// ---------------------------------------------------------------------------------------------
// Shape checks: each returns a problem (what is wrong, and the fix) or nothing. Pure, with no
// Pulumi import, so the VaultSecret provider's check() can use them on values that were still
// Outputs at declaration.

export interface InputProblem {
    field: string;
    problem: string;
    fix: string;
}

/** The value Pulumi's engine puts where an input is not known yet (@pulumi/pulumi runtime/rpc.js `unknownValue`). */
export const UNKNOWN_INPUT = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function describeValue(value: unknown): string {
    if (value === null) return "null";
    if (typeof value === "string") return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
    if (Array.isArray(value)) return "a list";
    if (typeof value === "object") return "an object";
    return `${typeof value === "number" ? "the number" : typeof value} ${String(value)}`;
}

/** A direct VaultSecret's vault URL: https, a Key Vault host (or loopback for local tests), no path, port, query or user. */
export function vaultUrlProblem(url: unknown, field = "vaultUrl"): InputProblem | undefined {
    const fix = `Use the vault's URI as the portal shows it, "https://<vault-name>.vault.azure.net" (or ${VAULT_DNS_SUFFIXES.slice(1).join(", ")} in sovereign clouds), with no path or port.`;
    if (typeof url !== "string") return { field, problem: `is ${describeValue(url)}, not a string`, fix };
    let parsed: URL | undefined;
    try { parsed = new URL(url); } catch { parsed = undefined; }
    if (!parsed || parsed.protocol !== "https:") return { field, problem: `is ${describeValue(url)}, not an https URL`, fix };
    if (parsed.username || parsed.password || parsed.search || parsed.hash || (parsed.pathname !== "/" && parsed.pathname !== "")) {
        return { field, problem: `is ${describeValue(url)}, which has a path, query or user part`, fix };
    }
    if (isLoopbackHost(parsed.hostname)) return undefined;
    if (parsed.port !== "") return { field, problem: `is ${describeValue(url)}, which names port ${parsed.port}; Key Vault answers on 443 only`, fix };
    const host = parsed.hostname.toLowerCase();
    const suffix = VAULT_DNS_SUFFIXES.find((s) => host.endsWith(`.${s}`));
    if (!suffix || !VAULT_NAME_PATTERN.test(host.slice(0, -suffix.length - 1))) {
        return { field, problem: `is ${describeValue(url)}, whose host is not a Key Vault host`, fix };
    }
    return undefined;
}

export function secretNameProblem(name: unknown, field: string): InputProblem | undefined {
    const fix = "Use 1 to 127 letters, digits and hyphens (^[0-9a-zA-Z-]{1,127}$), for example \"billing-api-client-secret\".";
    if (typeof name !== "string") return { field, problem: `is ${name === undefined ? "missing" : describeValue(name)}, not a string`, fix };
    if (!SECRET_NAME_PATTERN.test(name)) return { field, problem: `is ${describeValue(name)}, not a valid Key Vault secret name`, fix };
    return undefined;
}

const RFC3339_SHAPE = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 date-time (full date, time and offset), parsed by luxon, which also refuses 2027-02-30; the one such check. */
export function parseRfc3339(text: string): DateTime | undefined {
    if (!RFC3339_SHAPE.test(text)) return undefined;
    const parsed = DateTime.fromISO(text, { setZone: true });
    return parsed.isValid ? parsed : undefined;
}

function timeProblem(value: unknown, field: string): InputProblem | undefined {
    if (typeof value === "string" && parseRfc3339(value)) return undefined;
    return {
        field, problem: `is ${describeValue(value)}, not an RFC 3339 date-time`,
        fix: 'Write a full date, time and offset, like "2027-05-26T00:00:00Z" (the credential\'s endDate).',
    };
}

export interface VaultSecretCheckedInputs {
    vaultUrl?: unknown; name?: unknown; value?: unknown; expiresOn?: unknown; notBefore?: unknown;
    tags?: unknown; retainOnDelete?: unknown; adopt?: unknown; contentType?: unknown; writer?: unknown;
}

/**
 * Every problem with a VaultSecret's inputs whose values are known; `isPending` says which are
 * not known yet (Outputs at declaration, the engine's unknown marker in check()).
 */
export function vaultSecretInputProblems(inputs: VaultSecretCheckedInputs, now: DateTime, isPending: (value: unknown) => boolean = (v) => v === UNKNOWN_INPUT): InputProblem[] {
    const problems: InputProblem[] = [];
    const known = (value: unknown) => !isPending(value);
    const add = (problem: InputProblem | undefined) => { if (problem) problems.push(problem); };
    if (known(inputs.vaultUrl)) add(vaultUrlProblem(inputs.vaultUrl));
    if (known(inputs.name)) add(secretNameProblem(inputs.name, "name"));
    if (known(inputs.value)) {
        if (typeof inputs.value !== "string") add({ field: "value", problem: `is ${inputs.value === undefined ? "missing" : `not a string (${typeof inputs.value})`}`, fix: "Pass the secret as a string, for example a password's `value` output." });
        else if (inputs.value.length === 0) add({ field: "value", problem: "is empty", fix: "Pass the secret itself, for example a password's `value` output; Key Vault would hold an empty secret that no app can sign in with." });
    }
    let expires: DateTime | undefined;
    let notBefore: DateTime | undefined;
    if (known(inputs.expiresOn)) {
        add(timeProblem(inputs.expiresOn, "expiresOn"));
        expires = typeof inputs.expiresOn === "string" ? parseRfc3339(inputs.expiresOn) : undefined;
        if (expires && expires <= now) {
            add({ field: "expiresOn", problem: `is ${describeValue(inputs.expiresOn)}, in the past`, fix: "Pass the credential's end, which lies in the future; an expired version breaks every app that reads it." });
        }
    }
    if (inputs.notBefore !== undefined && known(inputs.notBefore)) {
        add(timeProblem(inputs.notBefore, "notBefore"));
        notBefore = typeof inputs.notBefore === "string" ? parseRfc3339(inputs.notBefore) : undefined;
    }
    if (expires && notBefore && notBefore > expires) {
        add({ field: "notBefore", problem: `is ${describeValue(inputs.notBefore)}, after expiresOn ${describeValue(inputs.expiresOn)}`, fix: "Set notBefore before expiresOn (or leave it out): the version would never be usable." });
    }
    if (inputs.tags !== undefined && known(inputs.tags)) {
        if (inputs.tags === null || typeof inputs.tags !== "object" || Array.isArray(inputs.tags)) {
            add({ field: "tags", problem: `is ${describeValue(inputs.tags)}, not an object of strings`, fix: 'Pass tags like { app: "billing-api" }.' });
        } else {
            for (const [tag, value] of Object.entries(inputs.tags as Record<string, unknown>)) {
                if (typeof value === "string" && value.length > MAX_VAULT_TAG_VALUE) {
                    add({ field: `tags.${tag}`, problem: `is ${value.length} characters; Key Vault allows ${MAX_VAULT_TAG_VALUE} per tag value`, fix: `Shorten the value of tag "${tag}" to ${MAX_VAULT_TAG_VALUE} characters or fewer.` });
                }
            }
            const own = Object.keys(inputs.tags).filter((k) => !(KEYRELAY_TAGS as readonly string[]).includes(k));
            const room = MAX_VAULT_TAGS - KEYRELAY_TAGS.length;
            if (own.length > room) {
                add({ field: "tags", problem: `has ${own.length} tags; Key Vault allows ${MAX_VAULT_TAGS} per secret and keyrelay adds ${KEYRELAY_TAGS.length} (${KEYRELAY_TAGS.join(", ")})`, fix: `Keep at most ${room} tags of your own.` });
            }
        }
    }
    if (typeof inputs.writer === "string" && known(inputs.writer) && inputs.writer.length > MAX_VAULT_TAG_VALUE) {
        add({ field: "writer", problem: `is ${inputs.writer.length} characters (the keyrelay-writer tag: organization/project/stack#resource); Key Vault allows ${MAX_VAULT_TAG_VALUE} per tag value`, fix: "Use a shorter project or stack name." });
    }
    for (const field of ["retainOnDelete", "adopt"] as const) {
        const value = inputs[field];
        if (value !== undefined && known(value) && typeof value !== "boolean") {
            add({ field, problem: `is ${describeValue(value)}, not a boolean`, fix: `Pass true or false (or leave ${field} out: default false).` });
        }
    }
    if (inputs.contentType !== undefined && known(inputs.contentType) && typeof inputs.contentType !== "string") {
        add({ field: "contentType", problem: `is ${describeValue(inputs.contentType)}, not a string`, fix: 'Pass a MIME type such as "text/plain", or leave it out.' });
    }
    return problems;
}

/** Throws the first problem with the known VaultSecret inputs as an InputError naming the resource. */
export function checkVaultSecretInputs(resource: string, inputs: VaultSecretCheckedInputs, isPending: (value: unknown) => boolean, now: DateTime = DateTime.utc()): void {
    const [first] = vaultSecretInputProblems(inputs, now, isPending);
    if (first) throw new InputError(resource, first.field, first.problem, first.fix);
}

const ARM_VAULT_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/i;

function plainStringNeeded(resource: string, field: string, why: string): InputError {
    return new InputError(resource, field, "is a pulumi Output (a value known only during deployment)",
        `Pass a plain string: ${why}. If it comes from stack configuration, read it with config.require(...) rather than config.requireSecret(...) or an output.`);
}

/**
 * The shapes RotatedAppRegistration needs before its schedule and resources can be planned:
 * called first, so a bad argument fails before any resource is registered.
 */
export function checkRotatedAppRegistrationShape(resource: string, args: unknown, isOutput: (value: unknown) => boolean): void {
    if (args === null || typeof args !== "object") {
        throw new InputError(resource, "args", `are ${describeValue(args)}`, "Pass { displayName, vault: { url, secretName } }.");
    }
    const a = args as Record<string, unknown>;
    if (a.rotation !== undefined) {
        if (a.rotation === null || typeof a.rotation !== "object" || Array.isArray(a.rotation) || isOutput(a.rotation)) {
            throw new InputError(resource, "rotation", `is ${isOutput(a.rotation) ? "a pulumi Output" : describeValue(a.rotation)}, not an object`,
                typeof a.rotation === "string"
                    ? `Write rotation: { every: ${JSON.stringify(a.rotation)} } (a bare string is not a schedule), or leave rotation out for every "P89D".`
                    : 'Write rotation: { every: "P90D" } (validFor optional), or leave rotation out for the defaults.');
        }
        const rotation = a.rotation as Record<string, unknown>;
        for (const field of ["every", "validFor"]) {
            const value = rotation[field];
            if (value === undefined) continue;
            if (isOutput(value)) throw plainStringNeeded(resource, `rotation.${field}`, "the schedule is computed before deployment, from the run's date");
            if (typeof value !== "string") {
                throw new InputError(resource, `rotation.${field}`, `is ${describeValue(value)}, not an ISO-8601 duration string`, 'Write a duration such as "P90D".');
            }
        }
    }
    if (a.vault === null || a.vault === undefined || typeof a.vault !== "object" || isOutput(a.vault)) {
        throw new InputError(resource, "vault", a.vault === undefined ? "is missing" : `is ${isOutput(a.vault) ? "a pulumi Output" : describeValue(a.vault)}`,
            'Set vault: { url: "https://<vault-name>.vault.azure.net", secretName: "<app>-client-secret" } as plain values.');
    }
    const vault = a.vault as Record<string, unknown>;
    // An Output URL or name is checked by the VaultSecret provider's check() once known (vaultSecretInputProblems).
    if (!isOutput(vault.url) && typeof vault.url !== "string") {
        throw new InputError(resource, "vault.url", `is ${vault.url === undefined ? "missing" : describeValue(vault.url)}, not a string`, 'Set it to the vault URI, "https://<vault-name>.vault.azure.net".');
    }
    const nameProblem = isOutput(vault.secretName) ? undefined : secretNameProblem(vault.secretName, "vault.secretName");
    if (nameProblem) throw new InputError(resource, nameProblem.field, nameProblem.problem, nameProblem.fix);
    if (vault.resourceId !== undefined && !isOutput(vault.resourceId)) {
        if (typeof vault.resourceId !== "string" || !ARM_VAULT_ID.test(vault.resourceId)) {
            throw new InputError(resource, "vault.resourceId", `is ${describeValue(vault.resourceId)}, not a vault's ARM id`,
                "Use /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name> (the vault's Properties page shows it).");
        }
    }
    if (a.readers !== undefined && !Array.isArray(a.readers)) {
        throw new InputError(resource, "readers", `is ${isOutput(a.readers) ? "a pulumi Output" : describeValue(a.readers)}, not a list`,
            'Pass a list of principal object ids, e.g. readers: ["11111111-2222-3333-4444-555555555555"]; each one gets its own role assignment.');
    }
    for (const field of ["retainOnDelete", "adopt"]) {
        const value = a[field];
        if (value !== undefined && typeof value !== "boolean") {
            throw new InputError(resource, field, `is ${isOutput(value) ? "a pulumi Output" : describeValue(value)}, not a boolean`, `Pass true or false (or leave ${field} out: default false).`);
        }
    }
}
