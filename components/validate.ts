// Input checks shared by the components: pure, so a bad stack fails before anything is created.
import { InputError } from "./schedule";

export const SECRET_NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/;
/** Key Vault's DNS suffixes: public cloud, China, US Government, Germany. */
export const VAULT_DNS_SUFFIXES = ["vault.azure.net", "vault.azure.cn", "vault.usgovcloudapi.net", "vault.microsoftazure.de"];
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
