// Benchmark: a 10,000-resource stack through the analyzer protocol, keyrelay-credentials against a
// pack with the same five policies doing nothing, both started in this run as the CLI starts them.
//   npx ts-node --transpile-only bench/policy-analyze.ts [resources=10000] [rounds=3]
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DateTime } from "luxon";
import { planRotatingPassword } from "../components/rotatingPassword";
import { toRfc3339 } from "../components/schedule";
import {
    analyzeRequest, analyzeStackRequest, configureRequest, diagnostics, RunningPack, startPolicyPack, unary, WireResource, wireSecret,
} from "../test/policies/analyzerProcess";

const ROOT = path.resolve(__dirname, "..");
const ANALYZE_CONCURRENCY = 8;
const STACK = "urn:pulumi:bench::keyrelay::";

function guid(n: number, salt: number): string {
    const hex = ((n * 2654435761 + salt * 40503) >>> 0).toString(16).padStart(8, "0");
    return `${hex}-${(n % 65536).toString(16).padStart(4, "0")}-4${(salt % 4096).toString(16).padStart(3, "0")}-a000-${n.toString(16).padStart(12, "0")}`;
}

/** One unit of a realistic stack: a keyrelay app (7 resources), its web app, storage account and an azure-native secret. */
function unit(i: number, now: DateTime): WireResource[] {
    const app = `svc-${String(i).padStart(4, "0")}`;
    const appUrn = `${STACK}keyrelay:index:RotatedAppRegistration::${app}`;
    const rotatingUrn = `${STACK}keyrelay:index:RotatedAppRegistration$keyrelay:index:RotatingPassword::${app}-password`;
    const applicationUrn = `${STACK}keyrelay:index:RotatedAppRegistration$azuread:index/application:Application::${app}`;
    const plan = planRotatingPassword(app, { every: i % 3 === 0 ? "P30D" : "P90D" }, app, now);
    const passwords = plan.credentials.slice(-2).map((credential, k): WireResource => ({
        type: "azuread:index/applicationPassword:ApplicationPassword",
        name: `${app}-password-${credential.slot}`,
        urn: `${STACK}keyrelay:index:RotatingPassword$azuread:index/applicationPassword:ApplicationPassword::${app}-password-${credential.slot}`,
        parent: rotatingUrn,
        properties: {
            applicationId: `/applications/${guid(i, 1)}`,
            displayName: `${app} (keyrelay slot ${credential.slot}, from ${credential.startDate.toISODate()})`,
            startDate: toRfc3339(credential.startDate), endDate: toRfc3339(credential.endDate),
            rotateWhenChanged: { "keyrelay-period-start": toRfc3339(credential.startDate), "keyrelay-serves-until": toRfc3339(credential.servesUntil) },
            keyId: guid(i, 10 + k),
            value: wireSecret(`Ab${k}8Q~${guid(i, 20 + k).replace(/-/g, "")}`),
        },
        propertyDependencies: { applicationId: [applicationUrn] },
    }));
    const inService = passwords[passwords.length - 1];
    const secretUrn = `${STACK}keyrelay:index:RotatedAppRegistration$pulumi-nodejs:dynamic/keyrelay:VaultSecret::${app}-secret`;
    const webAppUrn = `${STACK}azure-native:web:WebApp::${app}-site`;
    return [
        { type: "keyrelay:index:RotatedAppRegistration", name: app, urn: appUrn, properties: {} },
        { type: "keyrelay:index:RotatingPassword", name: `${app}-password`, urn: rotatingUrn, parent: appUrn, properties: {} },
        { type: "azuread:index/application:Application", name: app, urn: applicationUrn, parent: appUrn, properties: { displayName: app, clientId: guid(i, 2), signInAudience: "AzureADMyOrg", tags: ["keyrelay"] } },
        { type: "azuread:index/servicePrincipal:ServicePrincipal", name: `${app}-sp`, urn: `${STACK}keyrelay:index:RotatedAppRegistration$azuread:index/servicePrincipal:ServicePrincipal::${app}-sp`, parent: appUrn, properties: { clientId: guid(i, 2) }, propertyDependencies: { clientId: [applicationUrn] } },
        ...passwords,
        {
            type: "pulumi-nodejs:dynamic/keyrelay:VaultSecret", name: `${app}-secret`, urn: secretUrn, parent: appUrn,
            properties: {
                vaultUrl: "https://kv-platform.vault.azure.net", name: `${app}-client-secret`, value: inService.properties.value,
                expiresOn: toRfc3339(plan.inService.endDate), notBefore: toRfc3339(plan.inService.startDate), contentType: "text/plain",
                tags: { app, "client-id": guid(i, 2), "key-id": inService.properties.keyId as string, "rotation-every": "P90D", "next-rotation": toRfc3339(plan.nextRotation) },
            },
            propertyDependencies: { value: [inService.urn], tags: [applicationUrn, inService.urn] },
        },
        {
            type: "azure-native:web:WebApp", name: `${app}-site`, urn: webAppUrn,
            properties: {
                resourceGroupName: "rg-apps", location: "westeurope", serverFarmId: "/subscriptions/x/resourceGroups/rg-apps/providers/Microsoft.Web/serverfarms/plan",
                httpsOnly: true, identity: { type: "SystemAssigned" }, tags: { team: "platform", app },
                siteConfig: {
                    alwaysOn: true, minTlsVersion: "1.2", linuxFxVersion: "NODE|20-lts",
                    appSettings: [
                        { name: "AZURE_CLIENT_ID", value: guid(i, 2) },
                        { name: "AZURE_TENANT_ID", value: "d3c0ffee-0000-4000-8000-000000000001" },
                        { name: "AZURE_CLIENT_SECRET", value: `@Microsoft.KeyVault(SecretUri=https://kv-platform.vault.azure.net/secrets/${app}-client-secret)` },
                        { name: "WEBSITE_RUN_FROM_PACKAGE", value: "1" },
                        { name: "NODE_ENV", value: "production" },
                        { name: "LOG_LEVEL", value: "info" },
                        { name: "FEATURE_FLAGS", value: "a,b,c" },
                        { name: "APPINSIGHTS_CONNECTION_STRING", value: `InstrumentationKey=${guid(i, 3)};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/` },
                    ],
                },
            },
            propertyDependencies: { siteConfig: [secretUrn] },
        },
        {
            type: "azure-native:storage:StorageAccount", name: `st${i}`, urn: `${STACK}azure-native:storage:StorageAccount::st${i}`,
            properties: { resourceGroupName: "rg-apps", location: "westeurope", kind: "StorageV2", sku: { name: "Standard_LRS" }, minimumTlsVersion: "TLS1_2", allowBlobPublicAccess: false, tags: { team: "platform" } },
        },
        {
            type: "azure-native:keyvault:Secret", name: `${app}-conn`, urn: `${STACK}azure-native:keyvault:Secret::${app}-conn`,
            properties: {
                resourceGroupName: "rg-platform", vaultName: "kv-platform", secretName: `${app}-conn`,
                properties: { value: wireSecret(`Server=tcp:sql-${i}.database.windows.net;Database=app`), contentType: "text/plain", attributes: { enabled: true, expires: Math.floor(now.plus({ days: 200 }).toSeconds()) } },
            },
        },
    ];
}

