// How long keyrelay waits on Key Vault, and how often it tries again: one settings object, with
// production timing scaled down for tests and drills.
import { KeyrelayError } from "../../lib/errors";

export interface VaultRetrySettings {
    /** Delays before the retries that follow a bare 429, in ms (1, 2, 4, 8, 16 s); their count bounds the retries. */
    throttleDelaysMs: number[];
    /** Each delay is drawn from delay x [1 - jitter, 1 + jitter]. */
    jitter: number;
    /** Key Vault counts its limits per window of this length, in ms. */
    windowMs: number;
    /** SDK retries for 408, 5xx and dropped connections, with exponential delays from transientDelayMs up to transientMaxDelayMs. */
    transientRetries: number;
    transientDelayMs: number;
    transientMaxDelayMs: number;
    /** A request that has not answered after this many ms is abandoned (and retried as a dropped connection). */
    requestTimeoutMs: number;
    /** Poll interval for delete and recover, in ms. */
    pollIntervalMs: number;
    /** Requests in flight to one vault at most (pulumi up runs every write at once; a vault needs far fewer connections). */
    maxInFlight: number;
    /** Longest wait a Retry-After header may ask for, in ms; longer asks are cut to this (the SDK's retries bound their number). */
    maxRetryAfterMs: number;
}

/** What to do when the vault's request budget is used up: one sentence, the same for a bare 429 and a capped Retry-After. */
export const THROTTLE_BUDGET_ADVICE = "The vault's request budget (about 4,000 per 10 s) is used up, perhaps by another client; " +
    "run again later, or lower the number of secrets written at once (pulumi up --parallel).";

/** Environment variable that speeds every wait up by a factor (0 < scale <= 1); for tests and drills. */
export const RETRY_TIME_SCALE_ENV = "KEYRELAY_VAULT_RETRY_TIME_SCALE";

/** The production settings, with every duration multiplied by `timeScale`. */
export function vaultRetrySettings(timeScale = 1): VaultRetrySettings {
    const ms = (n: number) => Math.max(1, Math.round(n * timeScale));
    return {
        throttleDelaysMs: [1000, 2000, 4000, 8000, 16000].map(ms),
        jitter: 0.2,
        windowMs: ms(10_000),
        transientRetries: 3,
        transientDelayMs: ms(1000),
        transientMaxDelayMs: ms(16_000),
        // A shorter clock still needs time for a TLS handshake on a busy machine.
        requestTimeoutMs: Math.max(2000, ms(60_000)),
        pollIntervalMs: ms(2000),
        maxInFlight: 64,
        maxRetryAfterMs: ms(60_000),
    };
}

/** Settings for a provider run: production timing unless KEYRELAY_VAULT_RETRY_TIME_SCALE says otherwise. */
export function vaultRetrySettingsFromEnvironment(env: NodeJS.ProcessEnv = process.env): VaultRetrySettings {
    const raw = env[RETRY_TIME_SCALE_ENV];
    if (raw === undefined || raw === "") return vaultRetrySettings(1);
    const scale = Number(raw);
    if (!Number.isFinite(scale) || scale <= 0 || scale > 1) {
        throw new KeyrelayError("InvalidEnvironment", `keyrelay: ${RETRY_TIME_SCALE_ENV} is ${JSON.stringify(raw)}, not a number in (0, 1]`,
            { fix: "Unset it for production timing, or set it to a factor such as 0.01 to make retries 100 times faster in a test" });
    }
    return vaultRetrySettings(scale);
}

