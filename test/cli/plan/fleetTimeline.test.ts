// The plan's timeline from the schedule alone (cli/fleetTimeline.ts): pure, no Pulumi.
import { strict as assert } from "assert";
import { DateTime } from "luxon";
import { rotationSchedule, toRfc3339 } from "../../../components/schedule";
import { appRuns, appTimeline, fleetRuns, nextChangeOf } from "../../../cli/plan/fleetTimeline";

const t = (iso: string) => DateTime.fromISO(iso, { zone: "utc" });

describe("cli/fleetTimeline", () => {
    // validFor given, so the figures below hold whatever the default becomes.
    const schedule = rotationSchedule("billing-api", { every: "P90D", validFor: "P181D" });
    const from = t("2026-12-01T03:00:00Z");
    const until = t("2027-07-01T03:00:00Z");
    const runs = appRuns(schedule, from, until);

    it("runs first at the start, then at 03:00 UTC on or after each instant a declared credential changes role", () => {
        assert.equal(runs[0].at.toISO(), from.toISO());
        for (let i = 1; i < runs.length; i++) {
            const change = nextChangeOf(runs[i - 1].declared, runs[i - 1].at)!;
            assert.equal(runs[i].at.hour, 3);
            assert.ok(runs[i].at >= change && runs[i].at.minus({ days: 1 }) < change, `${runs[i].at.toISO()} after ${change.toISO()}`);
        }
        assert.deepEqual(runs.map((r) => toRfc3339(r.at).slice(0, 10)), ["2026-12-01", "2026-12-10", "2027-03-10", "2027-03-11", "2027-06-08", "2027-06-09"]);
    });

    it("follows each credential: issued, in Key Vault, replaced, removed; from an empty stack, nothing for an earlier period", () => {
        const timeline = appTimeline(schedule, runs);
        const day = (s: string | undefined) => s?.slice(0, 10) ?? "-";
        assert.deepEqual(timeline.credentials.map((c) => [c.slot, day(c.startDateTime), day(c.endDateTime), day(c.issued), day(c.inServiceFrom), day(c.replaced), day(c.removed)]), [
            ["a", "2026-09-11", "2027-03-11", "2026-12-01", "2026-12-01", "2026-12-10", "2027-03-11"],
            ["b", "2026-12-10", "2027-06-09", "2026-12-10", "2026-12-10", "2027-03-10", "2027-06-09"],
            ["c", "2027-03-10", "2027-09-07", "2027-03-10", "2027-03-10", "2027-06-08", "-"],
            ["a", "2027-06-08", "2027-12-06", "2027-06-08", "2027-06-08", "-", "-"],
        ]);
        assert.deepEqual(timeline.rotations.map(day), ["2026-12-10", "2027-03-10", "2027-06-08"]);
        assert.equal(day(timeline.nextRotation), "2026-12-10");
    });

    it("a password sent without a startDate is valid from the run that created it", () => {
        const timeline = appTimeline(schedule, runs, { startDateSent: false });
        assert.deepEqual(timeline.credentials.map((c) => c.startDateTime), timeline.credentials.map((c) => c.issued));
    });

    it("the fleet runs on every day any app needs, and on the day another credential changes", () => {
        const other = appRuns(rotationSchedule("orders-worker", { every: "P30D" }), from, until);
        const all = fleetRuns(from, until, [runs, other], [t("2027-01-05T12:00:00Z"), t("2030-01-01T00:00:00Z")]).map((r) => r.toMillis());
        for (const run of [...runs, ...other]) assert.ok(all.includes(run.at.toMillis()));
        assert.ok(all.includes(t("2027-01-06T03:00:00Z").toMillis()), "the day after another credential's change at noon");
        assert.equal(new Set(all).size, all.length);
        assert.deepEqual([...all].sort((a, b) => a - b), all);
        assert.ok(all.every((r) => r <= until.toMillis()));
    });
});
