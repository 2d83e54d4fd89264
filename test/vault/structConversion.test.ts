// Issue 8 point 3: the dynamic provider host converts every result with google-protobuf's
// Struct.fromJavaScript (@pulumi/pulumi/cmd/dynamic-provider/index.js: check, create, read, update),
// which throws "Unexpected struct type" on undefined. Every method's result, in every state the
// vault can be in, goes through that conversion here.
import { strict as assert } from "assert";
import { createVaultSecretProvider } from "../../components/provider/vaultSecretProvider";
import { VaultSecretFields } from "../../components/vaultSecretDiff";
import { vaultRetrySettings } from "../../components/vaultRetry";
import { toHostStruct } from "./providerHost";
import { startVaultTestbed, VaultTestbed } from "./testbed";

const FAST = vaultRetrySettings(0.001);

/** What the host does with a result: add __provider, then Struct.fromJavaScript. */
function throughHost(result: object | undefined): void {
    toHostStruct(Object.assign(result ?? {}, { __provider: "serialized provider text" }));
}

function assertNoUndefined(value: unknown, path = "result"): void {
    assert.notEqual(value, undefined, `${path} is undefined`);
    if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) assertNoUndefined(v, `${path}.${k}`);
    }
}

describe("every VaultSecret provider result survives the host's Struct.fromJavaScript", function () {
    this.timeout(30_000);
    let bed: VaultTestbed;
    before(async () => { bed = await startVaultTestbed(); });
    after(async () => bed?.close());

    it("control: the conversion really throws on undefined", () => {
        assert.throws(() => toHostStruct({ notBefore: undefined }), /Unexpected struct type/);
    });

    const minimal = (name: string): VaultSecretFields => ({ vaultUrl: bed.vault.url, name, value: `value-of-${name}`, expiresOn: "2027-03-01T00:00:00Z" });
    const full = (name: string): VaultSecretFields => ({
        ...minimal(name), notBefore: "2026-11-26T00:00:00Z", contentType: "text/plain", tags: { app: "x" }, retainOnDelete: false, writer: "o/p/s", adopt: false,
    });

    const vaultStates: { title: string; arrange: (name: string, version: string) => void }[] = [
        { title: "as written", arrange: () => undefined },
        { title: "a hand-written version without notBefore, contentType, tags or expiry", arrange: (name) => void bed.vault.writeOutOfBand(name, "by-hand") },
        { title: "a disabled newest version", arrange: (name, version) => bed.vault.setVersionEnabled(name, version, false) },
        { title: "deleted outside Pulumi", arrange: (name) => bed.vault.deleteOutOfBand(name) },
    ];

    for (const [shape, make] of [["minimal inputs", minimal], ["every input set", full]] as const) {
        for (const { title, arrange } of vaultStates) {
            it(`${shape}, vault ${title}: check, diff, create, update, read and delete`, async () => {
                const p = createVaultSecretProvider({ clientFor: bed.clientFactory(), settings: FAST, pacers: new Map(), warn: () => undefined });
                const name = `struct-${shape.length}-${title.length}-${Math.random().toString(36).slice(2, 8)}`;
                const inputs = make(name);
                const checked = await p.check({}, inputs);
                assertNoUndefined(checked.inputs);
                throughHost(checked.inputs);
                const created = await p.create(inputs);
                assertNoUndefined(created.outs);
                throughHost(created.outs);
                const diff = await p.diff(created.id, created.outs, inputs);
                assertNoUndefined(diff);
                const updated = await p.update(created.id, created.outs, { ...inputs, value: `${inputs.value}-2` });
                assertNoUndefined(updated.outs);
                throughHost(updated.outs);
                arrange(name, updated.outs.version);
                const read = await p.read(created.id, updated.outs);
                if (read.props !== undefined) assertNoUndefined(read.props);
                throughHost(read.props);
                if (read.props) {
                    const diffAfterRead = await p.diff(created.id, read.props, inputs);
                    assertNoUndefined(diffAfterRead);
                }
                await p.delete(created.id, updated.outs);
            });
        }
    }
});
