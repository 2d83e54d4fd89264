import { strict as assert } from "assert";
import * as fc from "fast-check";
import { DateTime, Settings } from "luxon";
import { checkSinceChange } from "../components/sinceChange";
import { isInputError } from "../lib/errors";
import {
    DAY_MS, MAX_VALID_FOR_MS, SCHEDULE_EPOCH, credentialOfPeriod, defaultValidForMs, inServiceCredential,
    longestEveryDaysWithin, minimumValidForMs, nextRotation, periodIndexAt, periodStart, plannedCredentials, rotationPhaseDays,
    rotationSchedule, toRfc3339, transitionEnd,
} from "../components/schedule";

const at = (iso: string) => DateTime.fromISO(iso, { zone: "utc" });

describe("rotation schedule", () => {
    it("defaults to every 89 days, credentials living 2 × 89 days + 1 = 179 days: inside a 180-day tenant limit", () => {
        const schedule = rotationSchedule("billing-api");
        assert.equal(schedule.everyMs, 89 * DAY_MS);
        assert.equal(schedule.validForMs, 179 * DAY_MS);
        assert.ok(schedule.validForMs <= 180 * DAY_MS);
        assert.ok(schedule.phaseMs >= 0 && schedule.phaseMs < 89 * DAY_MS && schedule.phaseMs % DAY_MS === 0);
        assert.doesNotThrow(() => rotationSchedule("billing-api", {}, "r", { maxLifetime: "P180D" }));
    });

    it("keeps at least 15 days of life in service for short periods, and refuses less", () => {
        assert.equal(defaultValidForMs(DAY_MS), 16 * DAY_MS);
        assert.equal(defaultValidForMs(7 * DAY_MS), 22 * DAY_MS);
        assert.equal(defaultValidForMs(30 * DAY_MS), 61 * DAY_MS);
        assert.throws(() => rotationSchedule("x", { every: "P7D", validFor: "P15D" }), /rotation\.validFor is P15D .* too short .*"P22D"/);
        assert.doesNotThrow(() => rotationSchedule("x", { every: "P7D", validFor: "P22D" }));
    });

    describe("the tenant's password lifetime limit (maxLifetime)", () => {
        it("refuses, before anything is created, a schedule whose credentials outlive it, and says which every fits", () => {
            assert.throws(() => rotationSchedule("x", { every: "P90D" }, 'RotatedAppRegistration "x"', { maxLifetime: "P180D" }),
                /RotatedAppRegistration "x": maxLifetime is P180D \(180 days\), shorter than this schedule's credentials \(validFor 181 days, the default for every = P90D\): Entra would refuse each new password with CredentialInvalidLifetimeAsPerAppPolicy\. Use rotation\.every "P89D" or shorter/);
            assert.throws(() => rotationSchedule("x", { every: "P30D", validFor: "P100D" }, "r", { maxLifetime: "P90D" }), /validFor 100 days\).*"P44D" or shorter.*at most "P90D"/);
            assert.throws(() => rotationSchedule("x", {}, "r", { maxLifetime: "P10D" }), /No schedule fits/);
            assert.throws(() => rotationSchedule("x", {}, "r", { maxLifetime: "six months" }), /maxLifetime is "six months", not an ISO-8601 duration/);
        });

        it("the every it names fits, and one day more does not", () => {
            for (let days = 16; days <= 365; days++) {
                const fitting = longestEveryDaysWithin(days * DAY_MS);
                assert.ok(fitting >= 1, `${days}`);
                assert.doesNotThrow(() => rotationSchedule("x", { every: `P${fitting}D` }, "r", { maxLifetime: `P${days}D` }));
                assert.throws(() => rotationSchedule("x", { every: `P${fitting + 1}D` }, "r", { maxLifetime: `P${days}D` }), /maxLifetime|policy pack allows/);
            }
        });
    });

    it("starts periods at midnight UTC on the app's rotation day", () => {
        const schedule = rotationSchedule("billing-api", { every: "P30D" });
        const k = periodIndexAt(schedule, at("2026-11-26T15:00:00Z"));
        const start = periodStart(schedule, k);
        assert.equal(start.toFormat("HH:mm:ss"), "00:00:00");
        assert.ok(start <= at("2026-11-26T15:00:00Z") && at("2026-11-26T15:00:00Z") < periodStart(schedule, k + 1));
        assert.equal(periodStart(schedule, k + 1).diff(start).toMillis(), 30 * DAY_MS);
    });

    it("plans the in-service credential last, the retiring one before it", () => {
        const schedule = rotationSchedule("billing-api");
        const now = at("2026-11-26T02:00:00Z");
        const k = periodIndexAt(schedule, now);
        // A day or more into the period, credential k-2 has expired and is no longer planned.
        const later = periodStart(schedule, k).plus({ days: 2 });
        const planned = plannedCredentials(schedule, later);
        assert.deepEqual(planned.map((c) => c.period), [k - 1, k]);
        assert.deepEqual(planned.map((c) => c.inService), [false, true]);
        assert.equal(planned[1].slot !== planned[0].slot, true);
        assert.deepEqual(inServiceCredential(schedule, later), planned[1]);
        assert.equal(nextRotation(schedule, later).toMillis(), periodStart(schedule, k + 1).toMillis());
    });

    it("keeps credential k-2 only while it is still valid", () => {
        const schedule = rotationSchedule("billing-api");
        const k = periodIndexAt(schedule, at("2026-11-26T02:00:00Z"));
        const boundary = periodStart(schedule, k);
        const early = plannedCredentials(schedule, boundary.plus({ hours: 2 }));
        assert.deepEqual(early.map((c) => c.period), [k - 2, k - 1, k]);
        assert.ok(early[0].endDate > boundary.plus({ hours: 2 }));
        const expiredOld = plannedCredentials(schedule, credentialOfPeriod(schedule, k - 2, false).endDate);
        assert.deepEqual(expiredOld.map((c) => c.period), [k - 1, k]);
    });

    it("formats RFC 3339 in UTC without milliseconds", () => {
        assert.equal(toRfc3339(at("2026-11-26T00:00:00.000Z")), "2026-11-26T00:00:00Z");
        assert.equal(toRfc3339(DateTime.fromISO("2026-11-26T01:00:00+01:00")), "2026-11-26T00:00:00Z");
        assert.equal(SCHEDULE_EPOCH.toMillis(), Date.UTC(2000, 0, 1));
    });

    describe("properties over every from 1 to 180 days and arbitrary instants", () => {
        const everyDays = fc.integer({ min: 1, max: 180 });
        const instant = fc.integer({ min: Date.UTC(2001, 0, 1), max: Date.UTC(2090, 0, 1) }).map((ms) => DateTime.fromMillis(ms, { zone: "utc" }));
        const appName = fc.string({ minLength: 1, maxLength: 30 });

        it("the in-service credential covers now, has at least `every` of life left, and bounded life", () => {
            fc.assert(fc.property(appName, everyDays, instant, (name, days, now) => {
                const schedule = rotationSchedule(name, { every: `P${days}D` });
                const current = inServiceCredential(schedule, now);
                assert.ok(current.startDate <= now && now < current.servesUntil);
                assert.ok(current.endDate.diff(now).toMillis() >= schedule.everyMs);
                assert.ok(current.endDate.diff(current.startDate).toMillis() <= Math.min(schedule.validForMs, MAX_VALID_FOR_MS));
            }), { numRuns: 300 });
        });

        it("the planned set is constant within a period except for dropping an expired k-2", () => {
            fc.assert(fc.property(appName, everyDays, instant, fc.double({ min: 0, max: 1, noNaN: true }), (name, days, now, fraction) => {
                const schedule = rotationSchedule(name, { every: `P${days}D` });
                const k = periodIndexAt(schedule, now);
                const other = periodStart(schedule, k).plus(Math.floor(fraction * (schedule.everyMs - 1)));
                const key = (t: DateTime) => plannedCredentials(schedule, t).filter((c) => c.period >= k - 1)
                    .map((c) => `${c.slot}|${toRfc3339(c.startDate)}|${toRfc3339(c.endDate)}|${c.inService}`).join(";");
                assert.equal(key(now), key(other));
                for (const c of plannedCredentials(schedule, now)) assert.ok(c.endDate > now, "no expired credential is planned");
            }), { numRuns: 300 });
        });

        it("the retiring credential stays valid a full period after a run up to a day late", () => {
            fc.assert(fc.property(appName, everyDays, instant, (name, days, now) => {
                const schedule = rotationSchedule(name, { every: `P${days}D` });
                const k = periodIndexAt(schedule, now);
                const retiring = credentialOfPeriod(schedule, k - 1, false);
                const lateSwitch = periodStart(schedule, k).plus({ days: 1 });
                assert.ok(retiring.endDate.diff(lateSwitch).toMillis() >= schedule.everyMs);
            }), { numRuns: 300 });
        });

        it("slots of consecutive periods differ, so a rotation never touches the credential it retires", () => {
            fc.assert(fc.property(fc.integer({ min: -100000, max: 100000 }), (k) => {
                const schedule = rotationSchedule("x");
                const slots = [k - 2, k - 1, k].map((p) => credentialOfPeriod(schedule, p, false).slot);
                assert.equal(new Set(slots).size, 3);
            }));
        });

        it("minimum validFor is max(2 × every + 1 day, every + 15 days) and the default never goes under it", () => {
            fc.assert(fc.property(everyDays, (days) => {
                assert.equal(minimumValidForMs(days * DAY_MS), Math.max(2 * days + 1, days + 15) * DAY_MS);
                assert.ok(defaultValidForMs(days * DAY_MS) >= minimumValidForMs(days * DAY_MS));
            }));
        });
    });

    describe("spread of rotation days", () => {
        function busiestOverMean(names: string[], days: number): number {
            const perDay = new Array(days).fill(0);
            for (const name of names) perDay[rotationPhaseDays(name, days * DAY_MS)]++;
            return Math.max(...perDay) / (names.length / days);
        }
        const fleets: Record<string, string[]> = {
            "app-0001": Array.from({ length: 1000 }, (_, i) => `app-${String(i + 1).padStart(4, "0")}`),
            "svc-1": Array.from({ length: 1000 }, (_, i) => `svc-${i + 1}`),
            "team-N-api": Array.from({ length: 1000 }, (_, i) => `payments-${i}-api`),
        };
        for (const [style, names] of Object.entries(fleets)) {
            it(`1,000 apps named like ${style}: the busiest day has at most twice the mean, for every from 1 to 180 days`, () => {
                for (let days = 1; days <= 180; days++) {
                    const ratio = busiestOverMean(names, days);
                    assert.ok(ratio <= 2, `every P${days}D: busiest day is ${ratio.toFixed(2)} × the mean`);
                }
            });
        }
        it("is deterministic: the same name always gets the same day", () => {
            assert.equal(rotationPhaseDays("billing-api", 90 * DAY_MS), rotationPhaseDays("billing-api", 90 * DAY_MS));
            const schedule = rotationSchedule("billing-api");
            assert.equal(schedule.phaseMs, rotationSchedule("billing-api").phaseMs);
        });
    });

    describe("a declared change of schedule (since, previous)", () => {
        const since = "2027-03-01";
        const change = rotationSchedule("billing-api", { every: "P30D", since, previous: { every: "P89D" } });
        const previous = rotationSchedule("billing-api", { every: "P89D" });
        const sinceAt = at("2027-03-01T00:00:00Z");

        it("runs the previous schedule until since, and names since as the next rotation when it comes first", () => {
            const before = at("2027-02-27T03:00:00Z");
            assert.deepEqual(plannedCredentials(change, before), plannedCredentials(previous, before));
            const next = nextRotation(change, before);
            assert.equal(next.toMillis(), Math.min(nextRotation(previous, before).toMillis(), sinceAt.toMillis()));
        });

        it("from since: the previous schedule's credentials of that instant, unchanged, then its own in slots named after since", () => {
            const t = at("2027-03-01T03:00:00Z");
            const planned = plannedCredentials(change, t);
            const kept = plannedCredentials(previous, sinceAt.minus({ milliseconds: 1 }));
            assert.deepEqual(planned.slice(0, kept.length).map((c) => ({ ...c, inService: true })), kept.map((c) => ({ ...c, inService: true })));
            assert.ok(planned.slice(0, kept.length).every((c) => !c.inService));
            const own = planned.slice(kept.length);
            assert.ok(own.length >= 1 && own.every((c) => /^20270301-[abc]$/.test(c.slot)));
            assert.ok(own[own.length - 1].inService && own[own.length - 1].startDate <= t);
            assert.ok(own.every((c) => c.period >= periodIndexAt(change, sinceAt)), "no credential of a period before since is issued");
        });

        it("keeps the previous credentials for the longer period plus a day, or until their own end", () => {
            const end = transitionEnd(change)!;
            assert.equal(end.toMillis(), sinceAt.toMillis() + 89 * DAY_MS + DAY_MS);
            const justBefore = plannedCredentials(change, end.minus({ hours: 1 })).filter((c) => !c.slot.startsWith("20270301-"));
            for (const c of justBefore) assert.ok(c.endDate > end.minus({ hours: 1 }));
            assert.deepEqual(plannedCredentials(change, end).filter((c) => !c.slot.startsWith("20270301-")), []);
        });

        it("slot names never collide, whatever the two schedules and the instant", () => {
            fc.assert(fc.property(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 120 }), fc.integer({ min: -30, max: 400 }), (oldDays, newDays, offsetDays) => {
                const schedule = rotationSchedule("app", { every: `P${newDays}D`, since, previous: { every: `P${oldDays}D` } });
                const planned = plannedCredentials(schedule, sinceAt.plus({ days: offsetDays, hours: 3 }));
                assert.equal(new Set(planned.map((c) => c.slot)).size, planned.length);
                assert.equal(planned.filter((c) => c.inService).length, 1);
                assert.ok(planned[planned.length - 1].inService);
            }), { numRuns: 300 });
        });
    });
});

