// Input checks shared by the components: pure, so a bad stack fails before anything is created.
import * as pulumi from "@pulumi/pulumi";
import { InputError } from "./schedule";

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
export type Reader = string | { name: string; principalId: pulumi.Input<string> };

const READER_KEY_PATTERN = /^[0-9a-zA-Z-]{1,64}$/;

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
        } else if (reader !== null && typeof reader === "object" && !pulumi.Output.isInstance(reader) && !(reader instanceof Promise) && "principalId" in reader) {
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

/** Remembers which component writes which secret, per deployment, to refuse two writers of one secret. */
export class SecretOwnership {
    private readonly owners = new Map<string, string>();

    claim(vaultUrl: string, secretName: string, resource: string): void {
        const key = `${vaultUrl.toLowerCase()}/secrets/${secretName.toLowerCase()}`;
        const owner = this.owners.get(key);
        if (owner !== undefined && owner !== resource) {
            throw new InputError(resource, "vault.secretName",
                `is "${secretName}" in ${vaultUrl}, which ${owner} already writes (Key Vault names are case-insensitive)`,
                "Give each app its own secret name; two writers would overwrite each other's credential.");
        }
        this.owners.set(key, resource);
    }
}

/** Checks the VaultSecret inputs that are already known when the program declares it. */
export function checkVaultSecretInputs(resource: string, inputs: { vaultUrl?: unknown; name?: unknown; expiresOn?: unknown; notBefore?: unknown }): void {
    if (typeof inputs.vaultUrl === "string") {
        let url: URL | undefined;
        try { url = new URL(inputs.vaultUrl); } catch { url = undefined; }
        if (!url || url.protocol !== "https:") {
            throw new InputError(resource, "vaultUrl", `is ${JSON.stringify(inputs.vaultUrl)}, not an https URL`, 'Use the vault\'s URI, "https://<vault-name>.vault.azure.net".');
        }
    }
    if (typeof inputs.name === "string") checkSecretName(inputs.name, resource, "name");
    for (const field of ["expiresOn", "notBefore"] as const) {
        const value = inputs[field];
        if (typeof value === "string" && Number.isNaN(Date.parse(value))) {
            throw new InputError(resource, field, `is ${JSON.stringify(value)}, not an RFC 3339 date-time`, 'Write it like "2027-05-26T00:00:00Z".');
        }
    }
}
