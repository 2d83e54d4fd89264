import * as assert from "assert";
import * as fc from "fast-check";
import { DateTime } from "luxon";
import { isGuidShaped, normalizeGuid } from "../../policies/lib/secretEncodings";
import { secretValueProblems, valueHint } from "../../policies/lib/hygieneProblems";
import { isRetiringKeyrelayCredential, parentType } from "../../policies/lib/keyrelayCredential";
import { keyWords, namesIdentifier, namesSecretValue } from "../../policies/lib/keyNames";
import { readNumberSetting } from "../../policies/lib/resourcePolicy";
import { propertyLeaves } from "../../policies/lib/propertyWalk";
import { plainProperties, readPath, UNKNOWN_SENTINELS } from "../../policies/lib/unknownValues";

describe("policy check helpers", () => {
    it("isGuidShaped: GUIDs in any case, braces, quotes or whitespace; never an unknown marker", () => {
        for (const value of ["79a1a54c-e5ce-4dd7-a3eb-03dac0a9030b", "79A1A54C-E5CE-4DD7-A3EB-03DAC0A9030B", "{79a1a54c-e5ce-4dd7-a3eb-03dac0a9030b}", ` "79a1a54c-e5ce-4dd7-a3eb-03dac0a9030b"\n`]) {
            assert.ok(isGuidShaped(value), value);
        }
        for (const value of ["79a1a54c-e5ce-4dd7-a3eb-03dac0a9030", "Tn48Q~Vb7Xc2Rz0Kw5Mq1Hd9Ls3Gf6Pj8Ya4Ue2o", "", 42, undefined]) assert.ok(!isGuidShaped(value), String(value));
        for (const sentinel of UNKNOWN_SENTINELS) {
            assert.ok(!isGuidShaped(sentinel), sentinel);
            assert.ok(!isGuidShaped(` "${sentinel}" `), sentinel);
        }
        assert.strictEqual(normalizeGuid(` {79A1A54C-E5CE-4DD7-A3EB-03DAC0A9030B} `), "79a1a54c-e5ce-4dd7-a3eb-03dac0a9030b");
    });

    it("isGuidShaped holds for every generated UUID and normalizes to itself", () => {
        fc.assert(fc.property(fc.uuid(), (uuid) => isGuidShaped(uuid) === !UNKNOWN_SENTINELS.has(uuid) && normalizeGuid(uuid.toUpperCase()) === uuid.toLowerCase()));
    });

    it("key names: which hold a client secret, which an identifier", () => {
        assert.deepStrictEqual(keyWords("AZURE_CLIENT_SECRET"), ["azure", "client", "secret"]);
        assert.deepStrictEqual(keyWords("objectIDs"), ["object", "ids"]);
        assert.deepStrictEqual(keyWords("HTTPServerURL"), ["http", "server", "url"]);
        assert.deepStrictEqual(keyWords("key-id"), ["key", "id"]);
        for (const key of ["clientSecret", "client_secret", "AZURE_CLIENT_SECRET", "ARM_CLIENT_SECRET", "billing-client-secret", "password", "adminPassword", "DB_PASSWD", "secretValue"]) {
            assert.ok(namesSecretValue(key), key);
        }
        for (const key of ["clientSecretId", "clientSecretSettingName", "secretName", "passwordEnabled", "value", "keyId"]) assert.ok(!namesSecretValue(key), key);
        for (const key of ["keyId", "key-id", "KEY_ID", "clientSecretId", "objectIds", "uuid"]) assert.ok(namesIdentifier(key), key);
        for (const key of ["valid", "credential", "value", "guidance"]) assert.ok(!namesIdentifier(key), key);
    });

    it("propertyLeaves names setting-list values by their entry's name, marks tags, skips unknowns and internal keys", () => {
        const leaves = [...propertyLeaves({
            siteConfig: { appSettings: [{ name: "AZURE_CLIENT_SECRET", value: "s" }] },
            env: [{ Name: "X", Value: "y" }],
            tags: { owner: "me" },
            skipped: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
            __provider: "serialized",
            name: "top", value: "top-value",
        })];
        assert.deepStrictEqual(leaves.map((l) => [l.path, l.key, l.inMetadata]), [
            ["siteConfig.appSettings[0].name", "name", false],
            ["siteConfig.appSettings[0].value", "AZURE_CLIENT_SECRET", false],
            ["env[0].Name", "Name", false],
            ["env[0].Value", "X", false],
            ["tags.owner", "owner", true],
            ["name", "name", false],
            ["value", "value", false],
        ]);
    });

    it("propertyLeaves finds a value at any depth, iteratively, with a shortened path", () => {
        let deep: Record<string, unknown> = { clientSecret: "x" };
        for (let i = 0; i < 100; i++) deep = { next: deep };
        const [leaf, ...rest] = [...propertyLeaves(deep)];
        assert.deepStrictEqual(rest, []);
        assert.strictEqual(leaf.key, "clientSecret");
        assert.strictEqual(leaf.path, `${Array(8).fill("next").join(".")}.….${Array(7).fill("next").join(".")}.clientSecret`);
    });

    it("readPath tells missing from unknown, at any level", () => {
        const props = { a: { b: 1 }, u: "dd056dcd-154b-4c76-9bd3-c8f88648b5ff" };
        assert.deepStrictEqual(readPath(props, ["a", "b"]), { state: "known", value: 1 });
        assert.deepStrictEqual(readPath(props, ["a", "c"]), { state: "missing" });
        assert.deepStrictEqual(readPath(props, ["u", "x"]), { state: "unknown" });
        assert.strictEqual(plainProperties(props), props);
    });

    it("secretValueProblems: clean values have none; any whitespace at either end is found", () => {
        fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9~._-]{1,64}$/), (value) => secretValueProblems(value).length === 0));
        fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9~._-]{1,64}$/), fc.constantFrom(" ", "\t", "\n", "\r\n"), (value, ws) =>
            secretValueProblems(value + ws).length === 1 && secretValueProblems(ws + value).length === 1));
        assert.deepStrictEqual(secretValueProblems("a\nb", { multiLine: true }), []);
        assert.deepStrictEqual(secretValueProblems("\"\""), ["is wrapped in quotes"]);
    });

    it("valueHint shows at most three characters, fewer for short values", () => {
        assert.strictEqual(valueHint("Tn48Q~Vb7Xc2Rz0Kw5Mq1Hd9Ls3Gf6Pj8Ya4Ue2o"), "Tn4…");
        assert.strictEqual(valueHint("abcdefg"), "…", "12 characters or fewer: no characters at all");
        assert.strictEqual(valueHint("abcdefghijkl"), "…");
        assert.strictEqual(valueHint("abcdefghijklm"), "abc…");
        assert.strictEqual(valueHint("ab"), "…");
    });

    it("parentType reads the parent URN, else the resource URN's type chain", () => {
        const urn = "urn:pulumi:s::p::keyrelay:index:RotatedAppRegistration$keyrelay:index:RotatingPassword$azuread:index/applicationPassword:ApplicationPassword::x-a";
        assert.strictEqual(parentType(urn, undefined), "keyrelay:index:RotatingPassword");
        assert.strictEqual(parentType("urn:pulumi:s::p::azuread:index/applicationPassword:ApplicationPassword::x", "urn:pulumi:s::p::keyrelay:index:RotatingPassword::x"), "keyrelay:index:RotatingPassword");
        assert.strictEqual(parentType("urn:pulumi:s::p::azuread:index/applicationPassword:ApplicationPassword::x", undefined), undefined);
        // A credential as keyrelay issues it: period start, serves until one `every` (90 days) later, ends validFor (181 days) after the start.
        const props = { endDate: "2027-04-27T00:00:00Z", rotateWhenChanged: { "keyrelay-period-start": "2026-10-28T00:00:00Z", "keyrelay-serves-until": "2027-01-26T00:00:00Z" } };
        const type = "azuread:index/applicationPassword:ApplicationPassword";
        assert.ok(isRetiringKeyrelayCredential(type, props, urn, undefined, DateTime.fromISO("2027-01-26T00:00:00Z")));
        assert.ok(!isRetiringKeyrelayCredential(type, props, urn, undefined, DateTime.fromISO("2027-01-25T23:59:59Z")));
        assert.ok(!isRetiringKeyrelayCredential(type, { rotateWhenChanged: { "keyrelay-serves-until": "04da6b54-80e4-46f7-96ec-b56ff0331ba9" } }, urn, undefined, DateTime.fromISO("2030-01-01")));
    });

    it("readNumberSetting: default, configured value, and an error naming policy, key and fix", () => {
        const setting = { key: "minDaysRemaining", default: 14, minimum: 0, description: "" };
        assert.strictEqual(readNumberSetting("p", undefined, setting), 14);
        assert.strictEqual(readNumberSetting("p", { enforcementLevel: "advisory" }, setting), 14);
        assert.strictEqual(readNumberSetting("p", { minDaysRemaining: 0 }, setting), 0);
        assert.throws(() => readNumberSetting("p", { minDaysRemaining: 1.5 }, setting), /policy "p": minDaysRemaining is 1\.5, not a whole number >= 0\. Set it in the policy pack config, e\.g\. \{ "p": \{ "minDaysRemaining": 14 \} \}/);
    });
});
