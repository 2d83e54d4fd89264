// The proof loop: a new client secret must get a token `attempts` times in a row within a budget
// before Key Vault points at it. Pure: the token request, the clock and the waits are passed in,
// so the provider, the simulation and the tests run the same loop.
import { DateTime } from "luxon";
import type { TokenAnswer } from "../../lib/tokenEndpoint";
import { isUnresolvedError, errorCode } from "../../lib/network";

/**
 * AADSTS codes a new credential gets while Entra's replicas catch up, so worth another request:
 * 7000215 (invalid client secret) for a password seconds to minutes old; 700016 (application not
 * found in the directory) for an app created in the same run. Any other refusal (7000222 expired,
 * 90002 tenant not found, ...) does not change with time, and ends the proof at once.
 */
export const PROOF_RETRY_CODES: readonly number[] = [7000215, 700016];

/** Upper bound on token requests in one proof, whatever the clock does: every loop ends. */
export const MAX_PROOF_REQUESTS = 200;

export interface ProofTiming {
    /** First wait after a refusal; it doubles on each refusal in a row, up to backoffMaxMs. */
    backoffBaseMs: number;
    backoffMaxMs: number;
    /** Wait between two successes, so the next request may reach another replica. */
    successGapMs: number;
    /** Longest a single token request may take (always cut to what is left of the budget). */
    requestTimeoutMs: number;
    sleep: (ms: number) => Promise<void>;
    /** The clock; default luxon's (tests pin it with Settings.now, the simulation runs its own). */
    now?: () => DateTime;
}

/** Microsoft's suggested backoff, as `keyrelay verify` uses it: 1, 2, 4, 8, 16 s, then 16 s; scaled for tests. */
export function proofTiming(timeScale = 1, sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms))): ProofTiming {
    const ms = (n: number) => Math.max(1, Math.round(n * timeScale));
    // A shorter clock still needs time for a TLS handshake on a busy machine.
    return { backoffBaseMs: ms(1000), backoffMaxMs: ms(16_000), successGapMs: ms(1000), requestTimeoutMs: Math.max(2000, ms(30_000)), sleep };
}

export interface ProofRequest {
    attempt: number;
    ok: boolean;
    /** AADSTS code of a refusal. */
    code?: number;
    /** Network error code when the endpoint did not answer. */
    unreachable?: string;
    /** Since the proof began. */
    atMs: number;
}

export type ProofStop = "proven" | "budget" | "refused" | "unreachable";

export interface ProofOutcome {
    proven: boolean;
    stop: ProofStop;
    requests: ProofRequest[];
    elapsedMs: number;
    /** The last refusal Entra gave (its description may be quoted, after redaction). */
    lastRefusal?: Extract<TokenAnswer, { ok: false }>;
    /** The last network error code, when the endpoint did not answer. */
    lastUnreachable?: string;
}

export interface ProofBudget {
    attempts: number;
    withinMs: number;
}

/** Whether waiting can change this refusal: a propagation code, or the endpoint itself struggling (429, 5xx). */
export function isRetryableRefusal(answer: Extract<TokenAnswer, { ok: false }>): boolean {
    if (answer.code !== undefined) return PROOF_RETRY_CODES.includes(answer.code);
    return answer.status === 429 || answer.status >= 500;
}

/** Asks for a token until `attempts` succeed in a row, the budget runs out, or a refusal cannot change. */
export async function proveCredential(ask: (timeoutMs: number) => Promise<TokenAnswer>, budget: ProofBudget, timing: ProofTiming): Promise<ProofOutcome> {
    const now = timing.now ?? (() => DateTime.now());
    const start = now().toMillis();
    const deadline = start + budget.withinMs;
    const remaining = () => deadline - now().toMillis();
    const requests: ProofRequest[] = [];
    let inRow = 0;
    let refusalsInRow = 0;
    let lastRefusal: ProofOutcome["lastRefusal"];
    let lastUnreachable: string | undefined;
    const outcome = (stop: ProofStop): ProofOutcome => ({ proven: stop === "proven", stop, requests, elapsedMs: now().toMillis() - start, lastRefusal, lastUnreachable });
    // Every wait is cut to what is left of the budget.
    const wait = async (ms: number) => { const left = remaining(); if (left > 0) await timing.sleep(Math.min(ms, left)); };
    const backoff = () => Math.min(timing.backoffBaseMs * 2 ** Math.min(refusalsInRow - 1, 30), timing.backoffMaxMs);

    for (let attempt = 1; attempt <= MAX_PROOF_REQUESTS; attempt++) {
        if (remaining() <= 0) return outcome("budget");
        let answer: TokenAnswer;
        try {
            answer = await ask(Math.max(1, Math.min(timing.requestTimeoutMs, remaining())));
        } catch (error) {
            lastUnreachable = errorCode(error) ?? "no answer";
            requests.push({ attempt, ok: false, unreachable: lastUnreachable, atMs: now().toMillis() - start });
            inRow = 0;
            if (isUnresolvedError(error)) return outcome("unreachable");
            refusalsInRow++;
            await wait(backoff());
            continue;
        }
        requests.push({ attempt, ok: answer.ok, ...(answer.ok ? {} : { code: answer.code }), atMs: now().toMillis() - start });
        if (answer.ok) {
            inRow++;
            refusalsInRow = 0;
            if (inRow >= budget.attempts) return outcome("proven");
            await wait(timing.successGapMs);
            continue;
        }
        lastRefusal = answer;
        inRow = 0;
        if (!isRetryableRefusal(answer)) return outcome("refused");
        refusalsInRow++;
        await wait(backoff());
    }
    return outcome("budget");
}

/** Consecutive successes at the end of the record. */
export function successesInRow(requests: readonly ProofRequest[]): number {
    let n = 0;
    for (let i = requests.length - 1; i >= 0 && requests[i].ok; i--) n++;
    return n;
}
