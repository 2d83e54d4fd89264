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

/** Tag the provider adds to every version it writes. */
export const MANAGED_BY_TAG = "managed-by";
export const MANAGED_BY_VALUE = "keyrelay";
/** Content type written when the input leaves it unset. */
export const DEFAULT_CONTENT_TYPE = "text/plain";

/** The tags a version carries: the given ones plus managed-by=keyrelay. */
export function withManagedTag(tags: Record<string, string> | undefined): Record<string, string> {
    return { ...(tags ?? {}), [MANAGED_BY_TAG]: MANAGED_BY_VALUE };
}

/** Inputs whose change makes a different secret: the old one is deleted, a new one created. */
export const VAULT_SECRET_REPLACE_FIELDS = ["vaultUrl", "name"] as const;
/** Inputs whose change writes a new version. */
export const VAULT_SECRET_VERSION_FIELDS = ["value", "expiresOn", "notBefore", "contentType", "tags"] as const;

// Key Vault keeps times in whole seconds, so a refresh reads back at that precision.
function sameInstant(a: string | undefined, b: string | undefined): boolean {
    if (!a || !b) return (a || undefined) === (b || undefined);
    const ta = Date.parse(a);
    const tb = Date.parse(b);
    return Number.isNaN(ta) || Number.isNaN(tb) ? a === b : Math.floor(ta / 1000) === Math.floor(tb / 1000);
}

// State holds the tags as written (with managed-by); inputs hold them without it.
function sameTags(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
    const ta = withManagedTag(a);
    const tb = withManagedTag(b);
    const ka = Object.keys(ta).sort();
    const kb = Object.keys(tb).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && ta[k] === tb[k]);
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
        case "contentType":
            return (olds.contentType || DEFAULT_CONTENT_TYPE) === (news.contentType || DEFAULT_CONTENT_TYPE);
        case "retainOnDelete":
            return Boolean(olds.retainOnDelete) === Boolean(news.retainOnDelete);
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
