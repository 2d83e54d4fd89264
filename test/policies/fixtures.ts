// What RotatedAppRegistration("billing-api", every P90D) declares, as seen under the mock runtime:
// the credentials RotatingPassword plans for the instant (on 2027-01-13: slot a retiring, served
// until 2026-12-10; slot b in service), the VaultSecret fed by the in-service value. The dates come
// from the component's own planner; simulation.test.ts checks the shape against the component itself.
import { createHash } from "crypto";
import { DateTime } from "luxon";
import { planRotatingPassword } from "../../components/rotatingPassword";
import { toRfc3339 } from "../../components/schedule";
import { DEFAULT_DEPLOYING_PRINCIPAL, DEFAULT_TENANT_ID } from "../../simulation/engine";
import type { FixtureResource } from "./policyHarness";

export const FIXTURE_NOW = "2027-01-13T02:00:00Z";

const STACK = "urn:pulumi:example::keyrelay::";
const APP_URN = `${STACK}keyrelay:index:RotatedAppRegistration::billing-api`;
const ROTATING_URN = `${STACK}keyrelay:index:RotatedAppRegistration$keyrelay:index:RotatingPassword::billing-api-password`;
const APPLICATION_URN = `${STACK}keyrelay:index:RotatedAppRegistration$azuread:index/application:Application::billing-api`;
export const PASSWORD_A_URN = passwordUrn("a");
export const PASSWORD_B_URN = passwordUrn("b");
export const VAULT_SECRET_URN = `${STACK}keyrelay:index:RotatedAppRegistration$pulumi-nodejs:dynamic/keyrelay:VaultSecret::billing-api-secret`;

/** Each slot's Secret ID and value; fake, the value shaped like an Entra client secret. */
const SLOT_CREDENTIALS: Record<string, { keyId: string; value: string }> = {
    a: { keyId: "9699cd6c-b32e-4f8a-a1ca-c10cc35b0304", value: "Qx78Q~kd0Zr1vT5nYb2Lm9PcW4sHu6JgEaFo3iNq" },
    b: { keyId: "79a1a54c-e5ce-4dd7-a3eb-03dac0a9030b", value: "Tn48Q~Vb7Xc2Rz0Kw5Mq1Hd9Ls3Gf6Pj8Ya4Ue2o" },
    c: { keyId: "c0ffee00-1b2c-4d3e-8f90-a1b2c3d4e5f6", value: "Lp38Q~Zt6Wq1Xn9Bv4Rk7Jm2Hs5Dc8Gf0Ye3Ua1i" },
};
export const KEY_ID_A = SLOT_CREDENTIALS.a.keyId;
export const KEY_ID_B = SLOT_CREDENTIALS.b.keyId;
export const VALUE_B = SLOT_CREDENTIALS.b.value;
const CLIENT_ID = "214aa188-3c4f-4d02-af5b-d14dcc312684";
const APPLICATION_ID = "/applications/e4edaa36-434e-4251-ac63-2d4e86a538cc";

function passwordUrn(slot: string): string {
    return `${STACK}keyrelay:index:RotatingPassword$azuread:index/applicationPassword:ApplicationPassword::billing-api-password-${slot}`;
}

