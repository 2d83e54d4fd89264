// What RotatedAppRegistration("billing-api", every P90D) declares, as seen under the mock runtime
// on 2027-03-01: slot a retiring (served until 2027-01-26), slot b in service, the VaultSecret fed
// by b's value. simulation.test.ts checks this shape against the component itself.
import type { FixtureResource } from "./policyHarness";

export const FIXTURE_NOW = "2027-03-01T02:00:00Z";

const STACK = "urn:pulumi:example::keyrelay::";
const APP_URN = `${STACK}keyrelay:index:RotatedAppRegistration::billing-api`;
const ROTATING_URN = `${STACK}keyrelay:index:RotatedAppRegistration$keyrelay:index:RotatingPassword::billing-api-password`;
const APPLICATION_URN = `${STACK}keyrelay:index:RotatedAppRegistration$azuread:index/application:Application::billing-api`;
export const PASSWORD_A_URN = `${STACK}keyrelay:index:RotatingPassword$azuread:index/applicationPassword:ApplicationPassword::billing-api-password-a`;
export const PASSWORD_B_URN = `${STACK}keyrelay:index:RotatingPassword$azuread:index/applicationPassword:ApplicationPassword::billing-api-password-b`;
export const VAULT_SECRET_URN = `${STACK}keyrelay:index:RotatedAppRegistration$pulumi-nodejs:dynamic/keyrelay:VaultSecret::billing-api-secret`;

export const KEY_ID_A = "9699cd6c-b32e-4f8a-a1ca-c10cc35b0304";
export const KEY_ID_B = "79a1a54c-e5ce-4dd7-a3eb-03dac0a9030b";
/** Shaped like an Entra client secret value; fake. */
export const VALUE_A = "Qx78Q~kd0Zr1vT5nYb2Lm9PcW4sHu6JgEaFo3iNq";
export const VALUE_B = "Tn48Q~Vb7Xc2Rz0Kw5Mq1Hd9Ls3Gf6Pj8Ya4Ue2o";
const CLIENT_ID = "214aa188-3c4f-4d02-af5b-d14dcc312684";
const APPLICATION_ID = "/applications/e4edaa36-434e-4251-ac63-2d4e86a538cc";

function password(slot: string, urn: string, startDate: string, endDate: string, servesUntil: string, keyId: string, value: string): FixtureResource {
    const inputs = {
        applicationId: APPLICATION_ID,
        displayName: `billing-api (keyrelay slot ${slot}, from ${startDate.slice(0, 10)})`,
        startDate,
        endDate,
        rotateWhenChanged: { "keyrelay-period-start": startDate, "keyrelay-serves-until": servesUntil },
    };
    return {
        type: "azuread:index/applicationPassword:ApplicationPassword",
        name: `billing-api-password-${slot}`,
        urn,
        parent: ROTATING_URN,
        inputs,
        outputs: { ...inputs, keyId, value },
        propertyDependencies: { applicationId: [APPLICATION_URN], displayName: [], startDate: [], endDate: [], rotateWhenChanged: [] },
    };
}

/** The keyrelay app's resources at FIXTURE_NOW, fresh objects on every call. */
export function keyrelayStack(): FixtureResource[] {
    const secretInputs = {
        vaultUrl: "https://kv-platform.vault.azure.net",
        name: "billing-api-client-secret",
        value: VALUE_B,
        expiresOn: "2027-07-26T00:00:00Z",
        notBefore: "2027-01-26T00:00:00Z",
        contentType: "text/plain",
        tags: { app: "billing-api", "client-id": CLIENT_ID, "key-id": KEY_ID_B, "rotation-every": "P90D", "next-rotation": "2027-04-26T00:00:00Z" },
    };
    return [
        { type: "keyrelay:index:RotatedAppRegistration", name: "billing-api", urn: APP_URN, inputs: {}, outputs: {}, propertyDependencies: {} },
        { type: "keyrelay:index:RotatingPassword", name: "billing-api-password", urn: ROTATING_URN, parent: APP_URN, inputs: {}, outputs: {}, propertyDependencies: {} },
        {
            type: "azuread:index/application:Application", name: "billing-api", urn: APPLICATION_URN, parent: APP_URN,
            inputs: { displayName: "billing-api" }, outputs: { displayName: "billing-api", clientId: CLIENT_ID, objectId: "e4edaa36-434e-4251-ac63-2d4e86a538cc" },
            propertyDependencies: { displayName: [] },
        },
        password("a", PASSWORD_A_URN, "2026-10-28T00:00:00Z", "2027-04-27T00:00:00Z", "2027-01-26T00:00:00Z", KEY_ID_A, VALUE_A),
        password("b", PASSWORD_B_URN, "2027-01-26T00:00:00Z", "2027-07-26T00:00:00Z", "2027-04-26T00:00:00Z", KEY_ID_B, VALUE_B),
        {
            type: "pulumi-nodejs:dynamic/keyrelay:VaultSecret", name: "billing-api-secret", urn: VAULT_SECRET_URN, parent: APP_URN,
            inputs: secretInputs,
            outputs: { ...secretInputs, secretUri: "https://kv-platform.vault.azure.net/secrets/billing-api-client-secret" },
            propertyDependencies: { value: [PASSWORD_B_URN], tags: [APPLICATION_URN, PASSWORD_B_URN], vaultUrl: [], name: [], expiresOn: [], notBefore: [], contentType: [] },
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
