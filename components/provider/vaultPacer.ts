// The per-vault pacer: it learns the vault's window limit from the first bare 429 and sends no
// faster than that, so a batch of writes runs at the vault's pace instead of in bursts; it also
// bounds the requests in flight to one vault. Plain data and functions: state lives per process.

/** Per-vault record of this process's requests and of the limit a bare 429 revealed. */
export interface VaultPacer {
    /** Times (epoch ms, ascending) of requests the vault accepted or may still accept, including reserved future slots. */
    sent: number[];
    /** Times (epoch ms, ascending) the vault's acceptances were confirmed: what a bare 429 measures the limit by. */
    accepted: number[];
    /** Requests per window the vault allowed before it throttled; undefined until a bare 429. */
    limit?: number;
    lastThrottleAt?: number;
    /** The first request to the vault, in flight: the others wait for it, so one bearer challenge serves them all. */
    firstRequest?: Promise<void>;
    inFlight: number;
    /** Requests waiting for one of the in-flight places. */
    waiting: (() => void)[];
}

export function newVaultPacer(): VaultPacer {
    return { sent: [], accepted: [], inFlight: 0, waiting: [] };
}

function dropBefore(times: number[], cutoff: number): void {
    let drop = 0;
    while (drop < times.length && times[drop] <= cutoff) drop += 1;
    if (drop > 0) times.splice(0, drop);
}

function prune(pacer: VaultPacer, now: number, windowMs: number): void {
    dropBefore(pacer.sent, now - windowMs);
    dropBefore(pacer.accepted, now - windowMs);
}

function insertSorted(times: number[], t: number): void {
    let at = times.length;
    while (at > 0 && times[at - 1] > t) at -= 1;
    times.splice(at, 0, t);
}

/**
 * Reserves the earliest slot the learned limit allows and returns it (epoch ms, >= now).
 * A limit is forgotten after two windows without a bare 429, so a vault whose load
 * dropped is used at full speed again.
 */
export function reserveSlot(pacer: VaultPacer, now: number, windowMs: number): number {
    prune(pacer, now, windowMs);
    if (pacer.limit !== undefined && pacer.lastThrottleAt !== undefined && now - pacer.lastThrottleAt > 2 * windowMs) {
        pacer.limit = undefined;
    }
    let slot = now;
    if (pacer.limit !== undefined && pacer.sent.length >= pacer.limit) {
        slot = Math.max(now, pacer.sent[pacer.sent.length - pacer.limit] + windowMs);
    }
    pacer.sent.push(slot);
    return slot;
}

/**
 * A bare 429 answered the request sent at `slot`: it did not count, and the acceptances
 * confirmed within the window are the limit (requests still in flight are not counted:
 * they may be refused too, and overcounting would send more into a full window).
 */
export function learnFromThrottle(pacer: VaultPacer, slot: number, now: number, windowMs: number): void {
    const i = pacer.sent.lastIndexOf(slot);
    if (i >= 0) pacer.sent.splice(i, 1);
    prune(pacer, now, windowMs);
    if (pacer.accepted.length > 0) pacer.limit = pacer.accepted.length;
    pacer.lastThrottleAt = now;
}

/** The vault accepted the request sent at `slot` by `now` at the latest: count it from then, to stay on the safe side of its window. */
export function recordAccepted(pacer: VaultPacer, slot: number, now: number): void {
    const i = pacer.sent.lastIndexOf(slot);
    if (i >= 0) pacer.sent.splice(i, 1);
    insertSorted(pacer.sent, now);
    insertSorted(pacer.accepted, now);
}

export async function enterVault(pacer: VaultPacer, maxInFlight: number): Promise<void> {
    if (pacer.inFlight >= maxInFlight) await new Promise<void>((resolve) => pacer.waiting.push(resolve));
    else pacer.inFlight += 1;
}

export function leaveVault(pacer: VaultPacer): void {
    const next = pacer.waiting.shift();
    if (next) next();
    else pacer.inFlight -= 1;
}

