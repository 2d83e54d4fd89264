// One call to get the local Graph stand-in holding a test tenant, a local vault holding the
// tenant's secrets, the token server both trust, and a runner for `keyrelay audit` against them.
import { DateTime } from "luxon";
import { runCli } from "../../cli/main";
import { capturedContext, signInOperator } from "../cli/fixtures";
import { LocalVault, startLocalVault } from "../vault/localVault";
import { TokenServer, startTokenServer } from "../vault/tokenServer";
import { LocalGraph, LocalGraphOptions, startLocalGraph } from "./localGraph";
import { TenantFixture } from "./tenants";

export interface AuditBed {
    tokenServer: TokenServer;
    graph: LocalGraph;
    vault: LocalVault;
    fixture: TenantFixture;
    operatorObjectId: string;
    run(args: string[], env?: NodeJS.ProcessEnv, overrides?: object): Promise<{ code: number; out: string; err: string }>;
    close(): Promise<void>;
}

export async function startAuditBed(build: (now: DateTime) => TenantFixture, graphOptions: Pick<LocalGraphOptions, "b2c" | "signInLogs"> = {}): Promise<AuditBed> {
    const tokenServer = await startTokenServer();
    const { objectId, restore } = signInOperator(tokenServer);
    const fixture = build(DateTime.utc());
    const graph = await startLocalGraph({ tokenServer, tenant: fixture.tenant, ...graphOptions });
    const vault = await startLocalVault({ tokenServer });
    for (const s of fixture.secrets) vault.writeOutOfBand(s.name, s.value, { ...(s.exp !== undefined ? { exp: s.exp } : {}), ...(s.tags ? { tags: s.tags } : {}) });
    return {
        tokenServer, graph, vault, fixture, operatorObjectId: objectId,
        async run(args, env = {}, overrides = {}) {
            const context = await capturedContext({ env, ...overrides });
            const code = await runCli(["audit", "--graph-url", graph.url, "--authority-host", tokenServer.authorityHost, ...args], context);
            return { code, out: context.out.join(""), err: context.err.join("") };
        },
        async close() {
            restore();
            await graph.close();
            await vault.close();
            await tokenServer.close();
        },
    };
}

