// Time travel: the reference program run by the engine-playing harness over simulated years,
// with the schedule's invariants checked after every run.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCli } from "../cli/main";
import * as fc from "fast-check";
import { DateTime } from "luxon";
import { DAY_MS, MAX_VALID_FOR_MS, PERIOD_START_MARKER, nextRotation, periodIndexAt, periodStart, rotationSchedule, RotationSchedule, RotationSettings, toRfc3339, transitionEnd } from "../components/schedule";
import { RotatedAppRegistration } from "../components";
import { checkSinceChange } from "../components/sinceChange";
import { referenceApps } from "../examples/reference-stack/stackConfig";
import { declareReferenceStack } from "../examples/reference-stack/referenceStack";
import { RunReport, SimulatedEngine, SimulatedResource, TYPES, stackConfigFromFile } from "../simulation/engine";

const ROOT = path.resolve(__dirname, "..");
const EXAMPLE_CONFIG = stackConfigFromFile(path.join(ROOT, "examples", "reference-stack", "Pulumi.example.yaml"));
const START = DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" });
/** The example stack plus an app on the default schedule (every P89D, validFor 179 days). */
const DAILY_CONFIG = { ...EXAMPLE_CONFIG, "keyrelay:apps": [...(EXAMPLE_CONFIG["keyrelay:apps"] as unknown[]), { name: "ledger-api" }] };

interface App {
    name: string;
    vaultUrl: string;
    secretName: string;
    schedule: RotationSchedule;
}

function appsOf(config: Record<string, unknown>): App[] {
    return referenceApps(config["keyrelay:apps"], config["keyrelay:vaultUrl"] as string).map((app) => ({
        name: app.name, vaultUrl: app.vault.url, secretName: app.vault.secretName, schedule: rotationSchedule(app.name, app.rotation),
    }));
}

const belongsTo = (app: App) => (r: SimulatedResource) => r.name === app.name || r.name.startsWith(`${app.name}-`);

/** Follows a simulation run by run and checks invariants 1 to 6; `onTime` when runs are daily. */
class InvariantChecker {
    private previousAt?: DateTime;
    /** keyId -> when Key Vault stopped pointing at it. */
    private readonly retiredAt = new Map<string, DateTime>();
    /** Per app and period index: creates, deletes and Key Vault writes seen. */
    readonly churn = new Map<string, { creates: number; deletes: number; writes: number; otherChanges: number }>();
    /** Key Vault writes, each checked to follow a proof of its credential. */
    proofs = 0;

    constructor(private readonly engine: SimulatedEngine, private readonly apps: App[], private readonly onTime: boolean) {}

    async run(at: DateTime, deployingPrincipal?: string): Promise<RunReport> {
        const heldAtStart = new Map(this.apps.map((app) => [app.name, this.engine.latestVersion(app.vaultUrl, app.secretName)?.tags["key-id"]]));
        const report = await this.engine.run(at, deployingPrincipal);
        assert.deepEqual(report.errors.map((e) => e.message), [], `run at ${at.toISO()}`);
        // Proof before promote: every write of a new value followed a proof of that very credential.
        for (const write of report.vaultWrites) {
            const proof = report.proofs.find((p) => p.secret === write.name && p.keyId === write.tags["key-id"]);
            assert.ok(proof?.outcome?.proven, `${write.name} at ${at.toISO()}: written without a proof`);
            assert.ok(proof.outcome.requests.filter((r) => r.ok).length >= 3, `${write.name}: proven by 3 token requests in a row`);
            this.proofs++;
        }
        for (const app of this.apps) this.checkApp(app, at, report, heldAtStart.get(app.name));
        this.checkLifetimes();
        this.previousAt = at;
        return report;
    }

