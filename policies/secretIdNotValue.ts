// Entra shows a client secret's Value once and its Secret ID (keyId, a GUID) forever; pasting the
// ID where the Value belongs fails sign-in with AADSTS7000215.
// https://learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/error-code-aadsts7000215-invalid-client-secret
import { guidInValue, isGuidShaped, normalizeGuid } from "./lib/secretEncodings";
import { namesIdentifier } from "./lib/keyNames";
import { valueHint } from "./lib/hygieneProblems";
import { propertyLeaves } from "./lib/propertyWalk";
import { describeResource, isPassword } from "./lib/resourceKinds";
import { StackViolation, resourcePolicy } from "./lib/resourcePolicy";
import type { ResourceView, StackResourceView } from "./lib/resourceView";
import { isGuidInSecretPlacement, secretPlacements } from "./lib/secretPlacements";
import { isUnknown } from "./lib/unknownValues";

export const SECRET_ID_NOT_VALUE = "secret-id-not-value";

const CONSEQUENCE = "it looks like a credential's Secret ID (keyId), not its Value, and Entra answers AADSTS7000215 (invalid client secret) to an app that signs in with it.";
const FIX = "Pass the password's `value` output (the secret itself), never its `keyId`.";

/**
 * A GUID-shaped value where an Entra app's client secret belongs (a key, secret name or tag that
 * says client secret or app password, or a keyrelay secret). Other GUID-shaped secrets (a client
 * id kept in Key Vault, an instrumentation key, a random UUID as a VM password) are the advisory
 * guid-shaped-secret policy's.
 */
export function secretIdViolations(resource: ResourceView): string[] {
    const what = describeResource(resource.type, resource.name);
    return secretPlacements(resource.type, resource.props, resource.urn)
        .flatMap((placement) => {
            const hidden = placement.clientSecret ? guidInValue(placement.value) : undefined;
            if (!hidden) return [];
            const how = hidden.encoding ? `, ${hidden.encoding}` : "";
            return [`${what} has a GUID ("${valueHint(placement.value)}"${how}) at ${placement.path}, where a secret value belongs: ${CONSEQUENCE} ${FIX}`];
        });
}

/** Any property, whatever its key, equal to the keyId of a password in the stack (tags and identifier keys aside). */
export function keyIdReuseViolations(resources: readonly StackResourceView[]): StackViolation[] {
    const passwordsByKeyId = new Map<string, StackResourceView>();
    for (const resource of resources) {
        const keyId = resource.props.keyId;
        if (isPassword(resource.type) && isGuidShaped(keyId)) passwordsByKeyId.set(normalizeGuid(keyId), resource);
    }
    if (passwordsByKeyId.size === 0) return [];
    const violations: StackViolation[] = [];
    for (const resource of resources) {
        for (const leaf of propertyLeaves(resource.props)) {
            if (typeof leaf.value !== "string" || leaf.inMetadata || isUnknown(leaf.value)) continue;
            const hidden = guidInValue(leaf.value);
            const password = hidden && passwordsByKeyId.get(hidden.guid);
            if (!password || namesIdentifier(leaf.key) || isGuidInSecretPlacement(resource.type, leaf, resource.props, resource.urn)) continue;
            violations.push({
                urn: resource.urn,
                message: `${describeResource(resource.type, resource.name)} sets ${leaf.path} to the Secret ID (keyId) of ${describeResource(password.type, password.name)}: ${CONSEQUENCE} ${FIX}`,
            });
        }
    }
    return violations;
}

/** One policy with a resource check (before each step) and a stack check (sees every password's keyId). */
export const secretIdNotValue = resourcePolicy({
    name: SECRET_ID_NOT_VALUE,
    description: "A client secret's Secret ID (keyId, a GUID) must never be used where its Value belongs.",
    level: "mandatory",
    check: secretIdViolations,
    stackCheck: keyIdReuseViolations,
});