/** The keyrelay app's resources at `at` (default FIXTURE_NOW), fresh objects on every call. */
export function keyrelayStack(at: string = FIXTURE_NOW): FixtureResource[] {
    const plan = planRotatingPassword("billing-api", { every: "P90D" }, "fixture", DateTime.fromISO(at, { zone: "utc" }));
    const passwords: FixtureResource[] = plan.credentials.map((credential) => {
        const startDate = toRfc3339(credential.startDate);
        const inputs = {
            applicationId: APPLICATION_ID,
            displayName: `billing-api (keyrelay slot ${credential.slot}, from ${credential.startDate.toISODate()})`,
            endDate: toRfc3339(credential.endDate),
            rotateWhenChanged: { "keyrelay-period-start": startDate, "keyrelay-serves-until": toRfc3339(credential.servesUntil) },
        };
        return {
            type: "azuread:index/applicationPassword:ApplicationPassword",
            name: `billing-api-password-${credential.slot}`,
            urn: passwordUrn(credential.slot),
            parent: ROTATING_URN,
            inputs,
            outputs: { ...inputs, startDate, ...SLOT_CREDENTIALS[credential.slot] },
            propertyDependencies: { applicationId: [APPLICATION_URN], displayName: [], endDate: [], rotateWhenChanged: [] },
        };
    });
    const inService = SLOT_CREDENTIALS[plan.inService.slot];
    const inServiceUrn = passwordUrn(plan.inService.slot);
    const secretInputs = {
        vaultUrl: "https://kv-platform.vault.azure.net",
        name: "billing-api-client-secret",
        value: inService.value,
        expiresOn: toRfc3339(plan.inService.endDate),
        notBefore: toRfc3339(plan.inService.startDate),
        tags: { app: "billing-api", "client-id": CLIENT_ID, "key-id": inService.keyId, "rotation-every": "P90D", "next-rotation": toRfc3339(plan.nextRotation) },
        // "<organization>/<project>/<stack>#<8 hex digits of the URN's SHA-256>"; the mock runtime sets no organization.
        writer: `/keyrelay/example#${createHash("sha256").update(VAULT_SECRET_URN).digest("hex").slice(0, 8)}`,
        schedule: "P90D/P181D+30D",
        // Proof before promote: the deploying principal's tenant (getClientConfig); the client id is the client-id tag.
        proof: { tenantId: DEFAULT_TENANT_ID },
    };
    return [
        { type: "keyrelay:index:RotatedAppRegistration", name: "billing-api", urn: APP_URN, inputs: {}, outputs: {}, propertyDependencies: {} },
        { type: "keyrelay:index:RotatingPassword", name: "billing-api-password", urn: ROTATING_URN, parent: APP_URN, inputs: {}, outputs: {}, propertyDependencies: {} },
        {
            type: "azuread:index/application:Application", name: "billing-api", urn: APPLICATION_URN, parent: APP_URN,
            inputs: { displayName: "billing-api", owners: [DEFAULT_DEPLOYING_PRINCIPAL] },
            outputs: { displayName: "billing-api", owners: [DEFAULT_DEPLOYING_PRINCIPAL], clientId: CLIENT_ID, objectId: "e4edaa36-434e-4251-ac63-2d4e86a538cc" },
            propertyDependencies: { displayName: [], owners: [] },
        },
        {
            type: "azuread:index/servicePrincipal:ServicePrincipal", name: "billing-api-sp", urn: `${STACK}keyrelay:index:RotatedAppRegistration$azuread:index/servicePrincipal:ServicePrincipal::billing-api-sp`, parent: APP_URN,
            inputs: { clientId: CLIENT_ID, owners: [DEFAULT_DEPLOYING_PRINCIPAL] },
            outputs: { clientId: CLIENT_ID, owners: [DEFAULT_DEPLOYING_PRINCIPAL], objectId: "6986619a-8051-4fe7-a704-e05dd6cd9202" },
            propertyDependencies: { clientId: [APPLICATION_URN], owners: [] },
        },
        ...passwords,
        {
            type: "pulumi-nodejs:dynamic/keyrelay:VaultSecret", name: "billing-api-secret", urn: VAULT_SECRET_URN, parent: APP_URN,
            inputs: secretInputs,
            outputs: { ...secretInputs, secretUri: "https://kv-platform.vault.azure.net/secrets/billing-api-client-secret" },
            propertyDependencies: { value: [inServiceUrn], tags: [APPLICATION_URN, inServiceUrn], vaultUrl: [], name: [], expiresOn: [], notBefore: [], contentType: [], proof: [APPLICATION_URN] },
        },
    ];
}

export function byName(resources: FixtureResource[], name: string, type?: string): FixtureResource {
    const found = resources.find((r) => r.name === name && (type === undefined || r.type === type));
    if (!found) throw new Error(`fixture has no resource ${name}`);
    return found;
}

/** A resource outside keyrelay, inputs and outputs alike. */
export function plainResource(type: string, name: string, props: Record<string, unknown>, propertyDependencies: Record<string, string[]> = {}): FixtureResource {
    return { type, name, urn: `${STACK}${type}::${name}`, inputs: structuredClone(props), outputs: structuredClone(props), propertyDependencies };
}

export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421";
export const UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";