    private checkApp(app: App, at: DateTime, report: RunReport, heldAtStart: string | undefined): void {
        const mine = belongsTo(app);
        const where = `${app.name} at ${at.toISO()}`;
        const P = app.schedule.everyMs;

        // 2 and 4: Key Vault's newest version is a live credential with at least P of life left.
        const latest = this.engine.latestVersion(app.vaultUrl, app.secretName);
        assert.ok(latest, `${where}: Key Vault holds the secret`);
        const credential = this.engine.directory.get(latest.tags["key-id"]);
        assert.ok(credential, `${where}: the key-id tag names a credential Entra issued`);
        assert.equal(credential.deletedAt, undefined, `${where}: Key Vault's credential exists`);
        assert.ok(latest.value === credential.value, `${where}: Key Vault holds that credential's value`);
        assert.equal(Date.parse(latest.expiresOn), Date.parse(credential.endDate), `${where}: the version expires with the credential`);
        assert.ok(Date.parse(credential.endDate) - at.toMillis() >= P, `${where}: at least every (${P / DAY_MS} days) of life left`);

        // 4: the credential Key Vault held when the run started is not deleted while valid.
        if (heldAtStart && heldAtStart !== latest.tags["key-id"]) {
            const held = this.engine.directory.get(heldAtStart)!;
            if (Date.parse(held.endDate) > at.toMillis()) assert.equal(held.deletedAt, undefined, `${where}: deleted the still-valid credential Key Vault held`);
            this.retiredAt.set(heldAtStart, at);
        }

        // No expired credential stays in the stack.
        for (const password of this.engine.resourcesOfType(TYPES.applicationPassword).filter(mine)) {
            assert.ok(Date.parse(password.inputs.endDate) > at.toMillis(), `${where}: expired ${password.name} left in the stack`);
        }

        // 3: a retired credential stays valid and undeleted for at least P after Key Vault moved on.
        for (const deleted of report.deleted.filter(mine).filter((r) => r.type === TYPES.applicationPassword)) {
            const keyId = deleted.outputs.keyId;
            assert.notEqual(keyId, latest.tags["key-id"], `${where}: deleted the credential in Key Vault`);
            const retired = this.retiredAt.get(keyId);
            if (retired && this.onTime) {
                assert.ok(at.diff(retired).toMillis() >= P, `${where}: ${deleted.name} deleted ${at.diff(retired).as("days")} days after Key Vault moved on`);
                const c = this.engine.directory.get(keyId)!;
                assert.ok(Date.parse(c.endDate) - retired.toMillis() >= P, `${where}: ${deleted.name} valid for less than every after retirement`);
            }
        }

        // 1: a re-run inside the same period changes no input and writes nothing.
        const samePeriod = this.previousAt !== undefined && periodIndexAt(app.schedule, this.previousAt) === periodIndexAt(app.schedule, at);
        // A deployer the app has not seen is added to its owners (issue 16 §1): an update that only adds owners.
        const addsOwnersOnly = (u: { old: SimulatedResource; new: SimulatedResource }) => {
            const changed = Object.keys({ ...u.old.inputs, ...u.new.inputs }).filter((k) => JSON.stringify(u.old.inputs[k]) !== JSON.stringify(u.new.inputs[k]));
            const before: string[] = u.old.outputs.owners ?? [];
            return changed.length === 1 && changed[0] === "owners" && before.every((o) => (u.new.outputs.owners as string[]).includes(o));
        };
        const changes = [...report.replaced.map((r) => r.new), ...report.updated.filter((u) => !addsOwnersOnly(u)).map((r) => r.new)].filter(mine);
        const writes = report.vaultWrites.filter((w) => w.name === app.secretName);
        if (samePeriod) {
            assert.deepEqual(changes.map((r) => r.name), [], `${where}: inputs changed inside a period`);
            assert.equal(writes.length, 0, `${where}: Key Vault written inside a period`);
            assert.equal(report.created.filter(mine).length, 0, `${where}: created inside a period`);
            for (const deleted of report.deleted.filter(mine)) {
                assert.ok(deleted.type === TYPES.applicationPassword && Date.parse(deleted.inputs.endDate) <= at.toMillis(),
                    `${where}: only an expired credential may leave inside a period, not ${deleted.name}`);
            }
        }

        // 6: tally churn per period.
        const key = `${app.name}#${periodIndexAt(app.schedule, at)}`;
        const tally = this.churn.get(key) ?? { creates: 0, deletes: 0, writes: 0, otherChanges: 0 };
        const passwordsCreated = [...report.created, ...report.replaced.map((r) => r.new)].filter(mine).filter((r) => r.type === TYPES.applicationPassword);
        const passwordsDeleted = report.deleted.filter(mine).filter((r) => r.type === TYPES.applicationPassword);
        tally.creates += passwordsCreated.length;
        tally.deletes += passwordsDeleted.length;
        tally.writes += writes.length;
        tally.otherChanges += changes.filter((r) => r.type !== TYPES.applicationPassword && r.type !== TYPES.vaultSecret).length
            + report.created.filter(mine).filter((r) => r.type !== TYPES.applicationPassword).length
            + report.deleted.filter(mine).filter((r) => r.type !== TYPES.applicationPassword).length;
        this.churn.set(key, tally);
    }

