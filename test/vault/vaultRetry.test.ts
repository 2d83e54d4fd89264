// The bare-429 backoff and the per-vault pacer, without a network.
import { strict as assert } from "assert";
import { isVaultError } from "../../lib/errors";
import { VaultPacer, learnFromThrottle, newVaultPacer, recordAccepted, reserveSlot } from "../../components/provider/vaultPacer";
import { RetryContext, withThrottleRetry } from "../../components/provider/vaultRetry";
import { isBareThrottle, jittered } from "../../components/provider/vaultRetryStrategy";
import { RETRY_TIME_SCALE_ENV, vaultRetrySettings, vaultRetrySettingsFromEnvironment } from "../../components/provider/vaultRetrySettings";

const target: RetryContext["target"] = { action: "set", vaultUrl: "https://kv-test.vault.azure.net", secret: "app-client-secret" };

function restError(status: number, headers: Record<string, string> = {}): Error {
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    return Object.assign(new Error(`status ${status}`), { statusCode: status, response: { headers: { get: (n: string) => lower[n.toLowerCase()] } } });
}

describe("vault retry settings", () => {
    it("production: bare-429 delays of 1, 2, 4, 8, 16 s within a 10 s window, SDK retries 3 times", () => {
        const s = vaultRetrySettings();
        assert.deepEqual(s.throttleDelaysMs, [1000, 2000, 4000, 8000, 16000]);
        assert.equal(s.windowMs, 10_000);
        assert.equal(s.transientRetries, 3);
    });

    it("reads a time scale from the environment and rejects a bad one with the fix", () => {
        assert.deepEqual(vaultRetrySettingsFromEnvironment({}), vaultRetrySettings());
        assert.deepEqual(vaultRetrySettingsFromEnvironment({ [RETRY_TIME_SCALE_ENV]: "0.01" }).throttleDelaysMs, [10, 20, 40, 80, 160]);
        for (const bad of ["0", "-1", "2", "fast"]) {
            assert.throws(() => vaultRetrySettingsFromEnvironment({ [RETRY_TIME_SCALE_ENV]: bad }),
                (e: Error) => e.message.includes(RETRY_TIME_SCALE_ENV) && e.message.includes("(0, 1]") && e.message.includes("Unset it"));
        }
    });

    it("jitter stays within +-20% and spans the range", () => {
        assert.equal(jittered(1000, 0.2, () => 0), 800);
        assert.equal(jittered(1000, 0.2, () => 1), 1200);
        assert.equal(jittered(1000, 0.2, () => 0.5), 1000);
    });

    it("a bare 429 is one with none of the Retry-After headers the SDK honours", () => {
        assert.equal(isBareThrottle(restError(429)), true);
        assert.equal(isBareThrottle(restError(429, { "Retry-After": "3" })), false);
        assert.equal(isBareThrottle(restError(429, { "retry-after-ms": "300" })), false);
        assert.equal(isBareThrottle(restError(429, { "x-ms-retry-after-ms": "300" })), false);
        assert.equal(isBareThrottle(restError(503)), false);
    });
});

describe("vault pacer", () => {
    const W = 10_000;

    it("sends at once until a bare 429 teaches it the limit", () => {
        const p = newVaultPacer();
        for (let i = 0; i < 50; i++) assert.equal(reserveSlot(p, 1000 + i, W), 1000 + i);
        assert.equal(p.limit, undefined);
    });

    it("after a bare 429, holds to the number accepted in the window and waits for the oldest to leave it", () => {
        const p = newVaultPacer();
        const slots = Array.from({ length: 5 }, (_, i) => reserveSlot(p, 100 * i, W));
        slots.forEach((s) => recordAccepted(p, s, s + 5));
        const rejected = reserveSlot(p, 600, W);
        learnFromThrottle(p, rejected, 610, W);
        assert.equal(p.limit, 5);
        // The window holds 5 accepted requests (at 5, 105, ..., 405): the next may go when the first leaves it.
        assert.equal(reserveSlot(p, 700, W), 5 + W);
        assert.equal(reserveSlot(p, 700, W), 105 + W);
    });

    it("learns only from confirmed acceptances, not from requests still in flight", () => {
        const p = newVaultPacer();
        const confirmed = Array.from({ length: 3 }, (_, i) => reserveSlot(p, i, W));
        confirmed.forEach((s) => recordAccepted(p, s, s + 1));
        Array.from({ length: 4 }, (_, i) => reserveSlot(p, 10 + i, W));
        const rejected = reserveSlot(p, 20, W);
        learnFromThrottle(p, rejected, 21, W);
        assert.equal(p.limit, 3);
    });

    it("does not learn a limit from a 429 storm in which nothing was accepted", () => {
        const p = newVaultPacer();
        const s = reserveSlot(p, 0, W);
        learnFromThrottle(p, s, 1, W);
        assert.equal(p.limit, undefined);
        assert.equal(reserveSlot(p, 2, W), 2);
    });

    it("forgets the limit after two quiet windows", () => {
        const p: VaultPacer = { ...newVaultPacer(), limit: 1, lastThrottleAt: 0 };
        reserveSlot(p, 1, W);
        assert.equal(reserveSlot(p, 2, W), 1 + W);
        const later = 2 * W + 10;
        assert.equal(reserveSlot(p, later, W), later);
        assert.equal(p.limit, undefined);
    });
});

