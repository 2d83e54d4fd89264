// The evidence gate's pure half: `retire` parsing, which credentials a run asks about, and what each answer decides.
import { strict as assert } from "assert";
import { DateTime, Duration } from "luxon";
import { decideRetirement, parseRetire, retirementCandidates } from "../../components/retirementGate";
import { parseRotatedAppRegistrationArgs } from "../../components/rotatedAppRegistrationPlan";
import { plannedCredentials, rotationSchedule } from "../../components/schedule";
import { isInputError } from "../../lib/errors";

const R = 'RotatedAppRegistration "billing"';
const VAULT = { url: "https://kv-platform.vault.azure.net", secretName: "billing-client-secret" };

function refused(retire: unknown, field: string, fix: RegExp): void {
    assert.throws(() => parseRotatedAppRegistrationArgs("billing", { displayName: "billing", vault: VAULT, retire } as never), (e: unknown) =>
        isInputError(e) && e.field === field && e.message.includes(R) && fix.test(e.fix ?? ""));
}

describe("retire: { unusedFor } (parsed once with the other args)", () => {
    it("accepts P1D to P30D and defaults Graph to the public cloud", () => {
        const plan = parseRotatedAppRegistrationArgs("billing", { displayName: "billing", vault: VAULT, retire: { unusedFor: "P7D" } });
        assert.equal(plan.retire!.unusedFor.as("days"), 7);
        assert.equal(plan.retire!.graphUrl, "https://graph.microsoft.com");
        assert.equal(parseRetire(R, { unusedFor: "P30D", graphUrl: "https://graph.microsoft.us/" })!.graphUrl, "https://graph.microsoft.us");
        assert.equal(parseRetire(R, undefined), undefined);
    });
    it("refuses windows the sign-in logs cannot answer, naming the field and the fix", () => {
        refused({ unusedFor: "P31D" }, "retire.unusedFor", /P30D/);
        refused({ unusedFor: "PT12H" }, "retire.unusedFor", /P7D/);
        refused({ unusedFor: "seven days" }, "retire.unusedFor", /P7D/);
        refused({ unusedFor: 7 }, "retire.unusedFor", /P7D/);
        refused("P7D", "retire", /unusedFor/);
        refused({ unusedFor: "P7D", graphUrl: "http://graph.example" }, "retire.graphUrl", /graph\.microsoft\.com/);
        refused({ unusedFor: "P7D", graphUrl: "https://graph.microsoft.com/beta" }, "retire.graphUrl", /no path/);
    });
});

describe("retirementCandidates", () => {
    const schedule = rotationSchedule("billing", { every: "P30D" });
    const [retiring, inService] = plannedCredentials(schedule, DateTime.fromISO("2027-01-01T00:00:00Z", { zone: "utc" })).slice(-2);
    const week = Duration.fromISO("P7D");

    it("asks about a retiring credential only after a whole window out of Key Vault, and never about the one in service", () => {
        const at = (ms: number) => DateTime.fromMillis(ms, { zone: "utc" });
        const servedUntil = retiring.servesUntil.toMillis();
        assert.deepEqual(retirementCandidates([retiring, inService], at(servedUntil + week.toMillis() - 1), week), []);
        assert.deepEqual(retirementCandidates([retiring, inService], at(servedUntil + week.toMillis()), week).map((c) => c.slot), [retiring.slot]);
        assert.deepEqual(retirementCandidates([retiring, inService], retiring.endDate, week), [], "an ended credential is the schedule's, not the gate's");
    });

    it("decides: unused retires; in use and unknown keep, with a sanitised line naming key id, last sign-in and consumer", () => {
        const unused = decideRetirement(R, retiring, { kind: "unused", keyIds: ["k1"] }, "P7D");
        assert.equal(unused.keep, false);
        const inUse = decideRetirement(R, retiring, { kind: "in-use", keyIds: ["k1"], last: { keyId: "k1", at: "2027-01-05T03:00:00Z", ipAddress: "198.51.100.7\u001b[2J", resource: "Azure\nKey Vault", count: 4 } }, "P7D");
        assert.equal(inUse.keep, true);
        assert.match(inUse.message, /key id k1 .* last sign-in 2027-01-05T03:00:00Z from 198\.51\.100\.7 for Azure Key Vault \(4 in P7D\)/);
        assert.ok(!/[\u0000-\u001f]/.test(inUse.message), "no control characters from the logs");
        assert.match(inUse.message, new RegExp(`until its own end, ${retiring.endDate.toISO({ suppressMilliseconds: true })!.replace("+00:00", "Z")}`));
        const unknown = decideRetirement(R, retiring, { kind: "unknown", reason: "Graph refused (403)\r\nInjected: line" }, "P7D");
        assert.equal(unknown.keep, true);
        assert.match(unknown.message, /fails closed\): Graph refused \(403\) Injected: line/);
        assert.equal(decideRetirement(R, retiring, { kind: "gone" }, "P7D").keep, false);
    });
});
