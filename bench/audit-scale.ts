// keyrelay audit at scale: 10,000 applications with 3 passwords each (and their 10,000 service
// principals), 1,000 Key Vault secrets tied to apps, against the local Graph stand-in, vault and
// token server over HTTPS. Reports requests made against the floor the data needs, and wall time.
// Run: npx ts-node --transpile-only bench/audit-scale.ts [apps] [secrets]
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DateTime } from "luxon";
import { runCli } from "../cli/main";
import { GRAPH_MAX_PAGE_SIZE } from "../cli/audit/graphReader";
import { StandInDirectoryObject, startLocalGraph } from "../test/graph/localGraph";
import { startLocalVault } from "../test/vault/localVault";
import { startTokenServer } from "../test/vault/tokenServer";
import { trustedTls } from "../test/vault/tls";
import { signInOperator } from "../test/cli/fixtures";

/** Key Vault's documented limit for secret GETs: 4,000 transactions per 10 s per vault (Key Vault service limits). */
const KEY_VAULT_LIMIT = { requests: 4000, windowMs: 10_000 };
const VAULT_PAGE = 25;

async function main() {
    const appCount = Number(process.argv[2] ?? 10_000);
    const secretCount = Number(process.argv[3] ?? 1_000);
    const ownerless = Math.floor(appCount / 100);
    const now = DateTime.utc();
    const iso = (days: number) => now.plus({ days }).toISO({ suppressMilliseconds: true })!;
    const value = () => crypto.randomBytes(30).toString("base64url").slice(0, 40);
    const applications: StandInDirectoryObject[] = Array.from({ length: appCount }, (_, i) => ({
        id: crypto.randomUUID(), appId: crypto.randomUUID(), displayName: `app-${i}`, signInAudience: "AzureADMyOrg", createdDateTime: iso(-500),
        passwordCredentials: [0, 1, 2].map((k) => ({
            keyId: crypto.randomUUID(), displayName: `app-${i} secret ${k}`, secretValue: value(),
            startDateTime: iso(-150 + k * 60 - (i % 30)), endDateTime: iso(-150 + k * 60 - (i % 30) + 180),
        })),
        keyCredentials: [],
        owners: i < ownerless ? [] : [{ id: crypto.randomUUID(), displayName: `Owner of app-${i}`, userPrincipalName: `owner${i}@contoso.example` }],
    }));
    const servicePrincipals = applications.map((a) => ({ ...a, id: crypto.randomUUID(), passwordCredentials: [], keyCredentials: [], owners: [] }));

    const tokenServer = await startTokenServer();
    const { restore } = signInOperator(tokenServer);
    const graph = await startLocalGraph({
        tokenServer,
        tenant: {
            applications, servicePrincipals,
            defaultAppManagementPolicy: {
                id: "00000000-0000-0000-0000-000000000000", displayName: "Default app management tenant policy", description: "", isEnabled: true,
                applicationRestrictions: { passwordCredentials: [{ restrictionType: "passwordLifetime", maxLifetime: "P200D", restrictForAppsCreatedAfterDateTime: "2019-01-01T00:00:00Z", state: "enabled" }], keyCredentials: [] },
                servicePrincipalRestrictions: { passwordCredentials: [], keyCredentials: [] },
            },
            appManagementPolicies: [{ id: crypto.randomUUID(), displayName: "exception", description: "", isEnabled: true, restrictions: { passwordCredentials: [], keyCredentials: [] }, appliesTo: [applications[0].id] }],
        },
    });
    const vault = await startLocalVault({ tokenServer, rateLimit: KEY_VAULT_LIMIT });
    for (let i = 0; i < secretCount; i++) {
        const a = applications[i * Math.floor(appCount / secretCount)];
        const newest = a.passwordCredentials[2];
        vault.writeOutOfBand(`app-${i}-secret`, newest.secretValue, { exp: Math.floor(DateTime.fromISO(newest.endDateTime).toSeconds()), tags: { "client-id": a.appId } });
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-audit-bench-"));
    const out: string[] = [];
    const context = { stdout: (s: string) => void out.push(s), stderr: () => undefined, isTTY: false, env: {}, tlsCa: (await trustedTls()).ca };
    const tokensBefore = tokenServer.tokenRequests.length;
    const started = process.hrtime.bigint();
    const code = await runCli(["audit", "--graph-url", graph.url, "--authority-host", tokenServer.authorityHost, "--vault", vault.url, "--json", "--html", path.join(dir, "audit.html"), "--timeout", "120s"], context);
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const report = JSON.parse(out.join(""));

    const pages = (n: number) => Math.max(1, Math.ceil(n / GRAPH_MAX_PAGE_SIZE));
    const graphFloor = pages(appCount) /* applications */ + pages(ownerless) /* without owners */ + pages(appCount) /* service principals */
        + 1 /* default policy */ + 1 /* appManagementPolicies */ + 1 /* appliesTo of its one policy */;
    const vaultRequests = vault.requests;
    const vaultFloor = Math.ceil(secretCount / VAULT_PAGE) + secretCount;
    console.log(JSON.stringify({
        apps: appCount, passwords: appCount * 3, vaultSecrets: secretCount, exitCode: code, wallMs: Math.round(wallMs),
        credentials: report.summary.credentials, secretsChecked: report.secrets.length, findings: report.summary.byCode,
        graph: { requests: graph.requests.length, floor: graphFloor, pages: report.requests.graphPages, throttled: report.requests.graphThrottled },
        vault: {
            requests: vaultRequests.length, floor: vaultFloor, challenges: vaultRequests.filter((r) => r.status === 401).length,
            throttled: vaultRequests.filter((r) => r.status === 429).length, listPages: report.requests.vaults[0].listPages, reads: report.requests.vaults[0].reads,
        },
        tokenRequests: tokenServer.tokenRequests.length - tokensBefore,
        htmlBytes: fs.statSync(path.join(dir, "audit.html")).size,
        jsonBytes: out.join("").length,
    }));
    fs.rmSync(dir, { recursive: true, force: true });
    restore();
    await graph.close();
    await vault.close();
    await tokenServer.close();
}

main().catch((error) => { console.error(error); process.exitCode = 1; });
