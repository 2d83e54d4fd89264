// Proof before promote over the engine-playing harness: a password Entra never accepts never reaches
// Key Vault, nothing is deleted in the failed run, and a late one is promoted by the next run.
import { strict as assert } from "assert";
import * as path from "path";
import { DateTime, Duration } from "luxon";
import { periodIndexAt, periodStart, rotationSchedule } from "../components/schedule";
import { referenceApps } from "../examples/reference-stack/stackConfig";
import { declareReferenceStack } from "../examples/reference-stack/referenceStack";
import { isCredentialProofError } from "../lib/errors";
import { PropagationDelay } from "../simulation/entraTokens";
import { SimulatedEngine, TYPES, stackConfigFromFile } from "../simulation/engine";

const CONFIG = stackConfigFromFile(path.join(__dirname, "..", "examples", "reference-stack", "Pulumi.example.yaml"));
const START = DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" });
const billing = referenceApps(CONFIG["keyrelay:apps"], CONFIG["keyrelay:vaultUrl"] as string).find((a) => a.name === "billing-api")!;
const schedule = rotationSchedule(billing.name, billing.rotation);
const rotationDay = periodStart(schedule, periodIndexAt(schedule, START) + 1).plus({ hours: 2 });

/** The engine, and a propagation rule for billing-api's passwords issued on its rotation day. */
function engineWith(delayOnRotationDay: Duration | "never") {
    let billingApp: string | undefined;
    const propagation: PropagationDelay = (credential) =>
        credential.applicationId === billingApp && credential.createdAt >= rotationDay ? delayOnRotationDay : Duration.fromObject({ seconds: 40 });
    const engine = new SimulatedEngine({ program: declareReferenceStack, config: CONFIG, propagation });
    return { engine, learnApp: () => { billingApp = engine.resourcesOfType(TYPES.application).find((r) => r.name === billing.name)!.id; } };
}

describe("proof before promote in the simulation", function () {
    this.timeout(120_000);

    it("a password Entra never accepts never reaches Key Vault; the failed run deletes nothing, and the next run fails the same way", async () => {
        const { engine, learnApp } = engineWith("never");
        assert.deepEqual((await engine.run(START)).errors, []);
        learnApp();
        const before = engine.latestVersion(billing.vault.url, billing.vault.secretName)!;
        const held = engine.directory.get(before.tags["key-id"])!;

        for (const at of [rotationDay, rotationDay.plus({ days: 1 })]) {
            const run = await engine.run(at);
            const failures = run.errors.filter(isCredentialProofError);
            assert.equal(failures.length, 1, `${at.toISO()}: ${run.errors.map((e) => e.message).join("; ")}`);
            const failure = failures[0];
            assert.equal(failure.aadstsCode, 7000215);
            assert.equal(failure.secret, billing.vault.secretName);
            assert.match(failure.message, /did not prove itself within PT5M: 0 of 3 token requests in a row succeeded/);
            assert.match(failure.message, /AADSTS7000215/);
            assert.match(failure.fix!, /next scheduled run tries again.*proof\.within/s);
            const issued = [...engine.directory.values()].filter((c) => c.applicationId === held.applicationId && c.createdAt >= rotationDay);
            assert.equal(issued.length, 1, "the new password was issued");
            for (const secret of [issued[0].value, held.value]) assert.ok(!failure.message.includes(secret), "no secret value in the error");

            assert.equal(run.vaultWrites.filter((w) => w.name === billing.vault.secretName).length, 0, "nothing written");
            assert.equal(engine.latestVersion(billing.vault.url, billing.vault.secretName), before, "Key Vault still holds the old version");
            assert.deepEqual(run.deleted, [], "a failed run deletes nothing");
            assert.equal(held.deletedAt, undefined, "the credential Key Vault holds is alive");
            const proof = run.proofs.find((p) => p.secret === billing.vault.secretName)!;
            assert.equal(proof.outcome, undefined);
            assert.ok(proof.error && isCredentialProofError(proof.error));
            assert.ok(failure.requests >= 5 && failure.requests <= 40, `${failure.requests} token requests in the budget`);
        }
    });

    it("a password Entra accepts only after 10 minutes fails the rotation day's run (budget PT5M) and is promoted by the next run", async () => {
        const { engine, learnApp } = engineWith(Duration.fromObject({ minutes: 10 }));
        await engine.run(START);
        learnApp();
        const before = engine.latestVersion(billing.vault.url, billing.vault.secretName)!;

        const failed = await engine.run(rotationDay);
        assert.equal(failed.errors.filter(isCredentialProofError).length, 1);
        assert.equal(engine.latestVersion(billing.vault.url, billing.vault.secretName), before);

        const next = await engine.run(rotationDay.plus({ hours: 1 }));
        assert.deepEqual(next.errors, []);
        const after = engine.latestVersion(billing.vault.url, billing.vault.secretName)!;
        assert.notEqual(after.tags["key-id"], before.tags["key-id"], "the new password is in Key Vault now");
        const proof = next.proofs.find((p) => p.secret === billing.vault.secretName && p.keyId === after.tags["key-id"])!;
        assert.equal(proof.outcome?.proven, true);
        assert.equal(proof.outcome!.requests.length, 3, "accepted at once an hour later: 3 requests, 3 successes");
        assert.equal(engine.directory.get(before.tags["key-id"])!.deletedAt, undefined, "the retired credential stays for the overlap");
    });
});
