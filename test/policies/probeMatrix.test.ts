// Issue 9 §5: the policy pack's probe matrix. False positives that would block a correct stack,
// false negatives that let a broken value through, and inputs that once crashed the pack; each
// row runs the whole pack in-process (policies/lib/runInProcess.ts, the SDK's own proxy).
import * as assert from "assert";
import { keyrelayPolicies } from "../../policies/policies";
import { PolicyViolation, checkPolicies } from "../../policies/lib/runInProcess";
import { FIXTURE_NOW, KEY_ID_A, keyrelayStack, plainResource } from "./fixtures";
import { FixtureResource, pinClock } from "./policyHarness";

const RANDOM_UUID = "3f2c1b9e-7d4a-4e8b-9c6f-1a2b3c4d5e6f";
const VALUE = "Tn48Q~Vb7Xc2Rz0Kw5Mq1Hd9Ls3Gf6Pj8Ya4Ue2o";
const RAR_SECRET_URN = "urn:pulumi:example::keyrelay::keyrelay:index:RotatedAppRegistration$pulumi-nodejs:dynamic/keyrelay:VaultSecret::app-secret";

async function pack(resources: FixtureResource[]): Promise<PolicyViolation[]> {
    const restore = pinClock(FIXTURE_NOW);
    try {
        return await checkPolicies(keyrelayPolicies, resources);
    } finally {
        restore();
    }
}

const mandatory = (found: PolicyViolation[]) => found.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policy);
const advisory = (found: PolicyViolation[]) => found.filter((v) => v.enforcementLevel === "advisory").map((v) => v.policy);
const vaultSecret = (name: string, value: string, extra: Record<string, unknown> = {}) =>
    plainResource("pulumi-nodejs:dynamic/keyrelay:VaultSecret", name, { vaultUrl: "https://kv-x.vault.azure.net", name, value, expiresOn: "2027-06-01T00:00:00Z", ...extra });
const nativeSecret = (secretName: string, value: string, tags: Record<string, string> = {}) =>
    plainResource("azure-native:keyvault:Secret", secretName, { secretName, vaultName: "kv-x", resourceGroupName: "rg", tags, properties: { value, attributes: { expires: 1812000000 } } });
const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
function nested(depth: number, leaf: Record<string, unknown>): Record<string, unknown> {
    let value: Record<string, unknown> = leaf;
    for (let i = 0; i < depth; i++) value = { level: value };
    return value;
}

interface Probe {
    title: string;
    resources: () => FixtureResource[];
    /** Mandatory policies that must fire (empty: the stack must not be blocked). */
    blocks: string[];
    /** Advisory policies that must fire. */
    advises?: string[];
}

