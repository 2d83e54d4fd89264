// Which VaultSecret input changes write a new Key Vault version, and which replace the secret.
// Pure, so the provider and the engine-playing test harness decide the same way.
import { DateTime } from "luxon";
import type { CredentialProofFields } from "../proofSettings";

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
    /**
     * Who writes: "<organization>/<project>/<stack>#<resource id>" (the id: 8 hex digits of the
     * SHA-256 of the resource's URN), tagged on every version. Older releases wrote the stack alone.
     */
    writer?: string;
    /** Write over a newest version another stack wrote (taking the secret over); default false. */
    adopt?: boolean;
    /** Prove a new value at Entra's token endpoint before writing it (docs/proof.md); false or absent: no proof. */
    proof?: CredentialProofFields | false;
    /** The rotation schedule of the RotatedAppRegistration that writes it (scheduleRecord.ts); compared in check(). */
    schedule?: string;
}

/** Tag the provider adds to every version it writes. */
export const MANAGED_BY_TAG = "managed-by";
export const MANAGED_BY_VALUE = "keyrelay";
/** Tag naming the stack and resource that wrote a version: "<organization>/<project>/<stack>#<resource id>". */
export const WRITER_TAG = "keyrelay-writer";
/** Content type written when the input leaves it unset. */
export const DEFAULT_CONTENT_TYPE = "text/plain";
/** Key Vault allows at most 15 tags on a secret (https://learn.microsoft.com/azure/key-vault/general/service-limits; /work/shared/REFERENCE.md). */
export const MAX_VAULT_TAGS = 15;
/**
 * Key Vault allows a tag value of at most 256 characters ("Azure Key Vault keys, secrets, and
 * certificates overview", Object tags: up to 15 tags, each with a 256-character name and value:
 * https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#object-tags).
 */
export const MAX_VAULT_TAG_VALUE = 256;

/** The tags a version carries: the given ones plus managed-by=keyrelay and, when known, the writer's stack. */
export function withManagedTag(tags: Record<string, string> | undefined, writer?: string): Record<string, string> {
    return { ...(tags ?? {}), [MANAGED_BY_TAG]: MANAGED_BY_VALUE, ...(writer ? { [WRITER_TAG]: writer } : {}) };
}

/** The stack part of a writer tag (organization, project and stack names cannot hold "#"). */
export function writerStackOf(writer: string): string {
    const mark = writer.indexOf("#");
    return mark < 0 ? writer : writer.slice(0, mark);
}

/**
 * Whether a version tagged `newestWriter` may be written over by `writer`: the same resource, or a
 * version an older keyrelay tagged with this stack alone (it named no resource, so none can be told apart).
 */
export function sameWriter(newestWriter: string, writer: string): boolean {
    if (newestWriter === writer) return true;
    return !newestWriter.includes("#") && newestWriter === writerStackOf(writer);
}

/** Tags keyrelay itself adds to every version. */
export const KEYRELAY_TAGS = [MANAGED_BY_TAG, WRITER_TAG] as const;

/**
 * One spelling per vault: https, lower-case host, no default port, no trailing slash
 * (https://KV-X.vault.azure.net:443/ and https://kv-x.vault.azure.net are the same vault).
 */
export function canonicalVaultUrl(vaultUrl: string): string {
    try {
        const url = new URL(vaultUrl.trim());
        // URL already lower-cases the host and drops a default port.
        return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
    } catch {
        return vaultUrl.trim().replace(/\/+$/, "").toLowerCase();
    }
}

/** Inputs whose change makes a different secret: the old one is deleted, a new one created. */
export const VAULT_SECRET_REPLACE_FIELDS = ["vaultUrl", "name"] as const;
/** Inputs whose change writes a new version. */
export const VAULT_SECRET_VERSION_FIELDS = ["value", "expiresOn", "notBefore", "contentType", "tags", "writer"] as const;

// Key Vault keeps times in whole seconds, so a refresh reads back at that precision.
function sameInstant(a: string | undefined, b: string | undefined): boolean {
    if (!a || !b) return (a || undefined) === (b || undefined);
    const ta = DateTime.fromISO(a, { setZone: true });
    const tb = DateTime.fromISO(b, { setZone: true });
    return !ta.isValid || !tb.isValid ? a === b : Math.floor(ta.toMillis() / 1000) === Math.floor(tb.toMillis() / 1000);
}

// State holds the tags as written (with keyrelay's own); inputs hold them without. The writer is its own field.
function withoutWriter(tags: Record<string, string> | undefined): Record<string, string> {
    const { [WRITER_TAG]: _writer, ...rest } = withManagedTag(tags);
    return rest;
}

function sameTags(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
    const ta = withoutWriter(a);
    const tb = withoutWriter(b);
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
            return canonicalVaultUrl(olds.vaultUrl ?? "") === canonicalVaultUrl(news.vaultUrl ?? "");
        case "name":
            return (olds.name ?? "").toLowerCase() === (news.name ?? "").toLowerCase();
        case "contentType":
            return (olds.contentType || DEFAULT_CONTENT_TYPE) === (news.contentType || DEFAULT_CONTENT_TYPE);
        case "retainOnDelete":
        case "adopt":
            return Boolean(olds[field]) === Boolean(news[field]);
        case "proof":
            return JSON.stringify(olds.proof ?? null) === JSON.stringify(news.proof ?? null);
        case "writer":
            // A state written before writers were tagged has none: the next write tags it.
            return (olds.writer || undefined) === (news.writer || undefined);
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
    const fields: (keyof VaultSecretFields)[] = [...VAULT_SECRET_REPLACE_FIELDS, ...VAULT_SECRET_VERSION_FIELDS, "retainOnDelete", "adopt", "proof", "schedule"];
    const changed = fields.filter((f) => !sameField(f, olds, news));
    const replaces = changed.filter((f) => (VAULT_SECRET_REPLACE_FIELDS as readonly string[]).includes(f));
    const writesVersion = changed.some((f) => (VAULT_SECRET_VERSION_FIELDS as readonly string[]).includes(f));
    return { changed, replaces, writesVersion };
}
