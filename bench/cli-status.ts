// keyrelay status over a vault of 10,000 keyrelay secrets (400 pages of 25) on the local HTTPS vault.
// Run: npx ts-node --transpile-only bench/cli-status.ts [secrets]
import { DateTime } from "luxon";
import { collectStatus } from "../cli/status/report";
import { startLocalVault } from "../test/vault/localVault";
import { startTokenServer } from "../test/vault/tokenServer";
import { trustedTls } from "../test/vault/tls";
import { signInOperator } from "../test/cli/fixtures";

async function main() {
    const count = Number(process.argv[2] ?? 10_000);
    const tokenServer = await startTokenServer();
    const { restore } = signInOperator(tokenServer);
    const vault = await startLocalVault({ tokenServer });
    const nowS = Math.floor(DateTime.utc().toSeconds());
    for (let i = 0; i < count; i++) {
        vault.writeOutOfBand(`app-${i}-client-secret`, `v${i}~bench-value`, {
            exp: nowS + (20 + (i % 160)) * 86_400,
            tags: { "managed-by": "keyrelay", app: `app-${i}`, "client-id": `cid-${i}`, "rotation-every": "P90D", "next-rotation": DateTime.utc().plus({ days: (i % 90) - 5 }).toISO()! },
        });
    }
    const before = vault.requests.length;
    const started = process.hrtime.bigint();
    const report = await collectStatus({ vault: vault.url, authorityHost: tokenServer.authorityHost }, {
        stdout: () => undefined, stderr: () => undefined, isTTY: false, env: {}, tlsCa: (await trustedTls()).ca,
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const requests = vault.requests.slice(before);
    const listRequests = requests.filter((r) => r.method === "GET" && r.path.startsWith("/secrets") && r.status === 200).length;
    console.log(JSON.stringify({
        secrets: report.secrets.length, pages: report.pages, wallMs: Math.round(ms),
        vaultRequests: requests.length, listPagesServed: listRequests, challenges: requests.filter((r) => r.status === 401).length,
        tokenRequests: tokenServer.tokenRequests.length, counts: report.counts,
    }));
    restore();
    await vault.close();
    await tokenServer.close();
}

main().catch((error) => { console.error(error); process.exitCode = 1; });
