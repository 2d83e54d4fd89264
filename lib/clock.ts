// Pinning luxon's clock: code under test, the policy pack and the simulated runs all read time
// through luxon (DateTime.now()), so running them "at" an instant is setting Settings.now for the
// duration of the work, and putting the previous clock back whatever happens.
import { DateTime, Settings } from "luxon";

/** Runs `work` with luxon's clock stopped at `at`; the previous clock comes back afterwards. */
export async function withClockAt<T>(at: DateTime, work: () => Promise<T> | T): Promise<T> {
    const pinned = at.toMillis();
    const previousNow = Settings.now;
    Settings.now = () => pinned;
    try {
        return await work();
    } finally {
        Settings.now = previousNow;
    }
}
