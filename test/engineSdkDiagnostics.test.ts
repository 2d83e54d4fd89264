// What keeps `keyrelay plan` small: the engine turns off the SDK's per-resource callsites and debug
// promises only while a program runs, and the plan can collect the learning run's garbage at once.
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import { DateTime } from "luxon";
import { SimulatedEngine } from "../simulation/engine";
import { collectGarbage } from "../cli/plan/collectGarbage";

const AT = DateTime.fromISO("2027-01-01T03:00:00Z", { zone: "utc" });
const resourceClass = pulumi.Resource as unknown as { callsites(): unknown[] };
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T> };

interface Seen { callsites: number; debugWrapped: boolean }

function observing(seen: Seen[], fail = false) {
    return () => {
        const p = Promise.resolve(1);
        seen.push({ callsites: resourceClass.callsites().length, debugWrapped: debuggable.debuggablePromise(p, "probe") !== p });
        new azuread.Application("probe", { displayName: "probe" });
        if (fail) throw new Error("the program failed on purpose");
    };
}

describe("SimulatedEngine: the SDK's diagnostics while a program runs", () => {
    it("off while the program runs, as they were after a run, and the run still registers its resources", async () => {
        const [callsites, debuggablePromise] = [resourceClass.callsites, debuggable.debuggablePromise];
        const seen: Seen[] = [];
        const engine = new SimulatedEngine({ program: observing(seen) });
        const report = await engine.run(AT);
        assert.deepEqual(report.errors, []);
        assert.deepEqual(seen, [{ callsites: 0, debugWrapped: false }]);
        assert.deepEqual(engine.resources().map((r) => r.name), ["probe"]);
        assert.equal(resourceClass.callsites, callsites);
        assert.equal(debuggable.debuggablePromise, debuggablePromise);
        assert.ok(resourceClass.callsites().length > 0, "outside a run the SDK reads the stack again");
        const p = Promise.resolve(2);
        const wrapped = debuggable.debuggablePromise(p, "after");
        assert.notEqual(wrapped, p, "outside a run the SDK tracks its promises again");
        assert.equal(await wrapped, 2);
    });

    it("put back after a run whose program throws, and off again on the next run", async () => {
        const [callsites, debuggablePromise] = [resourceClass.callsites, debuggable.debuggablePromise];
        const seen: Seen[] = [];
        let fail = true;
        const engine = new SimulatedEngine({ program: () => observing(seen, fail)() });
        const failed = await engine.run(AT);
        assert.match(failed.errors[0]?.message ?? "", /failed on purpose/);
        assert.equal(resourceClass.callsites, callsites);
        assert.equal(debuggable.debuggablePromise, debuggablePromise);
        fail = false;
        assert.deepEqual((await engine.run(AT.plus({ days: 1 }))).errors, []);
        assert.deepEqual(seen, [{ callsites: 0, debugWrapped: false }, { callsites: 0, debugWrapped: false }]);
        assert.equal(resourceClass.callsites, callsites);
        assert.equal(debuggable.debuggablePromise, debuggablePromise);
    });
});

describe("collectGarbage", () => {
    it("frees what nothing references any more, and leaves no global gc behind", () => {
        const hadGc = typeof (globalThis as { gc?: unknown }).gc;
        let garbage: { i: number }[] | undefined = Array.from({ length: 1_000_000 }, (_, i) => ({ i }));
        assert.equal(garbage.length, 1_000_000);
        const before = process.memoryUsage().heapUsed;
        garbage = undefined;
        collectGarbage();
        const freed = before - process.memoryUsage().heapUsed;
        assert.ok(freed > 16 * 1024 * 1024, `freed ${Math.round(freed / 1048576)} MB of a million small objects`);
        assert.equal(typeof (globalThis as { gc?: unknown }).gc, hadGc);
    });
});
