// An undeclared schedule change is refused at preview (issue 15 §7). The RotatedAppRegistration
// records its schedule in its VaultSecret's inputs; the engine hands the provider's check() the
// inputs of the last run (olds) and of this one (news) before it generates any step. Here the olds
// and news are the inputs two real runs of a program declared, under the simulated engine.
import { strict as assert } from "assert";
import { DateTime, Settings } from "luxon";
import { RotatedAppRegistration, RotatedAppRegistrationArgs } from "../components";
import { SimulatedEngine, SimulatedEngineOptions } from "../simulation/engine";
import { createVaultSecretProvider } from "../components/provider/vaultSecretProvider";
import { parseScheduleRecord, scheduleRecordText, undeclaredScheduleChange } from "../components/provider/scheduleRecord";
import { vaultSecretChange } from "../components/provider/vaultSecretDiff";

const VAULT = "https://kv-platform.vault.azure.net";
const FIRST_RUN = DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" });
const SECOND_RUN = DateTime.fromISO("2027-01-10T02:00:00Z", { zone: "utc" });
const VAULT_SECRET = "pulumi-nodejs:dynamic/keyrelay:VaultSecret";
const base: RotatedAppRegistrationArgs = { displayName: "billing-api", vault: { url: VAULT, secretName: "billing-api-client-secret" } };

/** The VaultSecret inputs a program with these rotation settings declares at `at`. */
async function declaredInputs(rotation: RotatedAppRegistrationArgs["rotation"], at: DateTime): Promise<Record<string, any>> {
    Settings.now = () => at.toMillis();
    const options: SimulatedEngineOptions = { program: () => new RotatedAppRegistration("billing-api", { ...base, rotation }) };
    const report = await new SimulatedEngine(options).run(at);
    assert.deepEqual(report.errors, []);
    return report.created.find((r) => r.type === VAULT_SECRET)!.inputs;
}

