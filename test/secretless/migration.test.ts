// The move off secrets over the simulated engine (the mock runtime playing Pulumi's part): a
// RotatedAppRegistration gains its trusts (step 1), keeps its password while a consumer still signs in
// with it, and becomes a FederatedAppRegistration by alias (step 2) only after a whole evidence window
// without a password sign-in. The app keeps its URN and app id throughout.
import { strict as assert } from "assert";
import { DateTime, Duration } from "luxon";
import { FederatedAppRegistration, RotatedAppRegistration } from "../../components";
import { FederatedTrust } from "../../components/federatedTrusts";
import { ServicePrincipalSignIn, lastSignInsByKey, unusedThroughout } from "../../lib/signInMatch";
import { SimulatedEngine, TYPES } from "../../simulation/engine";

const START = DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" });
const VAULT = "https://kv-platform.vault.azure.net";
const TRUSTS: FederatedTrust[] = [{ kind: "github", repository: "contoso/billing-api", environment: "production" }];
const WINDOW = Duration.fromISO("P7D");
/** The day the CI pipeline switches from the client secret to its federated token. */
const CONSUMER_MOVES_ON_DAY = 12;

describe("the move off secrets, over the simulated engine", function () {
    this.timeout(120_000);

    it("keeps the app id, and drops the password only after a full window without a password sign-in", async () => {
        let step: 0 | 1 | 2 = 0;
        const engine = new SimulatedEngine({
            program: () => {
                const common = { displayName: "Billing API", application: { signInAudience: "AzureADMyOrg" as const } };
                if (step === 2) {
                    new FederatedAppRegistration("billing-api", { ...common, trusts: TRUSTS }, { aliases: [{ type: "keyrelay:index:RotatedAppRegistration" }] });
                    return {};
                }
                new RotatedAppRegistration("billing-api", {
                    ...common, rotation: { every: "P30D" }, consumers: ["github-actions"],
                    vault: { url: VAULT, secretName: "billing-api-client-secret" },
                    ...(step === 1 ? { federated: TRUSTS } : {}),
                });
                return {};
            },
        });
        const applicationNow = () => engine.resourcesOfType(TYPES.application);
        const signIns: ServicePrincipalSignIn[] = [];
        let firstApp: { urn: string; id: string; clientId: string } | undefined;
        let federatedId: string | undefined;
        let passwordsGoneOn: number | undefined;

        for (let day = 0; day <= 30 && passwordsGoneOn === undefined; day++) {
            const now = START.plus({ days: day });
            if (day === 1) step = 1;
            // The evidence gate: step 2 only when no live password signed in during the whole window.
            const live = [...engine.directory.values()].filter((c) => !c.deletedAt).map((c) => c.keyId);
            const lastByKey = lastSignInsByKey(signIns, now.minus(WINDOW));
            if (step === 1 && day > 1 && live.every((keyId) => unusedThroughout(keyId, lastByKey, now, WINDOW))) step = 2;

            const report = await engine.run(now);
            assert.deepEqual(report.errors.map((e) => e.message), [], `day ${day}`);
            const [application] = applicationNow();
            if (!firstApp) firstApp = { urn: application.urn, id: application.id, clientId: application.outputs.clientId };
            assert.equal(application.id, firstApp.id, `day ${day}: same app object`);
            assert.equal(application.outputs.clientId, firstApp.clientId, `day ${day}: same app id`);
            assert.ok(!report.created.some((r) => r.type === TYPES.application) || day === 0, `day ${day}: no new application`);

            const [credential] = engine.resourcesOfType(TYPES.federatedCredential);
            if (step >= 1) {
                assert.equal(credential.inputs.subject, "repo:contoso/billing-api:environment:production");
                federatedId ??= credential.id;
                assert.equal(credential.id, federatedId, `day ${day}: the trust is never re-created`);
            }
            if (report.deleted.some((r) => r.type === TYPES.applicationPassword) && engine.resourcesOfType(TYPES.applicationPassword).length === 0) {
                passwordsGoneOn = day;
                assert.equal(step, 2);
                assert.equal(engine.resourcesOfType(TYPES.vaultSecret).length, 0, "the Key Vault secret goes with the password");
                assert.equal(application.urn, "urn:pulumi:example::keyrelay::keyrelay:index:FederatedAppRegistration$azuread:index/application:Application::billing-api");
                assert.equal(firstApp.urn, "urn:pulumi:example::keyrelay::keyrelay:index:RotatedAppRegistration$azuread:index/application:Application::billing-api");
            }
            // The CI pipeline signs in with the in-service password every day until it moves.
            if (day < CONSUMER_MOVES_ON_DAY && passwordsGoneOn === undefined) {
                const inService = engine.resourcesOfType(TYPES.vaultSecret)[0].inputs.tags["key-id"];
                signIns.push({ createdDateTime: now.plus({ hours: 3 }).toISO()!, servicePrincipalCredentialKeyId: inService, ipAddress: "198.51.100.20", resourceDisplayName: "Azure Resource Manager" });
            }
        }
        assert.ok(passwordsGoneOn !== undefined, "the password went within 30 days");
        assert.ok(passwordsGoneOn! >= CONSUMER_MOVES_ON_DAY + 7, `the password went on day ${passwordsGoneOn}, a full window after the last password sign-in on day ${CONSUMER_MOVES_ON_DAY - 1}`);
        assert.equal(passwordsGoneOn, CONSUMER_MOVES_ON_DAY - 1 + 8, "and on the first run after that window");
    });

    it("refuses a 21st trust before anything is created", async () => {
        const trusts: FederatedTrust[] = Array.from({ length: 21 }, (_, i) => ({ kind: "github", repository: "contoso/app", environment: `e${i}` }));
        const engine = new SimulatedEngine({ program: () => { new FederatedAppRegistration("many", { displayName: "Many", trusts }); return {}; } });
        const report = await engine.run(START);
        assert.match(report.errors.map((e) => e.message).join("\n"), /FederatedAppRegistration "many": trusts has 21 entries; Entra holds at most 20/);
        assert.equal(engine.resources().filter((r) => r.custom).length, 0);
    });
});
