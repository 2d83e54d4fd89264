// The in-use alert's pure half (components/inUseAlert.ts): the companion's name, note, expiry and tags,
// the note's stability across runs, and the parse-time refusal of a secret name with no room for the suffix.
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { resourcesOf } from "../../components/lastState";
import { IN_USE_CONTENT_TYPE, inUseAlert, previousInUseNote } from "../../components/inUseAlert";
import type { RetireSettings, RetirementDecision } from "../../components/retirementGate";
import { parseRotatedAppRegistrationArgs } from "../../components/rotatedAppRegistrationPlan";
import { TYPE_TOKENS } from "../../policies/lib/contract";
import { isInUseAlert, parseInUseNote } from "../../policies/lib/inUseAlert";
import { isInputError } from "../../lib/errors";

const VAULT = "https://kv-platform.vault.azure.net";
const K1 = "9699cd6c-b32e-4f8a-a1ca-c10cc35b0304";
const K2 = "79a1a54c-e5ce-4dd7-a3eb-03dac0a9030b";

function inUse(keyId: string, endDate: string, lastSignIn: string, consumer = "203.0.113.9 for Azure Storage"): RetirementDecision {
    return { slot: "a", keep: true, answer: "in-use", keyIds: [keyId], endDate, lastSignIn, consumer, message: "kept" };
}

