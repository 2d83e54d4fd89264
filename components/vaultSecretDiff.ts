// Which VaultSecret input changes write a new Key Vault version, and which replace the secret.
// Pure, so the provider and the engine-playing test harness decide the same way.

export interface VaultSecretFields {
    vaultUrl: string;
    name: string;
    value: string;
    /** RFC 3339: the credential's end. */
    expiresOn: string;
    notBefore?: string;
    contentType?: string;
    tags?: Record<string, string>;
    /** Keep the secret in the vault when the resource is deleted (default: soft-delete it). */
    retainOnDelete?: boolean;
}

/** Inputs whose change makes a different secret: the old one is deleted, a new one created. */
export const VAULT_SECRET_REPLACE_FIELDS = ["vaultUrl", "name"] as const;
/** Inputs whose change writes a new version. */
export const VAULT_SECRET_VERSION_FIELDS = ["value", "expiresOn", "notBefore", "contentType", "tags"] as const;

function sameInstant(a: string | undefined, b: string | undefined): boolean {
    if (a === undefined || b === undefined) return a === b;
    const ta = Date.parse(a);
    const tb = Date.parse(b);
    return Number.isNaN(ta) || Number.isNaN(tb) ? a === b : ta === tb;
}

function sameTags(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
    const ka = Object.keys(a ?? {}).sort();
    const kb = Object.keys(b ?? {}).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a![k] === b![k]);
}

function sameField(field: keyof VaultSecretFields, olds: Partial<VaultSecretFields>, news: Partial<VaultSecretFields>): boolean {
    switch (field) {
        case "expiresOn":
        case "notBefore":
            return sameInstant(olds[field], news[field]);
        case "tags":
            return sameTags(olds.tags, news.tags);
        case "vaultUrl":
            return (olds.vaultUrl ?? "").replace(/\/+$/, "").toLowerCase() === (news.vaultUrl ?? "").replace(/\/+$/, "").toLowerCase();
        case "name":
            return (olds.name ?? "").toLowerCase() === (news.name ?? "").toLowerCase();
        default:
            return olds[field] === news[field];
    }
}

export interface VaultSecretChange {
    /** Every changed input. */
    changed: (keyof VaultSecretFields)[];
    /** Changed inputs that force a new secret. */
    replaces: (keyof VaultSecretFields)[];
    /** Whether an update must write a new version. */
    writesVersion: boolean;
}

export function vaultSecretChange(olds: Partial<VaultSecretFields>, news: Partial<VaultSecretFields>): VaultSecretChange {
    const fields: (keyof VaultSecretFields)[] = [...VAULT_SECRET_REPLACE_FIELDS, ...VAULT_SECRET_VERSION_FIELDS, "retainOnDelete"];
    const changed = fields.filter((f) => !sameField(f, olds, news));
    const replaces = changed.filter((f) => (VAULT_SECRET_REPLACE_FIELDS as readonly string[]).includes(f));
    const writesVersion = changed.some((f) => (VAULT_SECRET_VERSION_FIELDS as readonly string[]).includes(f));
    return { changed, replaces, writesVersion };
}
