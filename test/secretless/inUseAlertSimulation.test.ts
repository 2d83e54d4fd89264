// The in-use alert (issue 18 §2) over the simulated engine, the evidence gate reading a local Graph over
// HTTPS with a real token server, 75 daily runs: a consumer that cached the first secret keeps signing in
// with it, so the gate keeps it to its end; meanwhile `<secretName>-in-use` exists in the vault with the
// kept credential's end as its expiry (Key Vault's SecretNearExpiry / SecretExpired are the alert), is
// written once (SecretNewVersionCreated), not once a day, and is gone once the credential has ended.
import { strict as assert } from "assert";
import { DateTime } from "luxon";
import type { RetirementDecision } from "../../components/retirementGate";
import { parseInUseNote } from "../../policies/lib/inUseAlert";
import { TYPES } from "../../simulation/engine";
import { signInOperator } from "../cli/fixtures";
import { TokenServer, startTokenServer } from "../vault/tokenServer";
import { trustedTls } from "../vault/tls";
import { GATE_SECRET as SECRET, GATE_START as START, GATE_VAULT as VAULT, GateBed, startGateBed } from "./gateBed";

const ALERT = `${SECRET}-in-use`;
const DAYS = 75;

interface Day { at: DateTime; decisions: RetirementDecision[]; alertExists: boolean; alertWrites: number; alertDeclared: boolean }

describe("the in-use alert over the simulated engine and a local Graph", function () {
    this.timeout(300_000);
    let tokenServer: TokenServer;
    let bed: GateBed | undefined;
    let restoreOperator: () => void;
    let ca: string;

    before(async () => {
        ca = (await trustedTls()).ca;
        tokenServer = await startTokenServer();
        restoreOperator = signInOperator(tokenServer).restore;
    });
    after(async () => {
        await bed?.close();
        restoreOperator();
        await tokenServer.close();
    });

    it("writes <secretName>-in-use while a cached consumer keeps a retiring credential alive, expiring with it, and deletes it once the credential has ended", async () => {
        bed = await startGateBed(tokenServer, ca);
        const { engine, signIn } = bed;

        const days: Day[] = [];
        let cached: string | undefined;
        for (let day = 0; day < DAYS; day++) {
            const now = START.plus({ days: day });
            const report = await engine.run(now);
            assert.deepEqual(report.errors.map((e) => e.message), [], `day ${day}`);
            days.push({
                at: now,
                decisions: (report.stackOutputs.retirement as RetirementDecision[]) ?? [],
                alertExists: engine.secretExists(VAULT, ALERT),
                alertWrites: report.vaultWrites.filter((w) => w.name === ALERT).length,
                alertDeclared: engine.resources().some((r) => r.type === TYPES.vaultSecret && r.inputs.name === ALERT),
            });
            const inService = engine.latestVersion(VAULT, SECRET)!.tags["key-id"];
            cached ??= inService;
            signIn(cached, now.plus({ hours: 3 }), "203.0.113.9");        // cached on day 0, never re-read
            signIn(inService, now.plus({ hours: 4 }), "198.51.100.20");   // reads the newest version daily
        }

        const credential = engine.directory.get(cached!)!;
        const end = DateTime.fromISO(credential.endDate, { zone: "utc" });
        assert.ok(credential.deletedAt && credential.deletedAt >= end && credential.deletedAt < end.plus({ days: 1 }),
            "the cached credential stays declared to its own end, and goes on the first run after it");

        const inUseDays = days.filter((d) => d.decisions.some((x) => x.answer === "in-use"));
        assert.ok(inUseDays.length >= 20, `the gate found the credential in use on ${inUseDays.length} runs`);
        for (const d of days) {
            const inUse = d.decisions.some((x) => x.keep && x.answer === "in-use");
            assert.equal(d.alertDeclared, inUse, `${d.at.toISODate()}: the alert is declared exactly while a credential is kept in use`);
            assert.equal(d.alertExists, inUse, `${d.at.toISODate()}: the alert is in the vault exactly while a credential is kept in use`);
        }

        const versions = engine.vault.get(`${VAULT}/secrets/${ALERT}`.toLowerCase()) ?? [];
        assert.equal(versions.length, 1, "one version for the whole time: the daily sign-ins do not rewrite the note");
        assert.equal(days.find((d) => d.alertWrites > 0)!.at.toMillis(), inUseDays[0].at.toMillis(), "written on the run that first found it in use");
        const [version] = versions;
        assert.equal(Date.parse(version.expiresOn), end.toMillis(), "the alert expires when the kept credential ends");
        assert.equal(version.tags["keyrelay-alert"], "retiring-in-use");
        assert.equal(version.tags["key-id"], cached);
        assert.equal(version.tags.app, "billing-api");
        const note = parseInUseNote(version.value);
        assert.ok(note, "the value is the note");
        assert.deepEqual(note!.keyIds, [cached]);
        assert.equal(note!.consumer, "203.0.113.9 for Azure Storage");
        assert.equal(Date.parse(note!.endDate), end.toMillis());
        for (const c of engine.directory.values()) assert.ok(!version.value.includes(c.value), "no credential's value is in the note");

        const after = days.filter((d) => d.at > end);
        assert.ok(after.length > 0 && after.every((d) => !d.alertExists && !d.alertDeclared), "gone once the credential has ended");
        assert.ok(engine.deletedSecrets.has(`${VAULT}/secrets/${ALERT}`.toLowerCase()));
        assert.ok(engine.secretExists(VAULT, SECRET), "the client secret itself stays");
    });
});