describe("the in-use alert's companion secret", () => {
    it("is <secretName>-in-use: a JSON note about the kept credential expiring at its end, tagged, never a secret value", () => {
        const alert = inUseAlert("billing-api", "billing-api-client-secret", [
            inUse(K1, "2027-02-19T00:00:00Z", "2027-02-10T05:00:00Z"),
            { slot: "c", keep: false, answer: "unused", keyIds: [K2], endDate: "2027-03-21T00:00:00Z", message: "retired" },
        ])!;
        assert.equal(alert.name, "billing-api-client-secret-in-use");
        assert.equal(alert.expiresOn, "2027-02-19T00:00:00Z");
        assert.deepEqual(alert.tags, { "keyrelay-alert": "retiring-in-use", app: "billing-api", "key-id": K1 });
        const note = parseInUseNote(alert.value)!;
        assert.deepEqual(note.keyIds, [K1], "only the credential kept in use, not the one that retired");
        assert.equal(note.lastSignIn, "2027-02-10T05:00:00Z");
        assert.equal(note.consumer, "203.0.113.9 for Azure Storage");
        assert.equal(note.endDate, "2027-02-19T00:00:00Z");
        assert.match(note.action, /203\.0\.113\.9 for Azure Storage.*2027-02-19T00:00:00Z.*newest version of secret "billing-api-client-secret"/);
        assert.ok(isInUseAlert(TYPE_TOKENS.vaultSecret, { name: alert.name, value: alert.value, expiresOn: alert.expiresOn, tags: alert.tags, contentType: IN_USE_CONTENT_TYPE }),
            "the pack recognises what the component writes");
    });

    it("is not written when nothing is kept in use (kept for want of evidence is not in use)", () => {
        assert.equal(inUseAlert("billing-api", "s", []), undefined);
        assert.equal(inUseAlert("billing-api", "s", [{ slot: "a", keep: true, answer: "unknown", keyIds: [], endDate: "2027-02-19T00:00:00Z", message: "403" }]), undefined);
    });

    it("with two credentials kept in use, names both and expires with the later one", () => {
        const alert = inUseAlert("billing-api", "s", [inUse(K1, "2027-03-01T00:00:00Z", "2027-02-10T05:00:00Z"), inUse(K2, "2027-02-19T00:00:00Z", "2027-02-11T05:00:00Z", "198.51.100.7 for Graph")])!;
        assert.equal(alert.expiresOn, "2027-03-01T00:00:00Z");
        assert.equal(alert.tags["key-id"], [K1, K2].sort().join(","));
        const note = parseInUseNote(alert.value)!;
        assert.deepEqual(note.keyIds, [K1, K2].sort());
        assert.equal(note.consumer, "198.51.100.7 for Graph", "the latest sign-in's consumer");
    });

    it("keeps the note of the last state while the same key ids are kept to the same end, so a daily run writes no new version", () => {
        const first = inUseAlert("billing-api", "s", [inUse(K1, "2027-02-19T00:00:00Z", "2027-02-10T05:00:00Z")])!;
        const nextDay = inUseAlert("billing-api", "s", [inUse(K1, "2027-02-19T00:00:00Z", "2027-02-11T05:00:00Z", "198.51.100.7 for Graph")], first.value)!;
        assert.equal(nextDay.value, first.value);
        const another = inUseAlert("billing-api", "s", [inUse(K2, "2027-03-21T00:00:00Z", "2027-03-01T05:00:00Z")], first.value)!;
        assert.notEqual(another.value, first.value, "a new situation is a new version: a new alert");
        assert.deepEqual(parseInUseNote(another.value)!.keyIds, [K2]);
        const forged = inUseAlert("billing-api", "s", [inUse(K1, "2027-02-19T00:00:00Z", "2027-02-11T05:00:00Z")], "not a note")!;
        assert.equal(parseInUseNote(forged.value)!.lastSignIn, "2027-02-11T05:00:00Z", "a last state that is not a note is not reused");
    });

    it("passes tenant text through printable(): no escape sequences or line breaks reach the note", () => {
        const alert = inUseAlert("billing-api", "s", [inUse(K1, "2027-02-19T00:00:00Z", "2027-02-10T05:00:00Z", "203.0.113.9 for \u001b[31mEvil\u001b[0m\nApp\u202e")])!;
        const note = parseInUseNote(alert.value)!;
        assert.equal(note.consumer, "203.0.113.9 for Evil App");
        assert.ok(!/[\u0000-\u001f\u202e]/.test(note.action));
    });

    it("reads the previous note from the stack's last state, plain or as a secret (unwrapped as the state is read)", () => {
        const name = "s-in-use";
        const held = (value: unknown, vaultUrl = VAULT) => [{ urn: "urn:x", type: TYPE_TOKENS.vaultSecret, outputs: { vaultUrl, name, value } }];
        assert.equal(previousInUseNote(held("note"), VAULT, name), "note");
        const asSecret = resourcesOf({ outputs: { "urn:x": { type: TYPE_TOKENS.vaultSecret, outputs: {
            vaultUrl: VAULT, name, tags: { "keyrelay-alert": "retiring-in-use" }, value: { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: "note" },
        } } } });
        assert.equal(previousInUseNote(asSecret, "https://KV-PLATFORM.vault.azure.net/", name), "note");
        assert.equal(previousInUseNote(held("note", "https://kv-other.vault.azure.net"), VAULT, name), undefined);
        assert.equal(previousInUseNote(undefined, VAULT, name), undefined);
    });

    it("with retire set, refuses at parse time a secret name with no room for -in-use, naming resource, field and fix", () => {
        const args = (secretName: string, retire?: RetireSettings) => ({ displayName: "billing", vault: { url: VAULT, secretName }, ...(retire ? { retire } : {}) });
        assert.throws(() => parseRotatedAppRegistrationArgs("billing", args("x".repeat(121), { unusedFor: "P7D" })), (e: unknown) =>
            isInputError(e) && e.field === "vault.secretName" && e.message.includes('RotatedAppRegistration "billing"') && /-in-use/.test(e.message) && /at most 120 characters/.test(e.fix ?? ""));
        assert.doesNotThrow(() => parseRotatedAppRegistrationArgs("billing", args("x".repeat(120), { unusedFor: "P7D" })));
        assert.doesNotThrow(() => parseRotatedAppRegistrationArgs("billing", args("x".repeat(127))), "without retire there is no companion");
    });
});
