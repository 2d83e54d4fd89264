// One writer per secret, whatever the spelling (issue 15 §4): when the program could not compare two
// writers (a vault URL or secret name that is an Output), the provider refuses the second one in
// check(), before any step runs, and again at its first write, from the keyrelay-writer tag, which
// names the stack and the resource. Played against the local vault through the real SDK.
import { strict as assert } from "assert";
import { createVaultSecretProvider, VaultSecretProvider } from "../../components/provider/vaultSecretProvider";
import { VaultSecretFields } from "../../components/provider/vaultSecretDiff";
import { vaultRetrySettings } from "../../components/provider/vaultRetrySettings";
import { UNKNOWN_INPUT } from "../../components/validate";
import { startVaultTestbed, VaultTestbed } from "./testbed";

const FAST = vaultRetrySettings(0.001);
const STACK = "acme/keyrelay/prod-eu";
const RESOURCE_ONE = `${STACK}#0a1b2c3d`;
const RESOURCE_TWO = `${STACK}#4e5f6071`;
const OTHER_STACK = "acme/keyrelay/prod-us#8293a4b5";

describe("one writer per secret, whatever the spelling", function () {
    this.timeout(30_000);
    let bed: VaultTestbed;
    let counter = 0;

    before(async () => {
        bed = await startVaultTestbed();
    });
    after(async () => bed?.close());

    function provider(): VaultSecretProvider {
        return createVaultSecretProvider({ clientFor: bed.clientFactory(), settings: FAST, pacers: new Map(), warn: () => undefined });
    }

    function secret(overrides: Partial<VaultSecretFields> = {}): VaultSecretFields {
        counter += 1;
        return {
            vaultUrl: bed.vault.url, name: `one-writer-${counter}`, value: `credential-${counter}-first`,
            expiresOn: "2027-03-01T00:00:00Z", writer: RESOURCE_ONE, ...overrides,
        };
    }

    const putsOf = (name: string) => bed.vault.requests.filter((r) => r.method === "PUT" && r.path.toLowerCase() === `/secrets/${name.toLowerCase()}`);

    describe("at the first write: the writer tag names the resource", () => {
        it("a second resource of the same stack cannot create over the first one's version, and writes nothing", async () => {
            const first = secret();
            await provider().create(first);
            const second = { ...first, writer: RESOURCE_TWO, value: "second-resource-credential" };
            await assert.rejects(provider().create(second), (e: Error) => {
                assert.ok(e.message.includes(`another resource of this stack ("${RESOURCE_ONE}")`), e.message);
                assert.ok(e.message.includes(`not by this resource "${RESOURCE_TWO}"`), e.message);
                assert.match(e.message, /adopt: true/);
                assert.ok(!e.message.includes(second.value), "the value is never printed");
                return true;
            });
            assert.equal(putsOf(first.name).length, 1, "only the first resource's write reached the vault");
            assert.equal(bed.vault.latest(first.name)!.value, first.value);
        });

        it("the same resource renamed through aliases is an update whose state names its version: it writes", async () => {
            const p = provider();
            const first = secret();
            const { outs } = await p.create(first);
            const renamed = { ...first, writer: RESOURCE_TWO, value: "rotated-after-rename" };
            const { outs: after } = await p.update("id", outs, renamed);
            assert.equal(bed.vault.latest(first.name)!.value, renamed.value);
            assert.equal(bed.vault.latest(first.name)!.tags?.["keyrelay-writer"], RESOURCE_TWO, "the tag now names the resource's new URN");
            assert.equal(after.version, bed.vault.latest(first.name)!.version);
        });

        it("a version tagged by an older keyrelay with this stack alone may be written over (it names no resource)", async () => {
            const legacy = secret({ writer: STACK });
            await provider().create(legacy);
            await provider().create({ ...legacy, writer: RESOURCE_TWO, value: "upgraded-writer" });
            assert.equal(bed.vault.latest(legacy.name)!.tags?.["keyrelay-writer"], RESOURCE_TWO);
        });

        it("a soft-deleted secret of another stack is recovered, then refused like any write: no version is written", async () => {
            const theirs = secret({ writer: OTHER_STACK, value: "other-stack-credential" });
            await provider().create(theirs);
            bed.vault.deleteOutOfBand(theirs.name);
            const mine = { ...theirs, writer: RESOURCE_ONE, value: "would-overwrite" };
            await assert.rejects(provider().create(mine), (e: Error) => {
                assert.ok(e.message.includes(`written by stack "${OTHER_STACK}"`), e.message);
                return true;
            });
            assert.equal(bed.vault.isDeleted(theirs.name), false, "recovering brings the other stack's versions back, which loses nothing");
            assert.deepEqual(bed.vault.secret(theirs.name)!.versions.map((v) => v.value), [theirs.value], "nothing written over them");
        });

        it("control: recovering a soft-deleted secret this resource wrote still writes", async () => {
            const mine = secret();
            await provider().create(mine);
            bed.vault.deleteOutOfBand(mine.name);
            await provider().create({ ...mine, value: "after-recovery" });
            assert.deepEqual(bed.vault.secret(mine.name)!.versions.map((v) => v.value), [mine.value, "after-recovery"]);
        });
    });

    describe("in check(), before any step: two resources of one run", () => {
        it("the second resource to check the same secret (another spelling of the vault, another case of the name) gets a failure on name", async () => {
            const p = provider();
            const first = secret();
            assert.deepEqual((await p.check({}, first)).failures, []);
            const second = { ...first, vaultUrl: `${first.vaultUrl}/`, name: first.name.toUpperCase(), writer: RESOURCE_TWO };
            const { failures } = await p.check({}, second);
            assert.equal(failures.length, 1);
            assert.equal(failures[0].property, "name");
            assert.ok(failures[0].reason.includes(`another resource of this deployment ("${RESOURCE_ONE}") also writes`), failures[0].reason);
            assert.equal(bed.vault.secret(first.name), undefined, "nothing was written");
        });

        it("the same resource checked again (preview, then up) and values not known yet pass", async () => {
            const p = provider();
            const first = secret();
            assert.deepEqual((await p.check({}, first)).failures, []);
            assert.deepEqual((await p.check(first, first)).failures, []);
            assert.deepEqual((await p.check({}, { ...first, name: UNKNOWN_INPUT, writer: RESOURCE_TWO })).failures, []);
            assert.deepEqual((await p.check({}, { ...first, writer: UNKNOWN_INPUT })).failures, []);
        });
    });

    describe("tag values", () => {
        it("a tag value over 256 characters fails check() naming the tag; 256 pass", async () => {
            const p = provider();
            const long = await p.check({}, secret({ tags: { note: "n".repeat(257) } }));
            assert.deepEqual(long.failures.map((f) => f.property), ["tags.note"]);
            assert.match(long.failures[0].reason, /257 characters; Key Vault allows 256/);
            assert.deepEqual((await p.check({}, secret({ tags: { note: "n".repeat(256) } }))).failures, []);
        });
    });
});
