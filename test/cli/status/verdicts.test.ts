import { strict as assert } from "assert";
import { DateTime } from "luxon";
import { EXIT_CRITICAL, EXIT_OK, EXIT_WARNING } from "../../../cli/errors";
import { ListedSecret, countByVerdict, isManagedByKeyrelay, judgeSecret, statusExitCode } from "../../../cli/status/verdicts";

const now = DateTime.fromISO("2026-03-10T12:00:00Z", { zone: "utc" });
const day = (offset: number) => now.plus({ days: offset });

function secret(overrides: { expiresInDays?: number | null; nextRotationInDays?: number | null; tags?: Record<string, string>; enabled?: boolean } = {}): ListedSecret {
    const expires = overrides.expiresInDays === null ? undefined : day(overrides.expiresInDays ?? 150);
    const next = overrides.nextRotationInDays === null ? undefined : day(overrides.nextRotationInDays ?? 60).toISO()!;
    const tags: Record<string, string> = { "managed-by": "keyrelay", app: "billing", "client-id": "cid-1", "rotation-every": "P90D" };
    if (next !== undefined) tags["next-rotation"] = next;
    return { name: "billing-client-secret", enabled: overrides.enabled ?? true, expiresOn: expires?.toJSDate(), tags: { ...tags, ...overrides.tags } };
}

describe("cli/verdicts", () => {
    it("is ok with a future rotation and plenty of life, and reports days left and the tags", () => {
        const status = judgeSecret(secret(), now);
        assert.equal(status.verdict, "ok");
        assert.equal(status.daysLeft, 150);
        assert.equal(status.app, "billing");
        assert.equal(status.clientId, "cid-1");
        assert.equal(status.nextRotation, "2026-05-09T12:00:00Z");
        assert.equal(status.reason, undefined);
    });

    it("is due once the next-rotation tag has passed", () => {
        const status = judgeSecret(secret({ nextRotationInDays: -1, expiresInDays: 90 }), now);
        assert.equal(status.verdict, "due");
        assert.match(status.reason!, /rotation was due 2026-03-09/);
    });

    it("is near expiry under the warning window, whatever the rotation says", () => {
        assert.equal(judgeSecret(secret({ expiresInDays: 29.5, nextRotationInDays: -60 }), now).verdict, "near expiry");
        assert.equal(judgeSecret(secret({ expiresInDays: 30, nextRotationInDays: 5 }), now).verdict, "ok");
        assert.equal(judgeSecret(secret({ expiresInDays: 30, nextRotationInDays: 5 }), now, 31).verdict, "near expiry");
    });

    it("is expired at and after the expiry instant, even with tags missing", () => {
        assert.equal(judgeSecret(secret({ expiresInDays: 0 }), now).verdict, "expired");
        const expired = judgeSecret(secret({ expiresInDays: -3, nextRotationInDays: null }), now);
        assert.equal(expired.verdict, "expired");
        assert.equal(expired.daysLeft, -3);
        assert.match(expired.reason!, /AADSTS7000222/);
    });

    it("is missing when keyrelay cannot judge it, and says what is missing", () => {
        assert.match(judgeSecret(secret({ expiresInDays: null }), now).reason!, /no expiry date/);
        assert.match(judgeSecret(secret({ nextRotationInDays: null }), now).reason!, /no next-rotation tag/);
        assert.match(judgeSecret(secret({ tags: { "next-rotation": "soon" } }), now).reason!, /"soon" is not a date/);
        assert.match(judgeSecret(secret({ tags: { "client-id": "" } }), now).reason!, /no client-id tag/);
        const disabled = judgeSecret(secret({ enabled: false }), now);
        assert.equal(disabled.verdict, "missing");
        assert.match(disabled.reason!, /disabled/);
    });

    it("recognises keyrelay's secrets by the managed-by tag only", () => {
        assert.ok(isManagedByKeyrelay(secret()));
        assert.ok(!isManagedByKeyrelay({ name: "x", tags: { app: "billing" } }));
        assert.ok(!isManagedByKeyrelay({ name: "x" }));
    });

    it("maps the worst verdict to the exit code", () => {
        const ok = judgeSecret(secret(), now);
        const due = judgeSecret(secret({ nextRotationInDays: -1 }), now);
        const missing = judgeSecret(secret({ expiresInDays: null }), now);
        const near = judgeSecret(secret({ expiresInDays: 3 }), now);
        const expired = judgeSecret(secret({ expiresInDays: -1 }), now);
        assert.equal(statusExitCode([]), EXIT_OK);
        assert.equal(statusExitCode([ok, ok]), EXIT_OK);
        assert.equal(statusExitCode([ok, due]), EXIT_WARNING);
        assert.equal(statusExitCode([missing, ok]), EXIT_WARNING);
        assert.equal(statusExitCode([due, near]), EXIT_CRITICAL);
        assert.equal(statusExitCode([expired, ok]), EXIT_CRITICAL);
        assert.deepEqual(countByVerdict([ok, due, due, expired]), { ok: 1, due: 2, "near expiry": 0, expired: 1, missing: 0 });
    });
});