    /** 5: every credential ever issued has explicit dates and a bounded life. */
    private checkLifetimes(): void {
        for (const credential of this.engine.directory.values()) {
            const app = this.apps.find((a) => credential.applicationId && this.engine.resources().some((r) => r.type === TYPES.application && belongsTo(a)(r) && r.id === credential.applicationId));
            assert.ok(credential.startDate && credential.endDate, "startDate and endDate are always set");
            const life = Date.parse(credential.endDate) - Date.parse(credential.startDate);
            assert.ok(life <= MAX_VALID_FOR_MS, "no credential lives over two years");
            if (app) assert.ok(life <= app.schedule.validForMs, `${app.name}: life ${life / DAY_MS} days over validFor`);
        }
    }
}

describe("time-travel simulation of the reference stack", function () {
    this.timeout(180_000);

    it("runs daily for three years: invariants 1 to 6 hold after every run, under a 365-day tenant limit", async () => {
        const apps = appsOf(DAILY_CONFIG);
        assert.equal(apps.find((a) => a.name === "ledger-api")!.schedule.validForMs, 179 * DAY_MS, "one app on the defaults");
        const engine = new SimulatedEngine({ program: declareReferenceStack, config: DAILY_CONFIG, passwordMaxLifetime: "P365D" });
        const checker = new InvariantChecker(engine, apps, true);
        const end = START.plus({ years: 3 });
        let runs = 0;
        for (let at = START; at < end; at = at.plus({ days: 1 })) {
            await checker.run(at);
            runs++;
        }
        assert.equal(runs, 1096);
        const writes = engine.runs.reduce((n, r) => n + r.vaultWrites.length, 0);
        assert.equal(checker.proofs, writes, "each rotation in the three years is proven");
        assert.ok(writes >= 40, `${writes} writes`);

        // 6: in every full period after the first deployment: one credential created, one deleted, one write, nothing else.
        // The first deployment created only the credential in service, so the period after it has none to delete.
        for (const app of apps) {
            const first = periodIndexAt(app.schedule, START);
            const last = periodIndexAt(app.schedule, end);
            let periods = 0;
            for (let k = first + 1; k < last; k++) {
                const tally = checker.churn.get(`${app.name}#${k}`);
                assert.deepEqual(tally, { creates: 1, deletes: k === first + 1 ? 0 : 1, writes: 1, otherChanges: 0 }, `${app.name} period ${k}`);
                periods++;
            }
            assert.ok(periods >= Math.floor((3 * 365 * DAY_MS) / app.schedule.everyMs) - 1, `${app.name}: ${periods} full periods checked`);
        }
        // Versions accumulate: older ones stay readable.
        const billing = apps.find((a) => a.name === "billing-api")!;
        assert.ok(engine.vault.get(`${billing.vaultUrl}/secrets/${billing.secretName}`)!.length >= 12);
    });

    it("two deployers, a pipeline (Application.ReadWrite.OwnedBy) and a person, alternate daily for a year: every run succeeds and the pipeline keeps owning every app", async () => {
        const pipeline = "5f1b2c3d-0000-4000-a000-00000000d3b1";
        const person = "e7e70000-0000-4000-a000-0000000a11ce";
        const apps = appsOf(DAILY_CONFIG);
        const engine = new SimulatedEngine({ program: declareReferenceStack, config: DAILY_CONFIG, passwordMaxLifetime: "P365D", deployingPrincipal: pipeline, administrators: [person] });
        const checker = new InvariantChecker(engine, apps, false);
        let day = 0;
        for (let at = START; at < START.plus({ years: 1 }); at = at.plus({ days: 1 }), day++) {
            await checker.run(at, day % 2 === 1 ? person : undefined);
        }
        // No owners declared: each run adds its deployer and removes no one (issue 16 §1): the person's first
        // run added the person, and no later run, the pipeline's included, took anyone away.
        for (const resource of [...engine.resourcesOfType(TYPES.application), ...engine.resourcesOfType(TYPES.servicePrincipal)]) {
            assert.deepEqual([...resource.outputs.owners].sort(), [pipeline, person].sort(), `${resource.name}: owners`);
        }
        const ownerChanges = engine.runs.slice(2).flatMap((r) => r.updated.filter((u) => u.new.type === TYPES.application || u.new.type === TYPES.servicePrincipal));
        assert.deepEqual(ownerChanges, [], "after the person's first run, no run changes the owners again");
    });

    it("keeps Key Vault valid across random run schedules with gaps up to 2 × every (defaults under a 180-day tenant limit)", async () => {
        const single = { "keyrelay:vaultUrl": "https://kv-platform.vault.azure.net", "keyrelay:maxLifetime": "P180D", "keyrelay:apps": [{ name: "ledger-api" }] };
        for (const [config, maxGapDays, limit] of [[EXAMPLE_CONFIG, 60, "P365D"], [single, 178, "P180D"]] as const) {
            const apps = appsOf(config as Record<string, unknown>);
            await fc.assert(fc.asyncProperty(
                fc.array(fc.integer({ min: 1, max: maxGapDays * 24 }), { minLength: 8, maxLength: 20 }),
                fc.integer({ min: 0, max: 365 * 24 }),
                async (gapsInHours, offsetHours) => {
                    const engine = new SimulatedEngine({ program: declareReferenceStack, config: config as Record<string, unknown>, passwordMaxLifetime: limit });
                    const checker = new InvariantChecker(engine, apps, false);
                    let at = START.plus({ hours: offsetHours });
                    await checker.run(at);
                    for (const gap of gapsInHours) {
                        at = at.plus({ hours: gap });
                        await checker.run(at);
                    }
                },
            ), { numRuns: 6, seed: 20261126 });
        }
    });

    it("spreads 1,000 apps on one schedule over the period: the busiest rotation day has at most twice the mean (invariant 7)", async () => {
        // The distribution from the schedule the components use, for all 1,000 names ...
        const names = Array.from({ length: 1000 }, (_, i) => `fleet-${String(i + 1).padStart(4, "0")}`);
        const expected = new Map(names.map((name) => [name, toRfc3339(nextRotation(rotationSchedule(name, {}), START))]));
        const perDay = new Map<string, number>();
        for (const when of expected.values()) perDay.set(when.slice(0, 10), (perDay.get(when.slice(0, 10)) ?? 0) + 1);
        const mean = 1000 / 89;
        const busiest = Math.max(...perDay.values());
        assert.ok(perDay.size >= 80, `rotations fall on ${perDay.size} different days of 89`);
        assert.ok(busiest <= 2 * mean, `busiest day has ${busiest} rotations, mean ${mean.toFixed(1)}`);
        // ... and the components agree with it, on a sample of 40 spread over the fleet.
        const sample = names.filter((_, i) => i % 25 === 7);
        const config = { "keyrelay:vaultUrl": "https://kv-fleet.vault.azure.net", "keyrelay:apps": sample.map((name) => ({ name })) };
        const report = await new SimulatedEngine({ program: declareReferenceStack, config }).run(START);
        assert.deepEqual(report.errors, []);
        const declared = report.stackOutputs.nextRotation as Record<string, string>;
        assert.equal(Object.keys(declared).length, sample.length);
        for (const name of sample) assert.equal(declared[name], expected.get(name), name);
    });

    describe("changing the schedule (rotation.since and rotation.previous): the credential Key Vault held stays a full period", () => {
        const VAULT = "https://kv-platform.vault.azure.net";
        const NAME = "ledger-api";
        /** Time in days, for messages. */
        const days = (ms: number) => (ms / DAY_MS).toFixed(2);

        async function changeSchedule(from: RotationSettings, to: RotationSettings, changeDay: (old: RotationSchedule) => DateTime, declarePrevious = true) {
            let rotation: RotationSettings = from;
            const engine = new SimulatedEngine({ program: () => new RotatedAppRegistration(NAME, { displayName: NAME, rotation, vault: { url: VAULT, secretName: NAME } }) });
            const old = rotationSchedule(NAME, from);
            const since = changeDay(old);
            let at = START;
            for (; at < since; at = at.plus({ days: 1 })) assert.deepEqual((await engine.run(at)).errors.map((e) => e.message), [], `run at ${at.toISO()}`);
            const heldBefore = engine.latestVersion(VAULT, NAME)!.tags["key-id"];
            rotation = declarePrevious ? { ...to, since: since.toISODate()!, previous: from } : to;
            const current = rotationSchedule(NAME, rotation);
            const P = Math.max(old.everyMs, current.everyMs);
            const retiredAt = new Map<string, DateTime>();
            const until = since.plus(2 * P + 5 * DAY_MS);
            for (; at < until; at = at.plus({ days: 1 })) {
                const before = engine.latestVersion(VAULT, NAME)!.tags["key-id"];
                const report = await engine.run(at);
                assert.deepEqual(report.errors.map((e) => e.message), [], `run at ${at.toISO()}`);
                const latest = engine.latestVersion(VAULT, NAME)!;
                const inVault = engine.directory.get(latest.tags["key-id"])!;
                assert.equal(inVault.deletedAt, undefined, `${at.toISO()}: Key Vault's credential exists`);
                assert.ok(Date.parse(inVault.endDate) - at.toMillis() >= current.everyMs, `${at.toISO()}: at least the new every left in Key Vault`);
                if (before !== latest.tags["key-id"]) retiredAt.set(before, at);
                for (const deleted of report.deleted.filter((r) => r.type === TYPES.applicationPassword)) {
                    const keyId = deleted.outputs.keyId as string;
                    const credential = engine.directory.get(keyId)!;
                    const retired = retiredAt.get(keyId);
                    assert.notEqual(keyId, latest.tags["key-id"]);
                    if (Date.parse(credential.endDate) <= at.toMillis()) continue; // expired: its own end came first
                    assert.ok(retired, `${at.toISO()}: ${deleted.name} deleted while valid, yet never retired from Key Vault`);
                    const kept = at.toMillis() - retired.toMillis();
                    const owed = keyId === heldBefore ? P : current.everyMs;
                    assert.ok(kept >= owed, `${at.toISO()}: ${deleted.name} deleted ${days(kept)} days after Key Vault moved on, owed ${days(owed)} (or until its end)`);
                }
            }
            const held = engine.directory.get(heldBefore)!;
            return { engine, held, since, P, retiredAt: retiredAt.get(heldBefore)!, current };
        }

        const ordinaryDay = (old: RotationSchedule) => {
            const k = periodIndexAt(old, START.plus({ days: 100 }));
            return periodStart(old, k).plus({ days: Math.floor(old.everyMs / DAY_MS / 2) });
        };
        const rotationDay = (old: RotationSchedule) => periodStart(old, periodIndexAt(old, START.plus({ days: 100 })) + 1);

        for (const [fromEvery, toEvery] of [["P30D", "P89D"], ["P89D", "P30D"], ["P7D", "P60D"], ["P60D", "P7D"]]) {
            const newRotationDay = () => {
                const schedule = rotationSchedule(NAME, { every: toEvery });
                return periodStart(schedule, periodIndexAt(schedule, START.plus({ days: 100 })) + 1);
            };
            for (const [dayKind, changeDay] of [["an ordinary day", ordinaryDay], ["the old schedule's rotation day", rotationDay], ["the new schedule's rotation day", newRotationDay]] as const) {
                it(`every ${fromEvery} to ${toEvery}, changed on ${dayKind}`, async () => {
                    const { held, since, P, retiredAt, current } = await changeSchedule({ every: fromEvery }, { every: toEvery }, changeDay);
                    assert.ok(retiredAt, "the change run wrote the new schedule's credential to Key Vault");
                    assert.ok(retiredAt.toMillis() - since.toMillis() < DAY_MS, "on the day the change takes over");
                    const deletedAt = held.deletedAt?.toMillis() ?? Infinity;
                    const owedUntil = Math.min(Date.parse(held.endDate), retiredAt.toMillis() + P);
                    assert.ok(deletedAt >= owedUntil, `deleted ${days(deletedAt - retiredAt.toMillis())} days after Key Vault moved on; owed ${days(P)} or until its end`);
                    assert.ok(held.deletedAt, "and removed once the transition is over");
                    assert.ok(held.deletedAt!.toMillis() <= Math.max(transitionEnd(current)!.toMillis(), Date.parse(held.endDate)) + DAY_MS, "no longer than needed");
                });
            }
        }

        for (const [from, to] of [[{ every: "P30D" }, { every: "P30D", validFor: "P90D" }], [{ every: "P30D", validFor: "P90D" }, { every: "P30D" }]]) {
            it(`validFor alone (${from.validFor ?? "default"} to ${to.validFor ?? "default"}), changed on the rotation day`, async () => {
                const { held, P, retiredAt } = await changeSchedule(from, to, rotationDay);
                assert.ok((held.deletedAt?.toMillis() ?? Infinity) >= Math.min(Date.parse(held.endDate), retiredAt.toMillis() + P));
            });
        }

        it("without since and previous, the change deletes the credential Key Vault held at the end of that same run (why they exist)", async () => {
            await assert.rejects(changeSchedule({ every: "P30D" }, { every: "P89D" }, ordinaryDay, false), /deleted (0\.00 days after Key Vault moved on|while valid, yet never retired)/);
        });

        it("a since newly set to a day before the run deletes the credential Key Vault holds in that same run; checkSinceChange refuses it (issue 15.6)", async () => {
            let rotation: RotationSettings = { every: "P30D" };
            const engine = new SimulatedEngine({ program: () => new RotatedAppRegistration(NAME, { displayName: NAME, rotation, vault: { url: VAULT, secretName: NAME } }) });
            const rotated = rotationDay(rotationSchedule(NAME, rotation));
            for (let at = rotated.minus({ days: 5 }); at < rotated.plus({ days: 3 }); at = at.plus({ days: 1 })) assert.deepEqual((await engine.run(at)).errors, []);
            const held = engine.latestVersion(VAULT, NAME)!.tags["key-id"];
            const run = rotated.plus({ days: 3, hours: 2 });
            const since = rotated.minus({ days: 2 }).toISODate()!;
            assert.throws(() => checkSinceChange(undefined, since, run), /rotation.since is .* before this run .* and is newly set/);
            rotation = { every: "P60D", since, previous: { every: "P30D" } };
            const report = await engine.run(run);
            assert.deepEqual(report.errors, []);
            assert.ok(engine.directory.get(held)!.deletedAt, "the credential Key Vault held is deleted in the run that sets the past since");
            assert.doesNotThrow(() => checkSinceChange(since, since, run.plus({ days: 1 })), "kept unchanged afterwards: fine");
        });

        it("deploying a change ahead of its since touches no credential until then; Key Vault's next-rotation tag says since", async () => {
            let rotation: RotationSettings = { every: "P30D" };
            const engine = new SimulatedEngine({ program: () => new RotatedAppRegistration(NAME, { displayName: NAME, rotation, vault: { url: VAULT, secretName: NAME } }) });
            const since = ordinaryDay(rotationSchedule(NAME, rotation));
            assert.deepEqual((await engine.run(since.minus({ days: 5 }))).errors, []);
            rotation = { every: "P60D", since: since.toISODate()!, previous: { every: "P30D" } };
            const ahead = await engine.run(since.minus({ days: 4 }));
            assert.deepEqual(ahead.errors, []);
            assert.deepEqual([ahead.created, ahead.replaced, ahead.deleted].map((list) => list.length), [0, 0, 0]);
            assert.deepEqual(ahead.updated.map((u) => u.new.type), [TYPES.vaultSecret], "only the tags of the Key Vault secret");
            const before = engine.vault.get(`${VAULT}/secrets/${NAME}`)!;
            assert.equal(before.length, 2);
            assert.equal(before[1].tags["key-id"], before[0].tags["key-id"], "the same credential");
            assert.equal(before[1].value, before[0].value);
            assert.equal(before[1].tags["next-rotation"], `${since.toISODate()}T00:00:00Z`);
            const takeover = await engine.run(since.plus({ hours: 3 }));
            assert.equal(takeover.vaultWrites.length, 1);
            assert.equal(takeover.vaultWrites[0].tags["rotation-every"], "P60D");
        });

        it("a change declared ahead of time: the old schedule runs on until since, which a plan shows as the next rotation", async () => {
            const old = rotationSchedule(NAME, { every: "P30D" });
            const since = ordinaryDay(old);
            const declared = rotationSchedule(NAME, { every: "P60D", since: since.toISODate()!, previous: { every: "P30D" } });
            const before = since.minus({ days: 3 });
            assert.deepEqual(plannedKeys(declared, before), plannedKeys(old, before));
            assert.equal(nextRotationOf(declared, before), since.toMillis());
            const after = plannedKeys(declared, since.plus({ hours: 2 }));
            assert.deepEqual(after.slice(0, -1), plannedKeys(old, since.minus({ milliseconds: 1 })).map((k) => k.replace("true", "false")), "the previous credentials are kept unchanged");
            assert.match(after[after.length - 1], new RegExp(`^${since.toFormat("yyyyMMdd")}-[abc]\\|.*\\|true$`), "the new schedule's own slots");
        });
    });

    it("keyrelay plan says so when Entra would refuse the program (a past startDate, an unowned app)", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-refused-"));
        try {
            fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
            fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config: {}\n");
            const programs = {
                "past-start": `import * as azuread from "@pulumi/azuread";\n`
                    + `new azuread.ApplicationPassword("legacy", { applicationId: "/applications/x", startDate: "2026-01-01T00:00:00Z", endDate: "2027-01-01T00:00:00Z" });\n`,
                "unowned": `import * as azuread from "@pulumi/azuread";\n`
                    + `const app = new azuread.Application("app", { displayName: "app" });\n`
                    + `new azuread.ApplicationPassword("p", { applicationId: app.id, endDate: "2027-06-01T00:00:00Z" });\n`,
            };
            const expected = { "past-start": /KeyCredentialsInvalidStartDate/, "unowned": /not among its owners.*HTTP 403 Authorization_RequestDenied/ };
            for (const [name, source] of Object.entries(programs)) {
                fs.mkdirSync(path.join(dir, name));
                fs.writeFileSync(path.join(dir, name, "index.ts"), source);
                fs.copyFileSync(path.join(dir, "Pulumi.dev.yaml"), path.join(dir, name, "Pulumi.dev.yaml"));
                fs.writeFileSync(path.join(dir, name, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\n`);
                const err: string[] = [];
                const code = await runCli(["plan", "--program", name, "--stack", "dev", "--horizon", "P3D", "--from", "2026-12-01", "--svg", `${name}.svg`],
                    { cwd: dir, isTTY: false, env: {}, stdout: () => undefined, stderr: (text: string) => { err.push(text); } });
                assert.notEqual(code, 0, name);
                assert.match(err.join(""), /keyrelay plan: the program fails on the run of 2026-12-01: Entra refused/, name);
                assert.match(err.join(""), expected[name as keyof typeof expected], name);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a run interrupted between issuing the password and writing Key Vault loses nothing; the next run completes the rotation", async () => {
        const apps = appsOf(EXAMPLE_CONFIG);
        const billing = apps.find((a) => a.name === "billing-api")!;
        let failWrites = false;
        const engine = new SimulatedEngine({
            program: declareReferenceStack,
            config: EXAMPLE_CONFIG,
            onVaultWrite: async (secret) => {
                if (failWrites && secret.name === billing.secretName) throw new Error("connection reset while writing Key Vault");
            },
        });
        await engine.run(START);
        const before = engine.latestVersion(billing.vaultUrl, billing.secretName)!;
        const k = periodIndexAt(billing.schedule, START);
        const rotationDay = periodStart(billing.schedule, k + 1).plus({ hours: 2 });
        assert.equal(periodIndexAt(billing.schedule, rotationDay), k + 1);

        failWrites = true;
        const interrupted = await engine.run(rotationDay);
        assert.equal(interrupted.errors.length > 0, true);
        assert.equal(interrupted.deleted.length, 0, "a failed run deletes nothing");
        const still = engine.latestVersion(billing.vaultUrl, billing.secretName)!;
        assert.equal(still, before, "Key Vault still holds the old version");
        const old = engine.directory.get(before.tags["key-id"])!;
        assert.equal(old.deletedAt, undefined);
        assert.ok(Date.parse(old.endDate) > rotationDay.toMillis());
        const issued = [...interrupted.created, ...interrupted.replaced.map((r) => r.new)].filter((r) => r.type === TYPES.applicationPassword);
        assert.deepEqual(issued.map((r) => r.name.replace(/-[abc]$/, "")), ["billing-api-password"], "the new password was issued before the write failed");

        failWrites = false;
        const retry = await engine.run(rotationDay.plus({ hours: 1 }));
        assert.deepEqual(retry.errors, []);
        const after = engine.latestVersion(billing.vaultUrl, billing.secretName)!;
        assert.notEqual(after.tags["key-id"], before.tags["key-id"]);
        assert.equal(engine.directory.get(after.tags["key-id"])!.value, after.value);
        assert.equal(engine.directory.get(before.tags["key-id"])!.deletedAt, undefined, "the retired credential stays for the overlap");
    });
});

function plannedKeys(schedule: RotationSchedule, at: DateTime): string[] {
    return require("../components/schedule").plannedCredentials(schedule, at)
        .map((c: { slot: string; startDate: DateTime; endDate: DateTime; inService: boolean }) => `${c.slot}|${c.startDate.toISO()}|${c.endDate.toISO()}|${c.inService}`);
}

function nextRotationOf(schedule: RotationSchedule, at: DateTime): number {
    return require("../components/schedule").nextRotation(schedule, at).toMillis();
}
