// The gate's Graph reads: a token only ever goes to the Graph origin, and a refusal becomes a kept credential.
import { strict as assert } from "assert";
import { Duration } from "luxon";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { retirementGraph } from "../../components/provider/retirementGraph";
import { retirementAnswers } from "../../components/retirementEvidence";
import { plannedCredentials, rotationSchedule } from "../../components/schedule";
import { DateTime } from "luxon";

function countingCredential(): TokenCredential & { calls: number } {
    const credential = {
        calls: 0,
        async getToken(): Promise<AccessToken> {
            credential.calls++;
            return { token: "never-sent", expiresOnTimestamp: Date.now() + 3600_000 };
        },
    };
    return credential;
}

describe("the evidence gate's Graph reads", () => {
    it("refuses a URL off the Graph origin before asking for a token", async () => {
        const credential = countingCredential();
        const source = retirementGraph("https://graph.microsoft.com", { credential, timeoutMs: 1000 });
        await assert.rejects(source.get("https://graph.microsoft.com.evil.example/beta/auditLogs/signIns"), /refused a link from graph\.microsoft\.com to graph\.microsoft\.com\.evil\.example/);
        assert.equal(credential.calls, 0, "no token was requested for the foreign host");
    });

    it("turns a failed read into an unknown answer for every candidate (the gate keeps them)", async () => {
        const credential = countingCredential();
        const source = retirementGraph("https://127.0.0.1:9", { credential, timeoutMs: 2000 });
        const at = DateTime.fromISO("2027-03-01T00:00:00Z", { zone: "utc" });
        const candidates = plannedCredentials(rotationSchedule("billing", { every: "P30D" }), at).filter((c) => !c.inService);
        const answers = await retirementAnswers(candidates, (c) => c.slot, "/applications/0000", Duration.fromISO("P7D"), source, at);
        assert.ok(candidates.length > 0);
        for (const c of candidates) {
            const answer = answers.get(c.slot)!;
            assert.equal(answer.kind, "unknown");
            assert.match((answer as { reason: string }).reason, /could not be read/);
        }
    });
});
