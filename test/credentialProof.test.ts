// The proof loop and the `proof` argument, tested directly on a virtual clock: no network, no Pulumi.
import { strict as assert } from "assert";
import { DateTime } from "luxon";
import { MAX_PROOF_REQUESTS, ProofTiming, proveCredential } from "../components/provider/credentialProof";
import { checkProofArgs, proofProblems } from "../components/proofSettings";
import { validateRotatedAppRegistration } from "../components/rotatedAppRegistration";
import { isInputError } from "../lib/errors";
import type { TokenAnswer } from "../lib/tokenEndpoint";

const T0 = DateTime.fromISO("2027-01-01T02:00:00Z", { zone: "utc" });
const invalid: TokenAnswer = { ok: false, status: 401, code: 7000215, description: "AADSTS7000215: Invalid client secret provided." };

/** A virtual clock: sleeps advance it and are recorded. */
function clock(timing: Partial<ProofTiming> = {}) {
    let elapsed = 0;
    const sleeps: number[] = [];
    const t: ProofTiming = {
        backoffBaseMs: 1000, backoffMaxMs: 16_000, successGapMs: 1000, requestTimeoutMs: 30_000,
        sleep: async (ms) => { sleeps.push(ms); elapsed += ms; }, now: () => T0.plus(elapsed), ...timing,
    };
    return { timing: t, sleeps, elapsed: () => elapsed, now: () => T0.plus(elapsed) };
}

describe("proof loop (virtual clock)", () => {
    it("needs N successes in a row: a refusal between successes starts the count again", async () => {
        const answers: TokenAnswer[] = [{ ok: true }, invalid, { ok: true }, { ok: true }, { ok: true }];
        const c = clock();
        const outcome = await proveCredential(async () => answers.shift()!, { attempts: 3, withinMs: 300_000 }, c.timing);
        assert.equal(outcome.proven, true);
        assert.deepEqual(outcome.requests.map((r) => r.ok), [true, false, true, true, true]);
        assert.deepEqual(c.sleeps, [1000, 1000, 1000, 1000], "a success gap, one backoff, two gaps");
    });

    it("backs off 1, 2, 4, 8, 16, 16 s while Entra propagates, then proves", async () => {
        const c = clock();
        const acceptedAt = T0.plus({ seconds: 40 });
        const outcome = await proveCredential(async () => (c.now() >= acceptedAt ? { ok: true } : invalid), { attempts: 3, withinMs: 300_000 }, c.timing);
        assert.equal(outcome.proven, true);
        assert.deepEqual(c.sleeps, [1000, 2000, 4000, 8000, 16000, 16000, 1000, 1000]);
        assert.equal(outcome.elapsedMs, 49_000);
    });

    it("every wait honours the budget: it ends at the budget, never past it, and each request's timeout is cut to what is left", async () => {
        const c = clock();
        const timeouts: number[] = [];
        const outcome = await proveCredential(async (timeoutMs) => { timeouts.push(timeoutMs); return invalid; }, { attempts: 3, withinMs: 20_000 }, c.timing);
        assert.equal(outcome.proven, false);
        assert.equal(outcome.stop, "budget");
        assert.equal(c.elapsed(), 20_000);
        assert.deepEqual(c.sleeps, [1000, 2000, 4000, 8000, 5000]);
        assert.deepEqual(timeouts, [20_000, 19_000, 17_000, 13_000, 5_000]);
        assert.equal(outcome.lastRefusal?.code, 7000215);
    });

    it("a refusal waiting cannot change (AADSTS7000222 expired) ends the proof at once", async () => {
        const c = clock();
        const outcome = await proveCredential(async () => ({ ok: false, status: 401, code: 7000222, description: "expired" }), { attempts: 3, withinMs: 300_000 }, c.timing);
        assert.equal(outcome.stop, "refused");
        assert.equal(outcome.requests.length, 1);
        assert.deepEqual(c.sleeps, []);
    });

    it("retries a struggling endpoint (503, a reset connection), stops at once on a host that does not resolve", async () => {
        const c = clock();
        const answers: Array<TokenAnswer | Error> = [{ ok: false, status: 503, code: undefined, description: "busy" }, Object.assign(new Error("reset"), { code: "ECONNRESET" }), { ok: true }, { ok: true }, { ok: true }];
        const proven = await proveCredential(async () => { const a = answers.shift()!; if (a instanceof Error) throw a; return a; }, { attempts: 3, withinMs: 300_000 }, c.timing);
        assert.equal(proven.proven, true);
        assert.equal(proven.requests[1].unreachable, "ECONNRESET");
        const dns = await proveCredential(async () => { throw Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }); }, { attempts: 3, withinMs: 300_000 }, clock().timing);
        assert.equal(dns.stop, "unreachable");
        assert.equal(dns.requests.length, 1);
    });

    it("ends after a bounded number of requests even when the clock does not move", async () => {
        const frozen = clock({ sleep: async () => undefined, now: () => T0 });
        const outcome = await proveCredential(async () => invalid, { attempts: 3, withinMs: 300_000 }, frozen.timing);
        assert.equal(outcome.proven, false);
        assert.equal(outcome.requests.length, MAX_PROOF_REQUESTS);
    });
});

describe("the proof argument", () => {
    it("accepts false, the defaults and the bounds; names the field and the fix otherwise", () => {
        for (const ok of [undefined, false, {}, { attempts: 1, within: "PT1S" }, { attempts: 10, within: "PT30M" }]) assert.deepEqual(proofProblems(ok), [], JSON.stringify(ok));
        const cases: Array<[unknown, string, RegExp]> = [
            [true, "proof", /not an object or false/],
            ["PT5M", "proof", /not an object or false/],
            [{ attempts: 0 }, "proof.attempts", /not a whole number from 1 to 10/],
            [{ attempts: 11 }, "proof.attempts", /not a whole number from 1 to 10/],
            [{ attempts: 2.5 }, "proof.attempts", /not a whole number/],
            [{ within: "PT31M" }, "proof.within", /outside \(PT0S, PT30M\]/],
            [{ within: "PT0S" }, "proof.within", /outside/],
            [{ within: "5m" }, "proof.within", /not an ISO-8601 duration/],
        ];
        for (const [proof, field, problem] of cases) {
            const [first] = proofProblems(proof);
            assert.equal(first?.field, field, JSON.stringify(proof));
            assert.match(first.problem, problem);
            assert.ok(first.fix.length > 10);
        }
        assert.throws(() => checkProofArgs('VaultSecret "x"', { attempts: 0 }), (e: unknown) => isInputError(e) && e.field === "proof.attempts" && /VaultSecret "x": proof\.attempts is 0/.test(e.message));
    });

    it("RotatedAppRegistration refuses a bad proof before anything is declared", () => {
        const args = { displayName: "billing-api", vault: { url: "https://kv-x.vault.azure.net", secretName: "billing-api-client-secret" } };
        assert.throws(() => validateRotatedAppRegistration("billing-api", { ...args, proof: { within: "PT1H" } }),
            (e: unknown) => isInputError(e) && e.field === "proof.within" && /RotatedAppRegistration "billing-api": proof\.within is "PT1H"/.test(e.message));
    });
});