describe("withThrottleRetry", () => {
    const settings = { ...vaultRetrySettings(), jitter: 0.2 };

    it("retries a bare-429 storm with growing jittered delays, then succeeds", async () => {
        const delays: number[] = [];
        let calls = 0;
        const result = await withThrottleRetry(async () => {
            calls += 1;
            if (calls <= 4) throw restError(429);
            return "written";
        }, { settings, pacer: newVaultPacer(), target, sleep: async (ms) => void delays.push(ms), random: () => 0.5 });
        assert.equal(result, "written");
        assert.equal(calls, 5);
        assert.deepEqual(delays, [1000, 2000, 4000, 8000]);
    });

    it("gives up after the fifth backoff with an error counting the attempts and time", async () => {
        const delays: number[] = [];
        let calls = 0;
        await assert.rejects(withThrottleRetry(async () => {
            calls += 1;
            throw restError(429);
        }, { settings, pacer: newVaultPacer(), target, sleep: async (ms) => void delays.push(ms), random: Math.random }), (e: Error) => {
            assert.ok(isVaultError(e));
            assert.deepEqual([e.action, e.secret, e.vaultUrl, e.status], ["set", "app-client-secret", "https://kv-test.vault.azure.net", 429]);
            assert.match(e.message, /cannot write secret "app-client-secret" in https:\/\/kv-test\.vault\.azure\.net: .*429 \(throttled, no Retry-After\) through 6 attempts.*run again later/);
            return true;
        });
        assert.equal(calls, 6);
        assert.equal(delays.length, 5);
        delays.forEach((d, i) => {
            const nominal = settings.throttleDelaysMs[i];
            assert.ok(d >= nominal * 0.8 && d <= nominal * 1.2, `delay ${i} = ${d}`);
            if (i > 0) assert.ok(d > delays[i - 1], "delays grow");
        });
    });

    it("the first request to a vault goes alone; the rest wait for it, and a failed first lets the next lead", async () => {
        const pacer = newVaultPacer();
        const events: string[] = [];
        let releaseFirst!: () => void;
        const first = withThrottleRetry(() => new Promise<string>((resolve) => {
            events.push("first sent");
            releaseFirst = () => resolve("first");
        }), { settings, pacer, target });
        const rest = Array.from({ length: 3 }, (_, i) => withThrottleRetry(async () => {
            events.push(`other ${i} sent`);
            return `other ${i}`;
        }, { settings, pacer, target }));
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(events, ["first sent"]);
        releaseFirst();
        assert.deepEqual(await Promise.all([first, ...rest]), ["first", "other 0", "other 1", "other 2"]);

        const fresh = newVaultPacer();
        await assert.rejects(withThrottleRetry(async () => { throw restError(403); }, { settings, pacer: fresh, target }));
        let sent = 0;
        await Promise.all([1, 2].map(() => withThrottleRetry(async () => void (sent += 1), { settings, pacer: fresh, target })));
        assert.equal(sent, 2);
    });

    it("keeps at most maxInFlight requests in flight to a vault", async () => {
        const pacer = newVaultPacer();
        let inFlight = 0;
        let peak = 0;
        await Promise.all(Array.from({ length: 40 }, () => withThrottleRetry(async () => {
            inFlight += 1;
            peak = Math.max(peak, inFlight);
            await new Promise((r) => setTimeout(r, 2));
            inFlight -= 1;
        }, { settings: { ...settings, maxInFlight: 5 }, pacer, target })));
        assert.equal(peak, 5);
        assert.equal(pacer.inFlight, 0);
    });

    it("leaves other errors alone: a 429 with Retry-After (the SDK's) and a 403 fail at once", async () => {
        for (const error of [restError(429, { "Retry-After": "2" }), restError(403)]) {
            let calls = 0;
            await assert.rejects(withThrottleRetry(async () => {
                calls += 1;
                throw error;
            }, { settings, pacer: newVaultPacer(), target, sleep: async () => undefined }), (e) => e === error);
            assert.equal(calls, 1);
        }
    });
});