export function benchmarkStack(resources: number, now: DateTime): WireResource[] {
    const stack: WireResource[] = [];
    for (let i = 0; stack.length < resources; i++) stack.push(...unit(i, now));
    return stack.slice(0, resources);
}

/** The same five policy names and kinds, doing nothing: the protocol's own cost. */
function writeNoOpPack(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-noop-pack-"));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    fs.writeFileSync(path.join(dir, "PulumiPolicy.yaml"), "runtime: nodejs\n");
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "noop-pack", version: "0.0.1" }));
    fs.writeFileSync(path.join(dir, "index.js"), `
const { PolicyPack } = require("@pulumi/policy");
const resource = (name) => ({ name, description: "no-op", enforcementLevel: "mandatory", validateResource: () => {} });
const stack = (name) => ({ name, description: "no-op", enforcementLevel: "mandatory", validateStack: () => {} });
new PolicyPack("noop", { policies: [resource("credential-expiry-near"), resource("credential-lifetime"),
    { ...resource("secret-id-not-value"), validateStack: () => {} }, resource("secret-value-hygiene"), stack("password-stored-in-keyvault")] });
`);
    return dir;
}

interface Timing { analyzeMs: number; stackMs: number; diagnostics: number }

async function analyzeAll(pack: RunningPack, requests: ReturnType<typeof analyzeRequest>[], stackRequest: ReturnType<typeof analyzeStackRequest>): Promise<Timing> {
    let found = 0;
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: ANALYZE_CONCURRENCY }, async () => {
        while (next < requests.length) {
            const request = requests[next++];
            found += diagnostics(await unary(pack.client, "analyze", request)).length;
        }
    }));
    const analyzed = process.hrtime.bigint();
    found += diagnostics(await unary(pack.client, "analyzeStack", stackRequest)).length;
    const done = process.hrtime.bigint();
    return { analyzeMs: Number(analyzed - started) / 1e6, stackMs: Number(done - analyzed) / 1e6, diagnostics: found };
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
    const resourceCount = Number(process.argv[2] ?? 10000);
    const rounds = Number(process.argv[3] ?? 3);
    const now = DateTime.utc();
    const stack = benchmarkStack(resourceCount, now);
    const requests = stack.map((r) => analyzeRequest({ ...r, properties: withoutComputed(r) }));
    const stackRequest = analyzeStackRequest(stack);
    const noOpDir = writeNoOpPack();
    const [keyrelay, noOp] = await Promise.all([startPolicyPack(path.join(ROOT, "policies")), startPolicyPack(noOpDir)]);
    try {
        for (const pack of [keyrelay, noOp]) await unary(pack.client, "configure", configureRequest({}));
        await analyzeAll(keyrelay, requests.slice(0, 500), analyzeStackRequest(stack.slice(0, 500)));
        await analyzeAll(noOp, requests.slice(0, 500), analyzeStackRequest(stack.slice(0, 500)));
        const results: { keyrelay: Timing; noOp: Timing }[] = [];
        for (let round = 0; round < rounds; round++) {
            // Alternate the order so neither pack always runs on a warmer machine.
            const first = round % 2 === 0;
            const a = await analyzeAll(first ? keyrelay : noOp, requests, stackRequest);
            const b = await analyzeAll(first ? noOp : keyrelay, requests, stackRequest);
            results.push(first ? { keyrelay: a, noOp: b } : { keyrelay: b, noOp: a });
        }
        const total = (t: Timing) => t.analyzeMs + t.stackMs;
        const keyrelayMs = median(results.map((r) => total(r.keyrelay)));
        const noOpMs = median(results.map((r) => total(r.noOp)));
        const summary = {
            resources: stack.length,
            rounds,
            analyzeConcurrency: ANALYZE_CONCURRENCY,
            keyrelay: { totalMs: Math.round(keyrelayMs), analyzeMs: Math.round(median(results.map((r) => r.keyrelay.analyzeMs))), analyzeStackMs: Math.round(median(results.map((r) => r.keyrelay.stackMs))), perResourceMs: +(keyrelayMs / stack.length).toFixed(3), diagnostics: results[0].keyrelay.diagnostics },
            noOp: { totalMs: Math.round(noOpMs), analyzeMs: Math.round(median(results.map((r) => r.noOp.analyzeMs))), analyzeStackMs: Math.round(median(results.map((r) => r.noOp.stackMs))), perResourceMs: +(noOpMs / stack.length).toFixed(3) },
            ratio: +(keyrelayMs / noOpMs).toFixed(2),
            goal: "ratio <= 1.5",
        };
        console.log(JSON.stringify(summary, null, 2));
        if (summary.keyrelay.diagnostics !== 0) throw new Error(`the benchmark stack should be compliant, but the pack reported ${summary.keyrelay.diagnostics} diagnostics`);
        // The policies did run: the same secret with a Secret ID for its value is caught.
        const secret = stack.find((r) => r.type.endsWith("VaultSecret"))!;
        const leaked = analyzeRequest({ ...secret, properties: { ...secret.properties, value: wireSecret(secret.properties.tags && (secret.properties.tags as Record<string, string>)["key-id"]) } });
        const caught = diagnostics(await unary(keyrelay.client, "analyze", leaked)).map((d) => d.policyName);
        if (caught.join() !== "secret-id-not-value") throw new Error(`liveness check: expected secret-id-not-value, got ${JSON.stringify(caught)}`);
    } finally {
        await Promise.all([keyrelay.stop(), noOp.stop()]);
        fs.rmSync(noOpDir, { recursive: true, force: true });
    }
}

/** Analyze sees inputs: drop the outputs providers compute (keyId, a password's value). */
function withoutComputed(resource: WireResource): Record<string, unknown> {
    if (!resource.type.endsWith("ApplicationPassword")) return resource.properties;
    const { keyId, value, ...inputs } = resource.properties;
    return inputs;
}

if (require.main === module) {
    main().catch((error) => { console.error(error); process.exit(1); });
}