const probes: Probe[] = [
    // False positives: correct stacks that a mandatory policy once blocked.
    { title: "a Key Vault secret that holds a client id", resources: () => [nativeSecret("billing-api-client-id", RANDOM_UUID)], blocks: [], advises: ["guid-shaped-secret"] },
    { title: "an App Insights instrumentation key in a VaultSecret", resources: () => [vaultSecret("appinsights-instrumentation-key", RANDOM_UUID)], blocks: [], advises: ["guid-shaped-secret"] },
    {
        title: "a VM adminPassword made from a random UUID",
        resources: () => [plainResource("azure-native:compute:VirtualMachine", "vm", { osProfile: { adminUsername: "ops", adminPassword: RANDOM_UUID } })],
        blocks: [], advises: ["guid-shaped-secret"],
    },
    // Still blocked: a GUID where an app's client secret belongs.
    { title: "a Key Vault secret named as a client secret holding a GUID", resources: () => [nativeSecret("billing-api-client-secret", RANDOM_UUID)], blocks: ["secret-id-not-value"] },
    { title: "a Key Vault secret tagged as an app's password holding a GUID", resources: () => [nativeSecret("billing", RANDOM_UUID, { purpose: "app password of billing-api" })], blocks: ["secret-id-not-value"] },
    { title: "keyrelay's own secret (under a RotatedAppRegistration) holding a GUID", resources: () => [{ ...vaultSecret("app-secret", RANDOM_UUID), urn: RAR_SECRET_URN }], blocks: ["secret-id-not-value"] },
    {
        title: "a VM adminPassword equal to a password's keyId in the stack",
        resources: () => [...keyrelayStack(), plainResource("azure-native:compute:VirtualMachine", "vm", { osProfile: { adminPassword: KEY_ID_A } })],
        blocks: ["secret-id-not-value"], advises: ["guid-shaped-secret"],
    },
    // False negatives: broken values that once passed.
    ...(["\u200B", "\u200C", "\u200D", "\uFEFF"] as const).flatMap((zw) => [
        { title: `U+${zw.charCodeAt(0).toString(16).toUpperCase()} before the value`, resources: () => [vaultSecret("s", `${zw}${VALUE}`)], blocks: ["secret-value-hygiene"] },
        { title: `U+${zw.charCodeAt(0).toString(16).toUpperCase()} after the value`, resources: () => [vaultSecret("s", `${VALUE}${zw}`)], blocks: ["secret-value-hygiene"] },
    ]),
    { title: "curly double quotes around the value", resources: () => [vaultSecret("s", `\u201C${VALUE}\u201D`)], blocks: ["secret-value-hygiene"] },
    { title: "curly single quotes around the value", resources: () => [vaultSecret("s", `\u2018${VALUE}\u2019`)], blocks: ["secret-value-hygiene"] },
    {
        title: "a base64-encoded value with a trailing line break in a Kubernetes Secret's data",
        resources: () => [plainResource("kubernetes:core/v1:Secret", "creds", { metadata: { name: "creds" }, data: { "client-secret": base64(`${VALUE}\n`) } })],
        blocks: ["secret-value-hygiene"],
    },
    {
        title: "a base64-encoded Secret ID in a Kubernetes Secret's data",
        resources: () => [plainResource("kubernetes:core/v1:Secret", "creds", { data: { AZURE_CLIENT_SECRET: base64(RANDOM_UUID) } })],
        blocks: ["secret-id-not-value"],
    },
    { title: "a value nested 40 levels deep (past the old limit of 32)", resources: () => [plainResource("some:index:Thing", "t", nested(40, { clientSecret: ` ${VALUE}` }))], blocks: ["secret-value-hygiene"] },
    { title: "a Secret ID nested 40 levels deep", resources: () => [plainResource("some:index:Thing", "t", nested(40, { clientSecret: RANDOM_UUID }))], blocks: ["secret-id-not-value"] },
    { title: "a key that starts with __", resources: () => [plainResource("some:index:Thing", "t", { __clientSecret: `${VALUE}\n` })], blocks: ["secret-value-hygiene"] },
    // Controls.
    { title: "control: the keyrelay stack", resources: () => keyrelayStack(), blocks: [] },
    { title: "control: a clean value in a Kubernetes Secret", resources: () => [plainResource("kubernetes:core/v1:Secret", "creds", { data: { "client-secret": base64(VALUE) } })], blocks: [] },
    { title: "control: the dynamic provider's own __provider text is not a value", resources: () => [vaultSecret("s", VALUE, { __provider: " exports.handler = 1;\n" })], blocks: [] },
];

describe("policy pack: the issue-9 probe matrix", () => {
    for (const { title, resources, blocks, advises = [] } of probes) {
        it(title, async () => {
            const found = await pack(resources());
            assert.deepStrictEqual([...new Set(mandatory(found))].sort(), [...blocks].sort(), found.map((v) => v.message).join("\n"));
            assert.deepStrictEqual([...new Set(advisory(found))].sort(), [...advises].sort());
            for (const v of found) {
                assert.ok(!v.message.includes(VALUE) && !v.message.includes(RANDOM_UUID.slice(0, 8)), "messages show a hint at most");
            }
        });
    }

    describe("robustness", () => {
        it("properties nested 10,000 levels deep: no stack overflow, and the value at the bottom is still found", async () => {
            const deep = plainResource("some:index:Thing", "deep", {});
            deep.inputs = nested(10_000, { clientSecret: RANDOM_UUID });
            deep.outputs = deep.inputs;
            assert.throws(() => structuredClone(deep.inputs), /call stack/, "control: what the runner used to do");
            const found = await pack([deep]);
            assert.deepStrictEqual(mandatory(found), ["secret-id-not-value"]);
            assert.ok(found[0].message.length < 1500, `${found[0].message.length} characters`);
        });

        it("a 10 MB key name and a 1 MB resource name make a short message", async () => {
            const huge = "k".repeat(10 * 1024 * 1024);
            const found = await pack([plainResource("some:index:Thing", "n".repeat(1024 * 1024), { [`${huge}ClientSecret`]: `${VALUE} ` })]);
            assert.deepStrictEqual(mandatory(found), ["secret-value-hygiene"]);
            assert.ok(found[0].message.length < 1500, `${found[0].message.length} characters`);
        });
    });
});
