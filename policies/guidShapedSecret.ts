// A GUID where a secret belongs but nothing says it is an app's client secret: a client id kept in
// Key Vault, an instrumentation key, a random UUID as a password are all fine; a client secret's
// Secret ID (keyId) pasted by mistake is not. Advisory, so a correct stack is never blocked.
// https://learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/error-code-aadsts7000215-invalid-client-secret
import { guidInValue } from "./lib/secretEncodings";
import { valueHint } from "./lib/hygieneProblems";
import { describeResource } from "./lib/resourceKinds";
import { resourcePolicy } from "./lib/resourcePolicy";
import type { ResourceView } from "./lib/resourceView";
import { secretPlacements } from "./lib/secretPlacements";

export const GUID_SHAPED_SECRET = "guid-shaped-secret";

export function guidShapedSecretNotes(resource: ResourceView): string[] {
    const what = describeResource(resource.type, resource.name);
    return secretPlacements(resource.type, resource.props, resource.urn)
        .filter((placement) => !placement.clientSecret && guidInValue(placement.value) !== undefined)
        .map((placement) => `${what} holds a GUID ("${valueHint(placement.value)}") at ${placement.path}. If it is an Entra app's client secret, it is probably the ` +
            "Secret ID (keyId), not the Value, and sign-in fails with AADSTS7000215: pass the password's `value` output. If a GUID is what belongs here " +
            "(a client id, an instrumentation key, a random UUID), nothing is wrong; naming the secret after what it holds silences this note.");
}

export const guidShapedSecret = resourcePolicy({
    name: GUID_SHAPED_SECRET,
    description: "A GUID stored as a secret that is not named as an app's client secret: worth a look, never a block.",
    level: "advisory",
    check: guidShapedSecretNotes,
});
