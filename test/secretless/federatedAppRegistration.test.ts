import { strict as assert } from "assert";
import * as azuread from "@pulumi/azuread";
import { DateTime } from "luxon";
import { FederatedAppRegistration, RotatedAppRegistration } from "../../components";
import { DEFAULT_DEPLOYING_PRINCIPAL, SimulatedEngine, TYPES } from "../../simulation/engine";

const NOW = DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" });
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const IDENTITY = "a7d388c3-5e3f-4959-ac7d-786b3383006a";
const OWNER = "5f0b7c3e-0e1a-4f55-9d1e-2b7a8f6c4d21";

async function deploy(program: () => unknown) {
    const engine = new SimulatedEngine({ program });
    const report = await engine.run(NOW);
    return { engine, report };
}

describe("FederatedAppRegistration under the mock runtime", () => {
    it("follows the same owner rules: none declared, the creator owns it and a later run by an administrator adds that one, removing no one", async () => {
        const person = "e7e70000-0000-4000-a000-0000000a11ce";
        const engine = new SimulatedEngine({
            program: () => new FederatedAppRegistration("deployer", { displayName: "Deployer", trusts: [{ kind: "github", repository: "contoso/infra", environment: "production" }] }),
            administrators: [person],
        });
        const at = DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" });
        assert.deepEqual((await engine.run(at)).errors, []);
        assert.deepEqual((await engine.run(at.plus({ days: 1 }), person)).errors, []);
        assert.deepEqual((await engine.run(at.plus({ days: 2 }))).errors, []);
        for (const type of [TYPES.application, TYPES.servicePrincipal]) assert.deepEqual([...engine.resourcesOfType(type)[0].outputs.owners].sort(), [DEFAULT_DEPLOYING_PRINCIPAL, person].sort());
    });

    it("declares the app, its service principal, the owners and one federated credential per trust, and no password", async () => {
        const { engine, report } = await deploy(() => {
            const app = new FederatedAppRegistration("deployer", {
                displayName: "Deployer", owners: [OWNER, DEFAULT_DEPLOYING_PRINCIPAL.toUpperCase(), OWNER],
                trusts: [
                    { kind: "github", repository: "contoso/infra", environment: "production" },
                    { kind: "kubernetes", issuer: "https://oidc.example/cluster/", namespace: "ops", serviceAccount: "deployer" },
                    { kind: "managedIdentity", tenantId: TENANT, principalId: IDENTITY },
                ],
            });
            return { clientId: app.clientId, trusts: app.trusts };
        });
        assert.deepEqual(report.errors.map((e) => e.message), []);
        const [application] = engine.resourcesOfType(TYPES.application);
        const [sp] = engine.resourcesOfType(TYPES.servicePrincipal);
        assert.match(application.urn, /keyrelay:index:FederatedAppRegistration\$azuread:index\/application:Application::deployer$/);
        // Exactly the declared owners, each once in lower case, whoever deploys (components/owners.ts).
        assert.deepEqual(application.inputs.owners, [OWNER, DEFAULT_DEPLOYING_PRINCIPAL]);
        assert.deepEqual(sp.outputs.owners, [OWNER, DEFAULT_DEPLOYING_PRINCIPAL]);
        assert.equal(sp.inputs.clientId, application.outputs.clientId);
        assert.equal(engine.resourcesOfType(TYPES.applicationPassword).length, 0);
        assert.equal(engine.resourcesOfType(TYPES.vaultSecret).length, 0);
        const credentials = engine.resourcesOfType(TYPES.federatedCredential);
        assert.deepEqual(credentials.map((c) => [c.name, c.inputs.applicationId, c.inputs.issuer, c.inputs.subject, c.inputs.audiences]), [
            ["deployer-trust-github-infra-environment-production", application.id, "https://token.actions.githubusercontent.com", "repo:contoso/infra:environment:production", ["api://AzureADTokenExchange"]],
            ["deployer-trust-kubernetes-ops-deployer", application.id, "https://oidc.example/cluster/", "system:serviceaccount:ops:deployer", ["api://AzureADTokenExchange"]],
            [`deployer-trust-managed-identity-${IDENTITY}`, application.id, `https://login.microsoftonline.com/${TENANT}/v2.0`, IDENTITY, ["api://AzureADTokenExchange"]],
        ]);
    });

    it("the simulated Entra refuses a federated credential on an app the deployer does not own (OwnedBy)", async () => {
        const { report } = await deploy(() => {
            const app = new azuread.Application("foreign", { displayName: "Foreign", owners: [OWNER] });
            new azuread.ApplicationFederatedIdentityCredential("foreign-trust", {
                applicationId: app.id, displayName: "ci", issuer: "https://token.actions.githubusercontent.com",
                subject: "repo:contoso/x:ref:refs/heads/main", audiences: ["api://AzureADTokenExchange"],
            });
        });
        assert.match(report.errors.map((e) => e.message).join("\n"), /Entra refused to create federated credential "foreign-trust" for application "foreign": the deploying principal \S+ is not among its owners/);
    });

    it("the simulated Entra refuses a GitHub subject GitHub never issues", async () => {
        const { report } = await deploy(() => {
            const app = new azuread.Application("mine", { displayName: "Mine", owners: [DEFAULT_DEPLOYING_PRINCIPAL] });
            new azuread.ApplicationFederatedIdentityCredential("mine-trust", {
                applicationId: app.id, displayName: "ci", issuer: "https://token.actions.githubusercontent.com",
                subject: "contoso/x:main", audiences: ["api://AzureADTokenExchange"],
            });
        });
        assert.match(report.errors.map((e) => e.message).join("\n"), /SubjectShape: GitHub issues no token with subject contoso\/x:main/);
    });

    it("RotatedAppRegistration: `federated` declares the same credentials, and `consumers` becomes an application tag", async () => {
        const { engine, report } = await deploy(() => {
            new RotatedAppRegistration("billing-api", {
                displayName: "Billing API", vault: { url: "https://kv-platform.vault.azure.net", secretName: "billing-api-client-secret" },
                consumers: ["kubernetes", "github-actions"], application: { tags: ["team:billing"] },
                federated: [{ kind: "github", repository: "contoso/billing-api", environment: "production" }],
            });
        });
        assert.deepEqual(report.errors.map((e) => e.message), []);
        const [application] = engine.resourcesOfType(TYPES.application);
        assert.deepEqual(application.inputs.tags, ["team:billing", "keyrelay-consumers:github-actions,kubernetes"]);
        const [credential] = engine.resourcesOfType(TYPES.federatedCredential);
        assert.equal(credential.name, "billing-api-trust-github-billing-api-environment-production");
        assert.equal(engine.resourcesOfType(TYPES.applicationPassword).length, 1, "a first deploy creates only the password in service");
    });

    it("RotatedAppRegistration refuses an unknown consumer kind before anything is created", () => {
        assert.throws(() => new RotatedAppRegistration("x", {
            displayName: "X", vault: { url: "https://kv-platform.vault.azure.net", secretName: "x-secret" }, consumers: ["jenkins" as never],
        }), /RotatedAppRegistration "x": consumers holds "jenkins"\. List who reads the secret, from: github-actions/);
    });
});
