// One measurement: declare N apps under the mock runtime, either through keyrelay's components
// or as the same azuread/VaultSecret resources written out by hand. Prints one JSON line.
// Usage: node -r ts-node/register/transpile-only bench/declare-fleet.ts <components|baseline> <count>
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import { DateTime } from "luxon";

const [mode, countText] = process.argv.slice(2);
const count = Number(countText ?? 1000);
const VAULT = "https://kv-platform.vault.azure.net";

let sequence = 0;
const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
        const n = ++sequence;
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "azuread:index/application:Application") state.clientId = `client-${n}`;
        if (args.type === "azuread:index/applicationPassword:ApplicationPassword") {
            state.keyId = `key-${n}`;
            state.value = `bench-value-${n}`;
        }
        return { id: `id-${n}`, state };
    },
    call(args) {
        if (args.token === "azuread:index/getClientConfig:getClientConfig") return { clientId: "bench-client", objectId: "bench-deployer", tenantId: "bench-tenant" };
        throw new Error(`unexpected call ${args.token}`);
    },
};

async function main() {
    await pulumi.runtime.setMocks(mocks, "keyrelay", "bench", false);
    const { RotatedAppRegistration, VaultSecret } = await import("../components");
    const started = process.hrtime.bigint();
    const outputs: pulumi.Output<unknown>[] = [];
    const deployer = mode === "components" ? undefined : azuread.getClientConfigOutput().objectId;
    for (let i = 0; i < count; i++) {
        const name = `app-${String(i).padStart(4, "0")}`;
        if (mode === "components") {
            const app = new RotatedAppRegistration(name, { displayName: name, vault: { url: VAULT, secretName: `${name}-secret` } });
            outputs.push(app.secretUri);
        } else {
            // The same resources with the same inputs, written out by hand.
            const owners = pulumi.all([deployer!]).apply((ids) => [...new Set(ids)]);
            const application = new azuread.Application(name, { displayName: name, owners });
            new azuread.ServicePrincipal(`${name}-sp`, { clientId: application.clientId, owners });
            const today = DateTime.utc().startOf("day");
            const passwords = [2, 1].map((age) => {
                const start = today.minus({ days: 89 * age - 45 });
                const startDate = start.toISO({ suppressMilliseconds: true })!;
                return new azuread.ApplicationPassword(`${name}-password-${"abc"[age]}`, {
                    applicationId: application.id,
                    displayName: `${name} (keyrelay slot ${"abc"[age]}, from ${start.toISODate()})`,
                    endDate: start.plus({ days: 179 }).toISO({ suppressMilliseconds: true })!,
                    rotateWhenChanged: {
                        "keyrelay-period-start": startDate,
                        "keyrelay-serves-until": start.plus({ days: 89 }).toISO({ suppressMilliseconds: true })!,
                    },
                });
            });
            const current = passwords[1];
            const secret = new VaultSecret(`${name}-secret`, {
                vaultUrl: VAULT,
                name: `${name}-secret`,
                value: pulumi.secret(current.value),
                expiresOn: current.endDate.apply((d) => d!),
                notBefore: today.minus({ days: 44 }).toISO({ suppressMilliseconds: true })!,
                contentType: "text/plain",
                tags: {
                    app: name,
                    "client-id": application.clientId,
                    "key-id": current.keyId,
                    "rotation-every": "P89D",
                    "next-rotation": today.plus({ days: 45 }).toISO({ suppressMilliseconds: true })!,
                },
            });
            outputs.push(secret.id);
        }
    }
    await (pulumi.all(outputs) as unknown as { promise(): Promise<unknown> }).promise();
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    const peakRssMiB = process.resourceUsage().maxRSS / 1024;
    console.log(JSON.stringify({ mode, count, registrations: sequence, elapsedMs: Math.round(elapsedMs), peakRssMiB: Math.round(peakRssMiB) }));
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
