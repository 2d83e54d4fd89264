// When the component may ask the engine for the stack's last snapshot (components/lastState.ts).
// The engine's backendClient.GetStackResourceOutputs (pulumi/pulumi pkg/backend/backend.go) ranges over
// `snap.Resources` with no nil check, and a DIY stack that was never deployed has a nil snapshot
// (pkg/resource/stack/checkpoint.go DeserializeCheckpoint): the read would crash `pulumi preview`.
// These mocks answer as that engine would and record every builtin invoke the program makes.
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { READ_STACK_OUTPUTS, READ_STACK_RESOURCE_OUTPUTS, lastState, resourcesOf } from "../components/lastState";

const APP = "urn:pulumi:dev::payments::azuread:index/application:Application::payments";

interface Stand { deployed: boolean; stackOutputs: Record<string, unknown> }

async function engine(preview: boolean, organization: string, stand: Stand): Promise<string[]> {
    const calls: string[] = [];
    await pulumi.runtime.setMocks({
        newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
        call: (args) => {
            calls.push(args.token);
            if (args.token === READ_STACK_OUTPUTS) return { name: args.inputs.name, outputs: stand.deployed ? stand.stackOutputs : {}, secretOutputNames: [] };
            if (args.token === READ_STACK_RESOURCE_OUTPUTS) {
                if (!stand.deployed && organization === "organization") throw new Error("engine panic: nil snapshot (the test fails if this is ever asked)");
                return { name: args.inputs.stackName, outputs: stand.deployed ? { [APP]: { type: "azuread:index/application:Application", outputs: { owners: ["x"] } } } : {} };
            }
            throw new Error(`unexpected ${args.token}`);
        },
    }, "payments", "dev", preview, organization);
    return calls;
}

describe("the stack's last state: read only when the engine can answer", () => {
    const skip = process.env.PULUMI_SKIP_CHECKPOINTS;
    afterEach(() => {
        if (skip === undefined) delete process.env.PULUMI_SKIP_CHECKPOINTS; else process.env.PULUMI_SKIP_CHECKPOINTS = skip;
    });

    it("a preview of a DIY stack never deployed: asks only readStackOutputs (nil-safe), and the state is unknown", async () => {
        const calls = await engine(true, "organization", { deployed: false, stackOutputs: {} });
        assert.equal(await lastState(), undefined);
        assert.deepEqual(calls, [READ_STACK_OUTPUTS]);
    });

    it("a preview of a deployed DIY stack with outputs: reads the snapshot", async () => {
        const calls = await engine(true, "organization", { deployed: true, stackOutputs: { secretUri: "https://kv/secrets/x" } });
        assert.deepEqual((await lastState())?.map((r) => r.urn), [APP]);
        assert.deepEqual(calls, [READ_STACK_OUTPUTS, READ_STACK_RESOURCE_OUTPUTS]);
    });

    it("a preview on Pulumi Cloud (an organization of its own) reads directly: that backend always builds a snapshot", async () => {
        const calls = await engine(true, "contoso", { deployed: true, stackOutputs: {} });
        assert.deepEqual((await lastState())?.map((r) => r.urn), [APP]);
        assert.deepEqual(calls, [READ_STACK_RESOURCE_OUTPUTS]);
    });

    it("an update reads directly; an update without checkpoints (PULUMI_SKIP_CHECKPOINTS) on DIY asks first", async () => {
        let calls = await engine(false, "organization", { deployed: true, stackOutputs: {} });
        assert.deepEqual((await lastState())?.length, 1);
        assert.deepEqual(calls, [READ_STACK_RESOURCE_OUTPUTS]);
        process.env.PULUMI_SKIP_CHECKPOINTS = "true";
        calls = await engine(false, "organization", { deployed: false, stackOutputs: {} });
        assert.equal(await lastState(), undefined);
        assert.deepEqual(calls, [READ_STACK_OUTPUTS]);
    });

    it("drops every credential value from the answer; keeps the in-use alert's note, which is no secret", () => {
        const resources = resourcesOf({ outputs: {
            "urn:a": { type: "azuread:index/applicationPassword:ApplicationPassword", outputs: { value: "not-for-keeping", displayName: "a", keyId: "k" } },
            "urn:b": { type: "pulumi-nodejs:dynamic/keyrelay:VaultSecret", outputs: { value: "not-for-keeping-either", name: "s", tags: { app: "a" } } },
            "urn:c": { type: "pulumi-nodejs:dynamic/keyrelay:VaultSecret", outputs: { value: "{\"kind\":\"note\"}", name: "s-in-use", tags: { "keyrelay-alert": "retiring-in-use" } } },
        } })!;
        assert.deepEqual(resources.map((r) => r.outputs.value), [undefined, undefined, '{"kind":"note"}']);
        assert.deepEqual(resources[0].outputs, { displayName: "a", keyId: "k" });
    });
});
