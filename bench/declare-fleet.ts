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
        throw new Error(`unexpected call ${args.token}`);
    },
};

async function main() {
    await pulumi.runtime.setMocks(mocks, "keyrelay", "bench", false);
    const { RotatedAppRegistration, VaultSecret } = await import("../components");
    const started = process.hrtime.bigint();
    const outputs: pulumi.Output<unknown>[] = [];
    for (let i = 0; i < count; i++) {
        const name = `app-${String(i).padStart(4, "0")}`;
        if (mode === "components") {
            const app = new RotatedAppRegistration(name, { displayName: name, vault: { url: VAULT, secretName: `${name}-secret` } });
            outputs.push(app.secretUri);
        } else {
            // The same resources, with the dates a hand-written program would compute.
            const application = new azuread.Application(name, { displayName: name });
            new azuread.ServicePrincipal(`${name}-sp`, { clientId: application.clientId });
            const now = DateTime.utc().startOf("day");
            const passwords = [1, 0].map((age) => {
                const start = now.minus({ days: 90 * age });
                return new azuread.ApplicationPassword(`${name}-password-${age}`, {
                    applicationId: application.id,
                    displayName: `${name} ${start.toISODate()}`,
                    startDate: start.toISO()!,
                    endDate: start.plus({ days: 181 }).toISO()!,
                    rotateWhenChanged: { start: start.toISO()! },
                });
            });
            const current = passwords[1];
            const secret = new VaultSecret(`${name}-secret`, {
                vaultUrl: VAULT, name: `${name}-secret`, value: current.value, expiresOn: current.endDate.apply((d) => d!),
                tags: { "client-id": application.clientId, "key-id": current.keyId },
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
