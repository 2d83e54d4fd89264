// What Entra refuses when a federated identity credential is created, as the simulation enforces it:
// - "Maximum of 20 objects can be added to an application" (https://learn.microsoft.com/graph/api/application-post-federatedidentitycredentials)
// - issuer and subject unique within the app; audiences one value; issuer, subject, audience ≤ 600
//   characters; name ≤ 120 (https://learn.microsoft.com/graph/api/resources/federatedidentitycredential)
// - the shapes of the issuers keyrelay writes: GitHub's subject repo:<owner>/<repo>:..., Kubernetes'
//   system:serviceaccount:<ns>:<sa>, a managed identity's subject its object id under the Entra v2.0 issuer
//   (workload-identity-federation-create-trust, workload-identity-federation-config-app-trust-managed-identity)
import { GITHUB_ISSUER, MAX_FEDERATED_CREDENTIALS } from "../components/federatedTrusts";

type Inputs = Record<string, any>;

export function checkNewFederatedCredential(name: string, inputs: Inputs, existing: readonly Inputs[]): void {
    const refuse = (code: string, message: string): never => { throw new Error(`Entra refused federated credential "${name}": ${code}: ${message}`); };
    if (existing.length >= MAX_FEDERATED_CREDENTIALS) refuse("TooManyFederatedIdentityCredentials", `the application already has ${existing.length}; at most ${MAX_FEDERATED_CREDENTIALS}`);
    if (!Array.isArray(inputs.audiences) || inputs.audiences.length !== 1) refuse("BadRequest", "audiences takes exactly one value");
    for (const field of ["issuer", "subject"]) {
        if (typeof inputs[field] !== "string" || inputs[field].length === 0 || inputs[field].length > 600 || inputs[field] !== inputs[field].trim()) refuse("BadRequest", `${field} is missing, too long or padded`);
    }
    if (typeof inputs.displayName !== "string" || inputs.displayName.length > 120) refuse("BadRequest", "name is missing or longer than 120 characters");
    if (existing.some((e) => e.issuer === inputs.issuer && e.subject === inputs.subject)) refuse("Conflict", "an identical issuer and subject already exist on the application");
    if (inputs.issuer === GITHUB_ISSUER && !/^repo:[^/:]+\/[^/:]+:(environment:.+|ref:refs\/(heads|tags)\/.+|pull_request)$/.test(inputs.subject)) {
        refuse("SubjectShape", `GitHub issues no token with subject ${inputs.subject}`);
    }
    if (/^https:\/\/login\.microsoftonline\.com\/[^/]+\/v2\.0$/.test(inputs.issuer) && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(inputs.subject) && !inputs.subject.startsWith("/eid1/")) {
        refuse("SubjectShape", "a managed identity's subject is its object id");
    }
}
