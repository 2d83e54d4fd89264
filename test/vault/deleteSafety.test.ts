// Nothing lost (issue 9 §1, §2): delete removes a secret only while its newest version is the one
// this resource wrote, the same vault spelled another way is no change, and a second stack cannot
// write over the first's version unless it adopts the secret. Each case plays the engine's order of
// calls (a replacement creates the new resource, then deletes the old) against the local vault,
// through the real SDK, and checks what the vault holds afterwards.
import { strict as assert } from "assert";
import { createVaultSecretProvider, VaultSecretOutputs, VaultSecretProvider } from "../../components/provider/vaultSecretProvider";
import { VaultSecretFields, canonicalVaultUrl, vaultSecretChange } from "../../components/vaultSecretDiff";
import { vaultRetrySettings } from "../../components/vaultRetry";
import { startVaultTestbed, VaultTestbed } from "./testbed";

const FAST = vaultRetrySettings(0.001);
const STACK_ONE = "acme/keyrelay/prod-eu";
const STACK_TWO = "acme/keyrelay/prod-us";

describe("delete never removes a secret someone else now owns", function () {
    this.timeout(30_000);
    let bed: VaultTestbed;
    let counter = 0;
    const warnings: string[] = [];

    before(async () => {
        bed = await startVaultTestbed();
    });
    after(async () => bed?.close());

    /** One provider per stack: each `pulumi up` runs its own provider host. */
    function provider(): VaultSecretProvider {
        return createVaultSecretProvider({ clientFor: bed.clientFactory(), settings: FAST, pacers: new Map(), warn: (m) => void warnings.push(m) });
    }

    function secret(overrides: Partial<VaultSecretFields> = {}): VaultSecretFields {
        counter += 1;
        return {
            vaultUrl: bed.vault.url, name: `moved-${counter}-client-secret`, value: `credential-${counter}-old`,
            expiresOn: "2027-03-01T00:00:00Z", tags: { app: `app-${counter}` }, writer: STACK_ONE, ...overrides,
        };
    }

    const deletesOf = (name: string) => bed.vault.requests.filter((r) => r.method === "DELETE" && r.path.toLowerCase() === `/secrets/${name.toLowerCase()}`);

    /** After each case: a live, undeleted secret holding the newest credential, and no DELETE ever reached it. */
    function assertLiveWith(name: string, value: string) {
        assert.equal(bed.vault.isDeleted(name), false, "the secret is not soft-deleted");
        const latest = bed.vault.latest(name);
        assert.ok(latest, "the secret exists");
        assert.equal(latest!.enabled, true);
        assert.equal(latest!.value, value, "the newest version holds the newest credential");
        assert.deepEqual(deletesOf(name), [], "no run sent a DELETE for it");
    }

    const cases: { title: string; run: () => Promise<{ name: string; newest: string }> }[] = [
        {
            title: "rename (a new resource name, the same secret name): create the new one, then delete the old one",
            run: async () => {
                const p = provider();
                const old = secret();
                const oldState = (await p.create(old)).outs;
                const renamed = { ...old, value: `${old.value}-renamed` };
                await p.create(renamed);
                await p.delete("old-id", oldState);
                return { name: old.name, newest: renamed.value };
            },
        },
        {
            title: "the same vault spelled another way (trailing slash), replaced by an older engine: create, then delete",
            run: async () => {
                const p = provider();
                const old = secret();
                const oldState = (await p.create(old)).outs;
                const respelled = { ...old, vaultUrl: `${bed.vault.url}/`, value: `${old.value}-respelled` };
                await p.create(respelled);
                await p.delete("old-id", oldState);
                return { name: old.name, newest: respelled.value };
            },
        },
        {
            title: "a move to another stack (two states, one vault): the new stack adopts, the old stack then destroys",
            run: async () => {
                const stackOne = provider();
                const stackTwo = provider();
                const old = secret();
                const oldState = (await stackOne.create(old)).outs;
                const moved = { ...old, writer: STACK_TWO, value: `${old.value}-moved`, adopt: true };
                await stackTwo.create(moved);
                await stackOne.delete("old-id", oldState);
                return { name: old.name, newest: moved.value };
            },
        },
        {
            title: "a refresh of the old stack after the move, then its destroy: refresh does not make the other's version its own",
            run: async () => {
                const stackOne = provider();
                const stackTwo = provider();
                const old = secret();
                const oldState = (await stackOne.create(old)).outs;
                const moved = { ...old, writer: STACK_TWO, value: `${old.value}-moved`, adopt: true };
                await stackTwo.create(moved);
                const refreshed = (await stackOne.read("old-id", oldState)).props!;
                await stackOne.delete("old-id", refreshed);
                return { name: old.name, newest: moved.value };
            },
        },
        {
            title: "a hand edit (az keyvault secret set) after the last up, then destroy",
            run: async () => {
                const p = provider();
                const old = secret();
                const state = (await p.create(old)).outs;
                bed.vault.writeOutOfBand(old.name, "set-by-hand-after-the-last-up");
                await p.delete("id", state);
                return { name: old.name, newest: "set-by-hand-after-the-last-up" };
            },
        },
    ];

    for (const { title, run } of cases) {
        it(title, async () => {
            const before = warnings.length;
            const { name, newest } = await run();
            assertLiveWith(name, newest);
            const said = warnings.slice(before);
            assert.equal(said.length, 1, "delete says once that it left the secret");
            assert.match(said[0], new RegExp(`left secret "${name}" in https://127\\.0\\.0\\.1:\\d+ in place: `));
            assert.match(said[0], /delete it by hand/);
        });
    }

    it("control: delete still soft-deletes a secret whose newest version is its own", async () => {
        const p = provider();
        const inputs = secret();
        const { outs } = await p.create(inputs);
        const updated = (await p.update("id", outs, { ...inputs, value: `${inputs.value}-rotated` })).outs;
        await p.delete("id", updated);
        assert.equal(bed.vault.isDeleted(inputs.name), true);
        assert.equal(deletesOf(inputs.name).length, 1);
    });

    it("the vault URL is compared in canonical form: re-spellings are no change and no replacement", () => {
        const olds = { vaultUrl: "https://kv-x.vault.azure.net", name: "s", value: "v", expiresOn: "2027-03-01T00:00:00Z" };
        for (const respelled of ["https://KV-X.vault.azure.net/", "https://kv-x.vault.azure.net:443", "https://Kv-X.Vault.Azure.Net:443//"]) {
            assert.equal(canonicalVaultUrl(respelled), "https://kv-x.vault.azure.net", respelled);
            const change = vaultSecretChange(olds, { ...olds, vaultUrl: respelled });
            assert.deepEqual(change.changed, [], respelled);
        }
        assert.deepEqual(vaultSecretChange(olds, { ...olds, vaultUrl: "https://kv-y.vault.azure.net" }).replaces, ["vaultUrl"], "another vault is a replacement");
        assert.deepEqual(vaultSecretChange(olds, { ...olds, vaultUrl: "https://kv-x.vault.azure.net:8443" }).replaces, ["vaultUrl"], "another port is another endpoint");
    });

    describe("one writer per secret across stacks", () => {
        it("a second stack's create over the first stack's newest version fails naming both stacks, and writes nothing", async () => {
            const first = secret();
            await provider().create(first);
            const second = { ...first, writer: STACK_TWO, value: "second-stack-credential" };
            await assert.rejects(provider().create(second), (e: Error) => {
                assert.match(e.message, new RegExp(`cannot write secret "${first.name}"`));
                assert.ok(e.message.includes(`written by stack "${STACK_ONE}"`), e.message);
                assert.ok(e.message.includes(`not by this stack "${STACK_TWO}"`), e.message);
                assert.match(e.message, /adopt: true/);
                assert.ok(!e.message.includes(second.value));
                return true;
            });
            assert.equal(bed.vault.secret(first.name)!.versions.length, 1);
            assert.equal(bed.vault.latest(first.name)!.value, first.value);
        });

        it("after an adoption, the old stack's next write (a rotation, or a refresh that saw drift) fails instead of flip-flopping", async () => {
            const stackOne = provider();
            const first = secret();
            const oneState = (await stackOne.create(first)).outs;
            await provider().create({ ...first, writer: STACK_TWO, value: "adopted-value", adopt: true });
            await assert.rejects(stackOne.update("id", oneState, { ...first, value: "rotated-by-stack-one" }), /written by stack "acme\/keyrelay\/prod-us"/);
            const refreshed = (await stackOne.read("id", oneState)).props as VaultSecretOutputs;
            assert.equal(refreshed.writer, STACK_TWO, "refresh shows who wrote the newest version");
            assert.equal(vaultSecretChange(refreshed, first).writesVersion, true);
            await assert.rejects(stackOne.update("id", refreshed, first), /written by stack/);
            assert.deepEqual(bed.vault.secret(first.name)!.versions.map((v) => v.value), [first.value, "adopted-value"]);
            assert.equal(bed.vault.latest(first.name)!.tags?.["keyrelay-writer"], STACK_TWO);
        });

        it("the same stack may write over its own versions (rename, re-create), and a version without a writer tag may be taken over", async () => {
            const p = provider();
            const first = secret();
            await p.create(first);
            await p.create({ ...first, value: "same-stack-new-resource" });
            const handMade = secret({ writer: STACK_TWO });
            bed.vault.writeOutOfBand(handMade.name, "made-by-hand");
            await p.create(handMade);
            assert.equal(bed.vault.latest(handMade.name)!.value, handMade.value);
            assert.equal(bed.vault.latest(handMade.name)!.tags?.["keyrelay-writer"], STACK_TWO);
        });

        it("a renamed stack writes over the version it wrote under its old name (state names that version)", async () => {
            const p = provider();
            const first = secret();
            const { outs } = await p.create(first);
            const renamedStack = { ...first, writer: "acme/keyrelay/prod-eu-renamed" };
            assert.equal(vaultSecretChange(outs, renamedStack).writesVersion, true, "the writer tag is rewritten");
            const updated = (await p.update("id", outs, renamedStack)).outs;
            assert.equal(bed.vault.latest(first.name)!.tags?.["keyrelay-writer"], "acme/keyrelay/prod-eu-renamed");
            assert.equal(updated.version, bed.vault.latest(first.name)!.version);
        });
    });
});
