// docs/consumers.md: how long each consumer may keep a superseded secret, checked against the overlap
// keyrelay's schedule gives, and the application-code recipe type-checked against the installed SDKs.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { DateTime, Duration } from "luxon";
import { credentialOfPeriod, DAY_MS, DEFAULT_EVERY, LATE_RUN_ALLOWANCE_MS, MAX_VALID_FOR_MS, periodIndexAt, rotationSchedule } from "../components/schedule";

const ROOT = path.resolve(__dirname, "..");
const doc = fs.readFileSync(path.join(ROOT, "docs", "consumers.md"), "utf8");

/** How long each consumer may go on using a value after Key Vault moved to a new version (sources: docs/consumers.md's table). */
const STALENESS: Array<{ consumer: string; stated: string; maxStale: Duration; source: string }> = [
    // "the app automatically updates and begins using the latest version within 24 hours"
    { consumer: "App Service / Functions", stated: "**24 hours**", maxStale: Duration.fromObject({ hours: 24 }), source: "https://learn.microsoft.com/azure/app-service/app-service-key-vault-references#rotation" },
    // "The default rotation poll interval is two minutes."
    { consumer: "AKS, Secrets Store CSI driver", stated: "**2 minutes**", maxStale: Duration.fromObject({ minutes: 2 }), source: "https://learn.microsoft.com/azure/aks/csi-secrets-store-configuration-options" },
    // "retrieves the latest version within 30 minutes" and restarts revisions that use it in an environment variable
    { consumer: "Container Apps", stated: "**30 minutes**", maxStale: Duration.fromObject({ minutes: 30 }), source: "https://learn.microsoft.com/azure/container-apps/manage-secrets" },
    // REREAD_AFTER_MS in the recipe on the page itself
    { consumer: "Your own code", stated: "**1 hour**", maxStale: Duration.fromObject({ hours: 1 }), source: "this page" },
];

/** How long the credential Key Vault moves away from stays valid, for a run up to a day late. */
function guaranteedOverlapMs(every?: string): number {
    const schedule = rotationSchedule("billing-api", every ? { every } : {});
    const now = DateTime.fromISO("2027-03-01T03:00:00Z", { zone: "utc" });
    const replaced = credentialOfPeriod(schedule, periodIndexAt(schedule, now) - 1, false);
    return replaced.endDate.toMillis() - replaced.servesUntil.toMillis() - LATE_RUN_ALLOWANCE_MS;
}

describe("docs/consumers.md", () => {
    it("states the overlap the default schedule and every accepted schedule give", () => {
        const defaultOverlap = guaranteedOverlapMs();
        assert.equal(DEFAULT_EVERY, "P89D");
        assert.equal(defaultOverlap, 89 * DAY_MS, "at least one full period, a run a day late included");
        assert.match(doc, /\*\*at least 89 days\*\*/);
        assert.match(doc, new RegExp(`that is ${guaranteedOverlapMs() / DAY_MS + 1} days`));
        let smallest = Infinity;
        for (let days = 1; days <= 182; days++) {
            const validFor = rotationSchedule("billing-api", { every: `P${days}D` }).validForMs;
            if (validFor > MAX_VALID_FOR_MS) continue;
            smallest = Math.min(smallest, guaranteedOverlapMs(`P${days}D`));
        }
        assert.equal(smallest, 14 * DAY_MS);
        assert.match(doc, /at least \*\*14 days\*\*/);
    });

    it("names each consumer with how long it may keep a superseded value, every one inside the overlap", () => {
        const table = doc.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| consumer") && !l.startsWith("|---"));
        assert.equal(table.length, STALENESS.length, "one row per consumer");
        const smallestOverlap = 14 * DAY_MS;
        for (const { consumer, stated, maxStale, source } of STALENESS) {
            const row = table.find((l) => l.startsWith(`| ${consumer}`));
            assert.ok(row, `no row for ${consumer}`);
            assert.ok(row.includes(stated), `${consumer}: the page says ${row}, the test ${stated}`);
            if (source !== "this page") assert.ok(row.includes(source), `${consumer}: cites ${source}`);
            assert.ok(maxStale.toMillis() < smallestOverlap, `${consumer} may keep an old value for ${maxStale.toHuman()}, longer than the overlap`);
            assert.ok(maxStale.toMillis() < guaranteedOverlapMs() / 10, `${consumer}: at least ten times inside the default overlap`);
        }
        const recipe = doc.match(/const REREAD_AFTER_MS = ([\d *]+);/)!;
        assert.equal(recipe[1].split("*").reduce((product, factor) => product * Number(factor), 1), STALENESS[3].maxStale.toMillis(), "the recipe re-reads as often as the table says");
    });

    it("uses versionless references everywhere", () => {
        assert.doesNotMatch(doc, /secrets\/[\w-]+\/[0-9a-f]{32}/, "a versioned secret URI");
        assert.doesNotMatch(doc, /^\s*objectVersion:/m);
        assert.match(doc, /@Microsoft\.KeyVault\(SecretUri=/);
        assert.match(doc, /kind: SecretProviderClass/);
        assert.match(doc, /keyvaultref:https:\/\/kv-platform\.vault\.azure\.net\/secrets\/billing-api-client-secret,/);
    });

    it("the application-code recipe type-checks against the installed @azure/identity and @azure/keyvault-secrets", function () {
        this.timeout(120_000);
        const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
        const recipe = blocks.find((b) => b.includes("AADSTS(7000215|7000222)"));
        assert.ok(recipe, "the recipe block");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-consumer-"));
        const file = path.join(dir, "consumer.ts");
        fs.writeFileSync(file, recipe);
        try {
            const program = ts.createProgram([file], {
                strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS,
                moduleResolution: ts.ModuleResolutionKind.Node10, esModuleInterop: true, skipLibCheck: true, types: ["node"],
                typeRoots: [path.join(ROOT, "node_modules", "@types")], baseUrl: ROOT, paths: { "*": [path.join(ROOT, "node_modules", "*")] },
            });
            const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
            assert.deepEqual(problems, []);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
