// Time travel: the reference program run by the engine-playing harness over simulated years,
// with the schedule's invariants checked after every run.
import { strict as assert } from "assert";
import * as path from "path";
import * as fc from "fast-check";
import { DateTime } from "luxon";
import { DAY_MS, MAX_VALID_FOR_MS, nextRotation, periodIndexAt, periodStart, rotationSchedule, RotationSchedule, toRfc3339 } from "../components/schedule";
import { referenceApps } from "../stackConfig";
import { declareReferenceStack } from "../referenceStack";
import { RunReport, SimulatedEngine, SimulatedResource, TYPES, stackConfigFromFile } from "../simulation/engine";

const ROOT = path.resolve(__dirname, "..");
const EXAMPLE_CONFIG = stackConfigFromFile(path.join(ROOT, "Pulumi.example.yaml"));
const START = DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" });

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

    constructor(private readonly engine: SimulatedEngine, private readonly apps: App[], private readonly onTime: boolean) {}

    async run(at: DateTime): Promise<RunReport> {
        const heldAtStart = new Map(this.apps.map((app) => [app.name, this.engine.latestVersion(app.vaultUrl, app.secretName)?.tags["key-id"]]));
        const report = await this.engine.run(at);
        assert.deepEqual(report.errors.map((e) => e.message), [], `run at ${at.toISO()}`);
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
        const changes = [...report.replaced.map((r) => r.new), ...report.updated.map((r) => r.new)].filter(mine);
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

    it("runs daily for three years: invariants 1 to 6 hold after every run", async () => {
        const apps = appsOf(EXAMPLE_CONFIG);
        const engine = new SimulatedEngine({ program: declareReferenceStack, config: EXAMPLE_CONFIG });
        const checker = new InvariantChecker(engine, apps, true);
        const end = START.plus({ years: 3 });
        let runs = 0;
        for (let at = START; at < end; at = at.plus({ days: 1 })) {
            await checker.run(at);
            runs++;
        }
        assert.equal(runs, 1096);

        // 6: in every full period after the first deployment: one credential created, one deleted, one write, nothing else.
        for (const app of apps) {
            const first = periodIndexAt(app.schedule, START);
            const last = periodIndexAt(app.schedule, end);
            let periods = 0;
            for (let k = first + 1; k < last; k++) {
                const tally = checker.churn.get(`${app.name}#${k}`);
                assert.deepEqual(tally, { creates: 1, deletes: 1, writes: 1, otherChanges: 0 }, `${app.name} period ${k}`);
                periods++;
            }
            assert.ok(periods >= Math.floor((3 * 365 * DAY_MS) / app.schedule.everyMs) - 1, `${app.name}: ${periods} full periods checked`);
        }
        // Versions accumulate: older ones stay readable.
        const billing = apps.find((a) => a.name === "billing-api")!;
        assert.ok(engine.vault.get(`${billing.vaultUrl}/secrets/${billing.secretName}`)!.length >= 12);
    });

    it("keeps Key Vault valid across random run schedules with gaps up to 2 × every", async () => {
        const single = { "keyrelay:vaultUrl": "https://kv-platform.vault.azure.net", "keyrelay:apps": [{ name: "ledger-api", every: "P90D" }] };
        for (const [config, maxGapDays] of [[EXAMPLE_CONFIG, 60], [single, 180]] as const) {
            const apps = appsOf(config as Record<string, unknown>);
            await fc.assert(fc.asyncProperty(
                fc.array(fc.integer({ min: 1, max: maxGapDays * 24 }), { minLength: 8, maxLength: 20 }),
                fc.integer({ min: 0, max: 365 * 24 }),
                async (gapsInHours, offsetHours) => {
                    const engine = new SimulatedEngine({ program: declareReferenceStack, config: config as Record<string, unknown> });
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
        const mean = 1000 / 90;
        const busiest = Math.max(...perDay.values());
        assert.ok(perDay.size >= 80, `rotations fall on ${perDay.size} different days of 90`);
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
