// Test helpers around the pack's in-process runner (policies/lib/runInProcess.ts).
import { Settings } from "luxon";
import type { AnalyzedResource } from "../../policies/lib/runInProcess";

export { runResourcePolicy, runStackPolicy, Violation } from "../../policies/lib/runInProcess";
export type FixtureResource = AnalyzedResource;
export type PolicyConfig = Record<string, unknown>;

/** Pins luxon's clock to an instant (ISO text) until the returned function is called. */
export function pinClock(iso: string): () => void {
    const pinned = Date.parse(iso);
    if (Number.isNaN(pinned)) throw new Error(`pinClock: ${iso} is not a date`);
    const previous = Settings.now;
    Settings.now = () => pinned;
    return () => { Settings.now = previous; };
}

/** A deep copy with `change` applied, for one mutation per test. */
export function mutated(resource: FixtureResource, change: (copy: FixtureResource) => void): FixtureResource {
    const copy = structuredClone(resource);
    change(copy);
    return copy;
}
