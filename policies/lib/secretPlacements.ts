// Where a resource holds a secret value: a Key Vault secret's value, and every property whose
// key (or setting name) says it is a client secret or password.
import { isGuidShaped } from "./guid";
import { namesSecretValue } from "./keyNames";
import { PropertyLeaf, propertyLeaves } from "./propertyWalk";
import { secretValueSlot } from "./resourceKinds";
import { readPath } from "./unknownValues";

export interface SecretPlacement {
    /** Where the value sits, e.g. `siteConfig.appSettings[0].value`. */
    readonly path: string;
    /** What names it: the property key, the setting name, or the secret resource's value field. */
    readonly key: string;
    readonly value: string;
    /** The secret resource's contentType, for a Key Vault secret's value. */
    readonly contentType?: unknown;
}

/** Known string values placed where a secret belongs. */
export function secretPlacements(type: string, props: Record<string, unknown>): SecretPlacement[] {
    const placements: SecretPlacement[] = [];
    const slot = secretValueSlot(type);
    if (slot) {
        const value = readPath(props, slot.path);
        if (value.state === "known" && typeof value.value === "string") {
            const contentType = readPath(props, slot.contentTypePath);
            placements.push({ path: slot.path.join("."), key: slot.path[slot.path.length - 1], value: value.value, contentType: contentType.state === "known" ? contentType.value : undefined });
        }
    }
    for (const leaf of propertyLeaves(props)) {
        if (isSecretLeaf(leaf)) placements.push({ path: leaf.path, key: leaf.key, value: leaf.value as string });
    }
    return placements;
}

function isSecretLeaf(leaf: PropertyLeaf): boolean {
    return typeof leaf.value === "string" && !leaf.inMetadata && namesSecretValue(leaf.key);
}

/** Whether the resource-level check already flags this leaf, so the stack-level one does not repeat it. */
export function isGuidInSecretPlacement(type: string, leaf: PropertyLeaf): boolean {
    if (!isGuidShaped(leaf.value)) return false;
    const slot = secretValueSlot(type);
    return isSecretLeaf(leaf) || (slot !== undefined && leaf.path === slot.path.join("."));
}
