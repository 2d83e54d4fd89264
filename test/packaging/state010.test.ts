// State written by keyrelay 0.1.0 keeps working after the move to dist/: the VaultSecret in
// test/fixtures/state-0.1.0 (its serialized provider names node_modules/keyrelay/components/
// vaultSecretProvider.js) is refreshed and deleted by @pulumi/pulumi's own dynamic provider host,
// in a program folder where keyrelay is the tarball `npm pack` builds today, unpacked as npm does.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { RETRY_TIME_SCALE_ENV } from "../../components/provider/vaultRetrySettings";
import { ProviderHost, startProviderHost } from "../vault/providerHost";
import { VaultTestbed, startVaultTestbed } from "../vault/testbed";
import { ROOT, packedStage, runOk, temporaryFolder } from "./staging";

interface RecordedResource {
    urn: string;
    id: string;
    inputs: Record<string, any>;
    outputs: Record<string, any>;
}

const FIXTURE = path.join(ROOT, "test", "fixtures", "state-0.1.0", "vaultSecret.json");
/** The vault the fixture's state names; the test points it at the local vault. */
const RECORDED_VAULT = "https://kv-billing.vault.azure.net";

/** The fixture's state with its vault URL (and the version it names) moved to the local vault. */
function stateAt(vaultUrl: string, version: string): RecordedResource {
    const recorded = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as RecordedResource & { outputs: { version: string } };
    const moved = JSON.parse(JSON.stringify(recorded).split(RECORDED_VAULT).join(vaultUrl).split(recorded.outputs.version).join(version)) as RecordedResource;
    return moved;
}

describe("a VaultSecret in a state written by 0.1.0, with today's package installed", function () {
    this.timeout(240_000);
    let program: string;
    let bed: VaultTestbed;
    let host: ProviderHost | undefined;

    before(async () => {
        const { tarball } = packedStage();
        program = temporaryFolder("state010");
        const modules = path.join(program, "node_modules");
        fs.mkdirSync(modules);
        // npm unpacks a tarball's package/ folder as node_modules/<name>.
        runOk("tar", ["-xzf", tarball, "-C", modules], program);
        fs.renameSync(path.join(modules, "package"), path.join(modules, "keyrelay"));
        for (const dependency of ["@azure", "@pulumi", "luxon"]) fs.symlinkSync(path.join(ROOT, "node_modules", dependency), path.join(modules, dependency), "dir");
        bed = await startVaultTestbed();
        host = await startProviderHost({ env: bed.childEnv({ [RETRY_TIME_SCALE_ENV]: "0.001" }), cwd: program });
    });
    after(async () => {
        await host?.close();
        await bed?.close();
        if (program) fs.rmSync(program, { recursive: true, force: true });
    });

    it("the fixture is what 0.1.0 serialized: a loader of components/vaultSecretProvider.js, which the package still ships", () => {
        const recorded = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as RecordedResource;
        assert.match(recorded.outputs.__provider, /pathInPackage: "components\/vaultSecretProvider\.js", file: ""/);
        assert.ok(fs.existsSync(path.join(program, "node_modules", "keyrelay", "components", "vaultSecretProvider.js")));
        assert.ok(!fs.existsSync(path.join(program, "node_modules", "keyrelay", "components", "provider")), "the provider itself is only in dist/");
    });

    it("refresh reads the secret, and delete removes it, through the 0.1.0 provider text", async () => {
        const name = "billing-api-client-secret";
        const recorded = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as RecordedResource;
        // The version 0.1.0 wrote, as it left it in the vault: value, expiry and its tags.
        const written = bed.vault.writeOutOfBand(name, "value-0.1.0-wrote", {
            exp: Math.floor(Date.parse(recorded.outputs.expiresOn) / 1000), tags: recorded.outputs.tags,
        });
        const state = stateAt(bed.vault.url, written.version);

        const read = await host!.read(state.urn, state.id, state.outputs);
        assert.equal(read.id, state.id);
        assert.equal(read.props.value, "value-0.1.0-wrote");
        assert.equal(read.props.version, written.version);
        assert.equal(Date.parse(read.props.expiresOn), Date.parse(recorded.outputs.expiresOn));
        assert.equal(read.props.__provider, recorded.outputs.__provider, "the state keeps the text it had");

        await host!.delete(state.urn, state.id, read.props);
        assert.equal(bed.vault.isDeleted(name), true);
    });
});
