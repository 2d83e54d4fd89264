// The retry policy: runs one Key Vault request at its vault's pace and asks the strategies what
// to do after each failure (vaultRetryStrategy.ts); it keeps no rules of its own beyond telling the
// pacer what the vault answered. Plain functions only: the provider that uses them runs in the
// engine's dynamic provider host.
import { DateTime } from "luxon";
import { VaultRequestTarget } from "./vaultErrors";
import { VaultPacer, enterVault, learnFromThrottle, leaveVault, recordAccepted, reserveSlot } from "./vaultPacer";
import { RetryState, VaultRetryStrategy, bareThrottleStrategy, isBareThrottle, requestTimeoutStrategy } from "./vaultRetryStrategy";
import { VaultRetrySettings } from "./vaultRetrySettings";

export interface RetryContext {
    settings: VaultRetrySettings;
    pacer: VaultPacer;
    /** What the request is about, named in the error that ends its retries. */
    target: VaultRequestTarget;
    /** Waits; replaceable so tests can record the delays. */
    sleep?: (ms: number) => Promise<void>;
    random?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs one vault request at the pacer's pace, retrying bare 429s with the bounded backoff
 * and requests that timed out (the SDK leaves those to the caller) like dropped connections.
 */
export async function withThrottleRetry<T>(request: () => Promise<T>, context: RetryContext): Promise<T> {
    const { pacer } = context;
    if (pacer.firstRequest) {
        await pacer.firstRequest;
        return sendWithRetry(request, context);
    }
    const sent = sendWithRetry(request, context);
    // A failed first request leaves the gate open: the next caller becomes the first.
    pacer.firstRequest = sent.then(() => undefined, () => {
        pacer.firstRequest = undefined;
    });
    return sent;
}

async function sendWithRetry<T>(request: () => Promise<T>, context: RetryContext): Promise<T> {
    const { settings, pacer } = context;
    const sleep = context.sleep ?? realSleep;
    const strategies: VaultRetryStrategy[] = [
        requestTimeoutStrategy(settings, context.target, context.random),
        bareThrottleStrategy(settings, context.target, context.random),
    ];
    const started = DateTime.now().toMillis();
    const state: RetryState = { throttled: 0, timedOut: 0, elapsedMs: 0 };
    for (;;) {
        await enterVault(pacer, settings.maxInFlight);
        let slot = 0;
        let outcome: { ok: true; value: T } | { ok: false; error: unknown };
        try {
            slot = reserveSlot(pacer, DateTime.now().toMillis(), settings.windowMs);
            const wait = slot - DateTime.now().toMillis();
            if (wait > 0) await sleep(wait);
            outcome = { ok: true, value: await request() };
        } catch (error) {
            outcome = { ok: false, error };
        } finally {
            leaveVault(pacer);
        }
        if (outcome.ok) {
            recordAccepted(pacer, slot, DateTime.now().toMillis());
            return outcome.value;
        }
        const { error } = outcome;
        const bareThrottle = isBareThrottle(error);
        if (bareThrottle) learnFromThrottle(pacer, slot, DateTime.now().toMillis(), settings.windowMs);
        state.elapsedMs = DateTime.now().toMillis() - started;
        const decision = strategies.map((s) => s.retry(state, error)).find((d) => d !== undefined);
        if (!decision) throw error;
        if (decision.errorToThrow !== undefined) throw decision.errorToThrow;
        await sleep(decision.retryAfterMs!);
        if (bareThrottle) state.throttled += 1;
        else state.timedOut += 1;
    }
}
