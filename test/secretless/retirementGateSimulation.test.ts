// The evidence gate over the simulated engine, asking a local Microsoft Graph (HTTPS, real token
// server, @azure/identity) for the app's passwords and the beta sign-in logs. Daily runs for 75 days:
// - a consumer that cached the first secret keeps its credential alive to the credential's own end,
//   never cut off early, while the credentials a Key Vault follower left behind retire a window later;
// - a 403 (no Entra ID P1/P2) and a Graph that never answers keep every credential (fail closed).
import { strict as assert } from "assert";
import * as net from "net";
import { DateTime } from "luxon";
import type { RetirementDecision } from "../../components/retirementGate";
import { signInOperator } from "../cli/fixtures";
import { TokenServer, startTokenServer } from "../vault/tokenServer";
import { trustedTls } from "../vault/tls";
import { GATE_SECRET as SECRET, GATE_START as START, GATE_VAULT as VAULT, GateBed, GateBedOptions, startGateBed } from "./gateBed";

const DAYS = 75;

interface Bed extends GateBed { decisions: { at: DateTime; decisions: RetirementDecision[] }[] }

describe("the evidence gate over the simulated engine and a local Graph", function () {
    this.timeout(300_000);
    let tokenServer: TokenServer;
    let restoreOperator: () => void;
    let ca: string;
    const closers: (() => Promise<void>)[] = [];

    before(async () => {
        ca = (await trustedTls()).ca;
        tokenServer = await startTokenServer();
        restoreOperator = signInOperator(tokenServer).restore;
    });
    afterEach(async () => {
        for (const close of closers.splice(0)) await close();
    });
    after(async () => {
        restoreOperator();
        await tokenServer.close();
    });

    /** The shared bed (gateBed.ts), with the gate's decisions of each run. */
    async function bed(options: GateBedOptions = {}): Promise<Bed> {
        const started = await startGateBed(tokenServer, ca, options);
        closers.push(() => started.close());
        return Object.assign(started, { decisions: [] as Bed["decisions"] });
    }

    async function runDaily(b: Bed, consumers: (day: number, now: DateTime, inService: string) => void): Promise<void> {
        for (let day = 0; day < DAYS; day++) {
            const now = START.plus({ days: day });
            const report = await b.engine.run(now);
            assert.deepEqual(report.errors.map((e) => e.message), [], `day ${day}`);
            b.decisions.push({ at: now, decisions: (report.stackOutputs.retirement as RetirementDecision[]) ?? [] });
            consumers(day, now, b.engine.latestVersion(VAULT, SECRET)!.tags["key-id"]);
        }
    }

    /** When each key id left Key Vault: the write of the version after it. */
    function leftVault(b: Bed): Map<string, DateTime> {
        const versions = b.engine.vault.get(`${VAULT}/secrets/${SECRET}`.toLowerCase()) ?? [...b.engine.vault.values()][0];
        return new Map(versions.slice(0, -1).map((v, i) => [v.tags["key-id"], versions[i + 1].writtenAt]));
    }

    it("keeps a cached consumer's credential to its own end, and retires the follower's old ones a window after they left Key Vault", async () => {
        const b = await bed();
        let cached: string | undefined;
        await runDaily(b, (day, now, inService) => {
            cached ??= inService;
            b.signIn(cached, now.plus({ hours: 3 }), "203.0.113.9");           // cached on day 0, never re-read
            b.signIn(inService, now.plus({ hours: 4 }), "198.51.100.20");      // reads the newest version daily
        });
        const cachedCredential = b.engine.directory.get(cached!)!;
        const end = DateTime.fromISO(cachedCredential.endDate, { zone: "utc" });
        assert.ok(cachedCredential.deletedAt, "the cached credential goes once it has ended");
        assert.ok(cachedCredential.deletedAt! >= end, `never cut off early: deleted ${cachedCredential.deletedAt!.toISO()}, ends ${end.toISO()}`);
        assert.ok(cachedCredential.deletedAt! < end.plus({ days: 1 }), "and gone on the first run after its end");
        const inUse = b.decisions.flatMap((d) => d.decisions).filter((d) => d.answer === "in-use");
        assert.ok(inUse.length >= 20, `the gate found it in use on ${inUse.length} runs`);
        assert.ok(inUse.every((d) => d.keep && d.keyIds.includes(cached!) && d.consumer === "203.0.113.9 for Azure Storage"));

        const left = leftVault(b);
        const retiredEarly = [...b.engine.directory.values()].filter((c) => c.keyId !== cached && c.deletedAt && left.has(c.keyId));
        assert.ok(retiredEarly.length >= 1, "the follower's old credentials retired");
        for (const c of retiredEarly) {
            assert.ok(c.deletedAt! >= left.get(c.keyId)!.plus({ days: 7 }), `${c.keyId}: not before a whole window out of Key Vault`);
            assert.ok(c.deletedAt! < left.get(c.keyId)!.plus({ days: 8 }), `${c.keyId}: on the first run after that window`);
            assert.ok(c.deletedAt! < DateTime.fromISO(c.endDate, { zone: "utc" }), `${c.keyId}: before its own end`);
        }
        const followerSignInsAfterRetirement = b.signIns.filter((s) => retiredEarly.some((c) => c.keyId === s.servicePrincipalCredentialKeyId
            && DateTime.fromISO(s.createdDateTime) >= c.deletedAt!));
        assert.deepEqual(followerSignInsAfterRetirement, [], "no consumer signed in with a credential after it retired");
    });

    for (const failure of ["403: no Entra ID P1/P2", "a Graph that never answers"] as const) {
        it(`fails closed on ${failure}: every credential stays to its own end`, async () => {
            const hang = failure === "a Graph that never answers" ? await silentServer() : undefined;
            const b = await bed(hang ? { graphUrl: hang.url, timeoutMs: 150 } : { premium: false });
            const started = Date.now();
            await runDaily(b, (_day, now, inService) => b.signIn(inService, now.plus({ hours: 4 }), "198.51.100.20"));
            for (const c of b.engine.directory.values()) {
                if (c.deletedAt) assert.ok(c.deletedAt >= DateTime.fromISO(c.endDate, { zone: "utc" }), `${c.keyId} deleted before its end`);
            }
            // "gone": on the first deploy the app's read answers that the retiring slot never had a password.
            const asked = b.decisions.flatMap((d) => d.decisions).filter((d) => d.answer !== "gone");
            assert.ok(asked.length >= 20 && asked.every((d) => d.keep && d.answer === "unknown"), "kept for want of evidence");
            assert.match(asked[0].message, hang ? /did not answer/ : /403/);
            if (hang) assert.ok(Date.now() - started < 60_000, "every wait is bounded");
        });
    }

    /** A TCP listener on loopback that accepts and never answers. */
    async function silentServer(): Promise<{ url: string }> {
        const sockets: net.Socket[] = [];
        const server = net.createServer((s) => { sockets.push(s); });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        closers.push(() => new Promise((resolve) => { sockets.forEach((s) => s.destroy()); server.close(() => resolve()); }));
        return { url: `https://127.0.0.1:${(server.address() as net.AddressInfo).port}` };
    }
});
