import { strict as assert } from "assert";
import { FederatedTrust, MAX_FEDERATED_CREDENTIALS, federatedCredentials } from "../../components/federatedTrusts";
import { isInputError } from "../../lib/errors";

const R = 'FederatedAppRegistration "deployer"';
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const IDENTITY = "a7d388c3-5e3f-4959-ac7d-786b3383006a";
const ORG_ID = "0b2a4c6e-8d1f-4a3b-9c5d-7e9f1a2b3c4d";

function failure(trusts: FederatedTrust[]) {
    try {
        federatedCredentials(R, trusts);
    } catch (error) {
        assert.ok(isInputError(error), String(error));
        return error;
    }
    assert.fail("expected an InputError");
}

describe("federated trusts: subjects, issuers and audiences", () => {
    it("builds GitHub subjects for an environment, a branch, a tag and pull requests", () => {
        const specs = federatedCredentials(R, [
            { kind: "github", repository: "contoso/billing-api", environment: "production" },
            { kind: "github", repository: "contoso/billing-api", branch: "main" },
            { kind: "github", repository: "contoso/billing-api", tag: "v1.2.0" },
            { kind: "github", repository: "contoso/billing-api", pullRequest: true },
        ]);
        assert.deepEqual(specs.map((s) => s.subject), [
            "repo:contoso/billing-api:environment:production",
            "repo:contoso/billing-api:ref:refs/heads/main",
            "repo:contoso/billing-api:ref:refs/tags/v1.2.0",
            "repo:contoso/billing-api:pull_request",
        ]);
        for (const s of specs) {
            assert.equal(s.issuer, "https://token.actions.githubusercontent.com");
            assert.deepEqual(s.audiences, ["api://AzureADTokenExchange"]);
        }
        assert.deepEqual(specs.map((s) => s.name), ["github-billing-api-environment-production", "github-billing-api-branch-main", "github-billing-api-tag-v1.2.0", "github-billing-api-pull-request"]);
    });

    it("builds the Azure DevOps, Kubernetes and managed identity shapes", () => {
        const [ado, k8s, mi] = federatedCredentials(R, [
            { kind: "azureDevOps", organization: "contoso", organizationId: ORG_ID, project: "Billing", serviceConnection: "prod-arm" },
            { kind: "kubernetes", issuer: "https://westeurope.oic.prod-aks.azure.com/72f988bf/abc/", namespace: "billing", serviceAccount: "api" },
            { kind: "managedIdentity", tenantId: TENANT, principalId: IDENTITY.toUpperCase() },
        ]);
        assert.deepEqual([ado.issuer, ado.subject], [`https://vstoken.dev.azure.com/${ORG_ID}`, "sc://contoso/Billing/prod-arm"]);
        assert.deepEqual([k8s.issuer, k8s.subject], ["https://westeurope.oic.prod-aks.azure.com/72f988bf/abc/", "system:serviceaccount:billing:api"]);
        assert.deepEqual([mi.issuer, mi.subject], [`https://login.microsoftonline.com/${TENANT}/v2.0`, IDENTITY]);
        assert.match(mi.description, /preview/);
    });

    it("accepts 20 trusts and refuses the 21st before anything is created", () => {
        const trusts = (n: number): FederatedTrust[] => Array.from({ length: n }, (_, i) => ({ kind: "github", repository: "contoso/app", environment: `env${i}` }));
        assert.equal(federatedCredentials(R, trusts(MAX_FEDERATED_CREDENTIALS)).length, 20);
        const error = failure(trusts(21));
        assert.equal(error.field, "trusts");
        assert.equal(error.resource, R);
        assert.match(error.message, /has 21 entries; Entra holds at most 20 federated identity credentials per application\. Split the workloads/);
    });

    it("names the field and the fix for each bad trust", () => {
        const cases: [FederatedTrust, string, RegExp][] = [
            [{ kind: "github", repository: "billing-api", branch: "main" }, "trusts[0].repository", /not owner\/repository/],
            [{ kind: "github", repository: "contoso/app", branch: "main", environment: "prod" }, "trusts[0]", /names environment and branch.*Give exactly one/],
            [{ kind: "github", repository: "contoso/app" }, "trusts[0]", /names none of/],
            [{ kind: "github", repository: "contoso/app", branch: " main" }, "trusts[0].branch", /leading or trailing spaces/],
            [{ kind: "azureDevOps", organization: "contoso", organizationId: "contoso", project: "p", serviceConnection: "s" }, "trusts[0].organizationId", /not a GUID/],
            [{ kind: "kubernetes", issuer: "http://cluster.example/", namespace: "ns", serviceAccount: "sa" }, "trusts[0].issuer", /not an https URL/],
            [{ kind: "kubernetes", issuer: "https://cluster.example/", namespace: "Billing", serviceAccount: "sa" }, "trusts[0].namespace", /not a Kubernetes name/],
            [{ kind: "managedIdentity", tenantId: TENANT, principalId: "my-identity" }, "trusts[0].principalId", /object \(principal\) id/],
            [{ kind: "oidc", issuer: "https://issuer.example", subject: "x", name: "has space" }, "trusts[0].name", /URL-friendly/],
        ];
        for (const [trust, field, message] of cases) {
            const error = failure([trust]);
            assert.equal(error.field, field, JSON.stringify(trust));
            assert.match(error.message, message);
        }
    });

    it("refuses two trusts with one issuer and subject, or one name", () => {
        const twice = failure([
            { kind: "github", repository: "contoso/app", branch: "main" },
            { kind: "github", repository: "contoso/app", branch: "main", name: "other" },
        ]);
        assert.match(twice.message, /same issuer and subject as trusts\[0\]/);
        const named = failure([
            { kind: "github", repository: "contoso/app", branch: "main", name: "ci" },
            { kind: "github", repository: "contoso/app", branch: "dev", name: "CI" },
        ]);
        assert.equal(named.field, "trusts[1].name");
    });
});
