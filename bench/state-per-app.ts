// Benchmark (issue 12, §2): the state each RotatedAppRegistration leaves, measured as the mock
// runtime sees it: every resource's inputs and outputs, serialized as JSON, per app.
// Declares N apps (default 1,000) in one program, as the README shows them (displayName, rotation,
// vault); with --readers, each also gets one reader (a RoleAssignment, about 0.8 KB more).
// Bar: under 8 KB per app. Run: npx ts-node --transpile-only bench/state-per-app.ts [apps] [--readers]
import * as pulumi from "@pulumi/pulumi";

const apps = Number(process.argv[2] ?? 1000);
const withReaders = process.argv.includes("--readers");
const VAULT = "https://kv-platform.vault.azure.net";

async function main() {
    const bytesByType = new Map<string, { resources: number; inputs: number; outputs: number }>();
    let sequence = 0;
    await pulumi.runtime.setMocks({
        newResource(args) {
            const n = ++sequence;
            const outputs: Record<string, unknown> = { ...args.inputs };
            if (args.type === "azuread:index/application:Application") Object.assign(outputs, { clientId: `00000000-0000-4000-a000-${String(n).padStart(12, "0")}`, objectId: `00000000-0000-4000-b000-${String(n).padStart(12, "0")}` });
            if (args.type === "azuread:index/servicePrincipal:ServicePrincipal") outputs.objectId = `00000000-0000-4000-c000-${String(n).padStart(12, "0")}`;
            if (args.type === "azuread:index/applicationPassword:ApplicationPassword") Object.assign(outputs, { keyId: `00000000-0000-4000-d000-${String(n).padStart(12, "0")}`, value: `Abc8Q~${"x".repeat(34)}` });
            if (args.type === "pulumi-nodejs:dynamic/keyrelay:VaultSecret") Object.assign(outputs, { secretUri: `${VAULT}/secrets/${args.inputs.name}`, version: "0123456789abcdef0123456789abcdef", versionId: `${VAULT}/secrets/${args.inputs.name}/0123456789abcdef0123456789abcdef` });
            const tally = bytesByType.get(args.type) ?? { resources: 0, inputs: 0, outputs: 0 };
            tally.resources++;
            tally.inputs += Buffer.byteLength(JSON.stringify(args.inputs));
            tally.outputs += Buffer.byteLength(JSON.stringify(outputs));
            bytesByType.set(args.type, tally);
            return { id: `id-${n}`, state: outputs };
        },
        call(args) {
            // The deploying principal, which keyrelay makes an owner of each app (issue 8, point 1).
            if (args.token === "azuread:index/getClientConfig:getClientConfig") {
                return { clientId: "00000000-0000-4000-e000-000000000001", objectId: "00000000-0000-4000-e000-000000000002", tenantId: "00000000-0000-4000-e000-000000000003" };
            }
            throw new Error(`unexpected call ${args.token}`);
        },
    }, "keyrelay", "bench", false);
    const { RotatedAppRegistration } = await import("../components");
    const declared: pulumi.Output<unknown>[] = [];
    for (let i = 0; i < apps; i++) {
        const name = `app-${String(i).padStart(4, "0")}`;
        const app = new RotatedAppRegistration(name, {
            displayName: name,
            rotation: { every: ["P30D", "P90D", "P180D"][i % 3] },
            vault: {
                url: VAULT, secretName: `${name}-client-secret`,
                ...(withReaders ? { resourceId: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-platform" } : {}),
            },
            ...(withReaders ? { readers: ["11111111-1111-4111-a111-111111111111"] } : {}),
        });
        declared.push(app.secretUri);
    }
    await (pulumi.all(declared) as unknown as { promise(): Promise<unknown> }).promise();
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    let total = 0;
    for (const [type, tally] of [...bytesByType.entries()].sort()) {
        total += tally.inputs + tally.outputs;
        console.log(`${type.padEnd(58)} ${String(tally.resources).padStart(6)} resources  ${((tally.inputs + tally.outputs) / apps).toFixed(0).padStart(6)} B per app (inputs ${(tally.inputs / tally.resources).toFixed(0)} B, outputs ${(tally.outputs / tally.resources).toFixed(0)} B each)`);
    }
    console.log(JSON.stringify({ apps, readers: withReaders ? 1 : 0, resources: sequence, totalBytes: total, bytesPerApp: Math.round(total / apps), bar: 8192 }));
}

main().catch((error) => { console.error(error); process.exitCode = 1; });