describe("checkSinceChange: a since that changes may not lie before the run (issue 15.6)", () => {
    const RUN = DateTime.fromISO("2027-03-10T02:00:00Z", { zone: "utc" });
    const refused = (oldSince: string | undefined, newSince: string | undefined) => {
        try {
            checkSinceChange(oldSince, newSince, RUN, { resource: 'RotatedAppRegistration "billing-api"' });
        } catch (error) {
            return (error as Error).message;
        }
        return undefined;
    };

    it("refuses a since newly set, or moved, to a day before the run, naming the field and tomorrow", () => {
        const added = refused(undefined, "2027-03-01");
        assert.ok(added, "a newly set past since is refused");
        assert.match(added!, /RotatedAppRegistration "billing-api": rotation.since is 2027-03-01, before this run \(2027-03-10\), and is newly set/);
        assert.match(added!, /"2027-03-11"/);
        assert.match(refused("2027-04-01", "2027-03-09")!, /was 2027-04-01 at the last run/);
        assert.ok(refused("2027-01-01", "2027-02-01"), "moving an old since to another past day is refused too");
    });

    it("passes an unchanged since however old, a since of today or later, a removed since, and a first deploy", () => {
        assert.equal(refused("2026-01-01", "2026-01-01"), undefined);
        assert.equal(refused(undefined, "2027-03-10"), undefined);
        assert.equal(refused("2027-02-01", "2027-03-11"), undefined);
        assert.equal(refused("2027-02-01", undefined), undefined);
        assert.doesNotThrow(() => checkSinceChange(undefined, "2026-01-01", RUN, { firstDeploy: true }));
    });

    it("is an InputError, and reads the clock through luxon by default", () => {
        const previous = Settings.now;
        Settings.now = () => RUN.toMillis();
        try {
            assert.throws(() => checkSinceChange(undefined, "2027-03-09"), (e: unknown) => isInputError(e) && e.field === "rotation.since");
            assert.doesNotThrow(() => checkSinceChange(undefined, "2027-03-10"));
        } finally {
            Settings.now = previous;
        }
    });
});