describe("an undeclared schedule change is refused at preview", () => {
    const provider = createVaultSecretProvider();
    afterEach(() => {
        Settings.now = () => Date.now();
    });

    it("the record is short and reads back", () => {
        const text = scheduleRecordText({ everyMs: 60 * 86_400_000, validForMs: 121 * 86_400_000, since: "2027-01-11", previous: { everyMs: 90 * 86_400_000, validForMs: 181 * 86_400_000 } });
        assert.equal(text, "P60D/P121D@2027-01-11<P90D/P181D");
        assert.deepEqual(parseScheduleRecord(text)?.previous, { everyMs: 90 * 86_400_000, validForMs: 181 * 86_400_000 });
        assert.equal(parseScheduleRecord("P60D/P121D<x"), undefined);
        assert.equal(undeclaredScheduleChange("garbage", text, SECOND_RUN), undefined, "an unreadable record is no evidence");
    });

    it("a moved rotation day (a rename, no rotationKey) fails on schedule and names rotationKey; the old name as rotationKey passes; a record without a day is no evidence", async () => {
        const inputsOf = async (name: string, args: Partial<RotatedAppRegistrationArgs>, at: DateTime) => {
            Settings.now = () => at.toMillis();
            // Its own secret name: check() remembers each secret's writer for the whole process (vaultSecretCheck.ts).
            const report = await new SimulatedEngine({ program: () => new RotatedAppRegistration(name, { ...base, vault: { url: VAULT, secretName: "rotation-day-test" }, ...args }) }).run(at);
            assert.deepEqual(report.errors, []);
            return report.created.find((r) => r.type === VAULT_SECRET)!.inputs;
        };
        const olds = await inputsOf("billing-api", {}, FIRST_RUN);
        const renamed = await inputsOf("billing", {}, SECOND_RUN);
        assert.notEqual(parseScheduleRecord(renamed.schedule)!.phaseDays, parseScheduleRecord(olds.schedule)!.phaseDays, "these two names give two rotation days");
        const { failures } = await provider.check(olds, renamed as never);
        assert.deepEqual(failures.map((f) => f.property), ["schedule"]);
        assert.match(failures[0].reason, /moved its rotation day: periods of P89D started \d+ days into the cycle, now \d+ \(the app's name or rotationKey changed\).*Set rotationKey to the name the rotation day came from/s);
        const keyed = await inputsOf("billing", { rotationKey: "billing-api" }, SECOND_RUN);
        assert.deepEqual((await provider.check(olds, keyed as never)).failures, []);
        const olderRecord = { ...olds, schedule: olds.schedule.replace(/\+\d+D$/, "") };
        assert.deepEqual((await provider.check(olderRecord, renamed as never)).failures, [], "state from before the day was recorded");
    });

    it("every changed without since/previous: check() fails on schedule and prints the block to paste, with tomorrow's date", async () => {
        const olds = await declaredInputs({ every: "P90D" }, FIRST_RUN);
        assert.match(olds.schedule, /^P90D\/P181D\+\d+D$/, "the program records every, the validFor in force and the rotation day");
        const news = await declaredInputs({ every: "P60D" }, SECOND_RUN);
        const { failures } = await provider.check(olds, news as never);
        assert.deepEqual(failures.map((f) => f.property), ["schedule"]);
        const reason = failures[0].reason;
        assert.ok(reason.includes('VaultSecret for secret "billing-api-client-secret"'), reason);
        assert.ok(reason.includes("changed from every P90D, validFor P181D to every P60D, validFor P121D without rotation.since and rotation.previous"), reason);
        assert.ok(reason.includes('rotation: { every: "P60D", validFor: "P121D", since: "2027-01-11", previous: { every: "P90D", validFor: "P181D" } }'), reason);
    });

    it("validFor changed alone is refused too", async () => {
        const olds = await declaredInputs({ every: "P90D" }, FIRST_RUN);
        const news = await declaredInputs({ every: "P90D", validFor: "P200D" }, SECOND_RUN);
        assert.deepEqual((await provider.check(olds, news as never)).failures.map((f) => f.property), ["schedule"]);
    });

    it("the pasted block passes: the change is declared, since tomorrow, previous the schedule in force", async () => {
        const olds = await declaredInputs({ every: "P90D" }, FIRST_RUN);
        const news = await declaredInputs({ every: "P60D", validFor: "P121D", since: "2027-01-11", previous: { every: "P90D", validFor: "P181D" } }, SECOND_RUN);
        assert.deepEqual((await provider.check(olds, news as never)).failures, []);
        // The next run keeps it: the schedule in force is the declared one.
        const later = await declaredInputs({ every: "P60D", validFor: "P121D", since: "2027-01-11", previous: { every: "P90D", validFor: "P181D" } }, SECOND_RUN.plus({ days: 30 }));
        assert.deepEqual((await provider.check(news, later as never)).failures, []);
    });

    it("a previous that is not the schedule in force is refused (it would not keep the credentials in service)", async () => {
        const olds = await declaredInputs({ every: "P90D" }, FIRST_RUN);
        const news = await declaredInputs({ every: "P60D", since: "2027-01-11", previous: { every: "P30D" } }, SECOND_RUN);
        assert.deepEqual((await provider.check(olds, news as never)).failures.map((f) => f.property), ["schedule"]);
    });

    it("a first deploy (no olds), state from a release without a record, and an unchanged schedule pass", async () => {
        const news = await declaredInputs({ every: "P60D" }, SECOND_RUN);
        assert.deepEqual((await provider.check({}, news as never)).failures, []);
        const { schedule: _schedule, ...before } = await declaredInputs({ every: "P90D" }, FIRST_RUN);
        assert.deepEqual((await provider.check(before, news as never)).failures, []);
        const same = await declaredInputs({ every: "P60D" }, SECOND_RUN.plus({ days: 3 }));
        assert.deepEqual((await provider.check(news, same as never)).failures, []);
    });

    it("diff: a recorded schedule change alone is an update that writes no version", async () => {
        const olds = await declaredInputs({ every: "P60D" }, SECOND_RUN);
        const news = { ...olds, schedule: "P60D/P121D@2027-01-11<P90D/P181D" };
        const change = vaultSecretChange(olds, news);
        assert.deepEqual(change.changed, ["schedule"]);
        assert.deepEqual(change.replaces, []);
        assert.equal(change.writesVersion, false);
        const diff = await provider.diff("id", olds as never, news as never);
        assert.equal(diff.changes, true);
        assert.deepEqual(diff.replaces, []);
    });
});
