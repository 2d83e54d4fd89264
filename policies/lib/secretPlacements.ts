// Where a resource holds a secret value: a Key Vault secret's value, a Kubernetes Secret's data
// (base64-decoded), and every property whose key (or setting name) says it is a client secret or
// password. Each placement says whether an Entra app's client secret belongs there, which is where
// a GUID is certainly a Secret ID mistake. A client secret also sits inside a connection string
// (`ClientSecret=...;`, `AppKey=...`), behind a Container Apps `secretRef`, or split across two
// settings named like it (secretIndirections.ts).
import { decodedBase64, guidInValue } from "./secretEncodings";
import { namesClientSecret, namesSecretValue, textSaysClientSecret } from "./keyNames";
import { indirectPlacements } from "./secretIndirections";
import { PropertyLeaf, propertyLeaves } from "./propertyWalk";
import { TYPE, secretValueSlot } from "./resourceKinds";
import { TYPE_TOKENS } from "./contract";
import { readPath } from "./unknownValues";

export interface SecretPlacement {
    /** Where the value sits, e.g. `siteConfig.appSettings[0].value`. */
    readonly path: string;
    /** What names it: the property key, the setting name, or the secret resource's value field. */
    readonly key: string;
    readonly value: string;
    /** The secret resource's contentType, for a Key Vault secret's value. */
    readonly contentType?: unknown;
    /** An Entra app's client secret belongs here (by its key, the secret's name or tags, or a keyrelay secret). */
    readonly clientSecret: boolean;
    /** Two settings joined: checked for a Secret ID, not for the hygiene of the joined text. */
    readonly joined?: boolean;
}

/** Kubernetes Secret types: `data` holds base64-encoded values (https://kubernetes.io/docs/concepts/configuration/secret/). */
const KUBERNETES_SECRET_TYPES = new Set(["kubernetes:core/v1:Secret", "kubernetes:core/v1:SecretPatch"]);

/** The name a Key Vault secret resource gives its secret, where each type keeps it. */
function vaultSecretName(type: string, props: Record<string, unknown>): unknown {
    const read = readPath(props, [type === TYPE.keyrelayVaultSecret || type === TYPE.azureClassicSecret ? "name" : "secretName"]);
    return read.state === "known" ? read.value : undefined;
}

/** A Key Vault secret that holds an app's client secret: keyrelay's own, or one whose name or tags say so. */
export function holdsClientSecret(type: string, props: Record<string, unknown>, urn = ""): boolean {
    if (urn.includes(`${TYPE_TOKENS.rotatedAppRegistration}$`)) return true;
    const tags = readPath(props, ["tags"]);
    const tagMap = tags.state === "known" && tags.value !== null && typeof tags.value === "object" ? tags.value as Record<string, unknown> : {};
    if (tagMap["managed-by"] === "keyrelay" || "key-id" in tagMap) return true;
    const name = vaultSecretName(type, props);
    if (typeof name === "string" && textSaysClientSecret(name)) return true;
    return Object.entries(tagMap).some(([k, v]) => textSaysClientSecret(k) || (typeof v === "string" && textSaysClientSecret(v)));
}

/** Known string values placed where a secret belongs. */
export function secretPlacements(type: string, props: Record<string, unknown>, urn = ""): SecretPlacement[] {
    const placements: SecretPlacement[] = [];
    const slot = secretValueSlot(type);
    if (slot) {
        const value = readPath(props, slot.path);
        if (value.state === "known" && typeof value.value === "string") {
            const contentType = readPath(props, slot.contentTypePath);
            placements.push({
                path: slot.path.join("."), key: slot.path[slot.path.length - 1], value: value.value,
                contentType: contentType.state === "known" ? contentType.value : undefined, clientSecret: holdsClientSecret(type, props, urn),
            });
        }
    }
    const kubernetes = KUBERNETES_SECRET_TYPES.has(type);
    const leaves = [...propertyLeaves(props)];
    for (const leaf of leaves) {
        if (typeof leaf.value !== "string" || leaf.inMetadata) continue;
        if (kubernetes && /^(data|stringData)(\.|\[)/.test(leaf.path) && namesSecretValue(leaf.key)) {
            const value = leaf.path.startsWith("data") ? decodedBase64(leaf.value) ?? leaf.value : leaf.value;
            placements.push({ path: leaf.path, key: leaf.key, value, clientSecret: namesClientSecret(leaf.key) || textSaysClientSecret(leaf.key) });
            continue;
        }
        if (isSecretLeaf(leaf)) placements.push({ path: leaf.path, key: leaf.key, value: leaf.value, clientSecret: namesClientSecret(leaf.key) });
    }
    placements.push(...indirectPlacements(leaves));
    return placements;
}

function isSecretLeaf(leaf: PropertyLeaf): boolean {
    return typeof leaf.value === "string" && !leaf.inMetadata && namesSecretValue(leaf.key);
}

/** Whether the resource-level check already flags this leaf (a GUID where a client secret belongs), so the stack-level one does not repeat it. */
export function isGuidInSecretPlacement(type: string, leaf: PropertyLeaf, props: Record<string, unknown> = {}, urn = ""): boolean {
    if (!guidInValue(leaf.value)) return false;
    return secretPlacements(type, props, urn).some((placement) => placement.clientSecret && (placement.path === leaf.path || placement.path.startsWith(`${leaf.path} (`))
        && guidInValue(placement.value) !== undefined);
}
