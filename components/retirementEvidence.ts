// Asks Graph about a run's retirement candidates: which password holds each slot (by its display name,
// which keyrelay derives from the plan), then one sign-in read for all their key ids. Never throws:
// whatever cannot be read becomes an "unknown" answer, and an unknown answer keeps the credential.
import { DateTime, Duration } from "luxon";
import { lastSignIns } from "../lib/signIns";
import type { PlannedCredential } from "./schedule";
import type { RetirementAnswer, RetirePlan } from "./retirementGate";
import { RetirementEvidenceSource, retirementGraph } from "./provider/retirementGraph";

export type RetirementSourceFactory = (plan: RetirePlan) => RetirementEvidenceSource;

let sourceFactory: RetirementSourceFactory = (plan) => retirementGraph(plan.graphUrl);

/** Points every gate of this process at another source (a local Graph in tests); returns the restore. @internal */
export function useRetirementSource(factory: RetirementSourceFactory): () => void {
    const previous = sourceFactory;
    sourceFactory = factory;
    return () => { sourceFactory = previous; };
}

export function retirementSource(plan: RetirePlan): RetirementEvidenceSource {
    return sourceFactory(plan);
}

/** "/applications/<object id>" (azuread.Application.id) to the object id. */
export function applicationObjectId(applicationId: string): string {
    return applicationId.replace(/^\/applications\//, "");
}

function reasonOf(error: unknown): string {
    return ((error as Error)?.message ?? String(error)).split(/\r?\n/)[0].slice(0, 300);
}

/** One answer per candidate slot. */
export async function retirementAnswers(
    candidates: readonly PlannedCredential[], displayNameOf: (c: PlannedCredential) => string,
    applicationId: string, window: Duration, source: RetirementEvidenceSource, now: DateTime = DateTime.utc(),
): Promise<Map<string, RetirementAnswer>> {
    const answers = new Map<string, RetirementAnswer>();
    const all = (answer: RetirementAnswer) => { for (const c of candidates) answers.set(c.slot, answer); return answers; };
    let passwords;
    try {
        passwords = await source.passwords(applicationObjectId(applicationId));
    } catch (error) {
        return all({ kind: "unknown", reason: `the application's passwords could not be read (${reasonOf(error)})` });
    }
    const keyIdsOf = new Map(candidates.map((c) => [c.slot, passwords.filter((p) => p.displayName === displayNameOf(c)).map((p) => p.keyId.toLowerCase())]));
    const asked = [...keyIdsOf.values()].flat();
    if (asked.length === 0) return all({ kind: "gone" });
    const evidence = await lastSignIns(asked, window, source, now);
    if (!evidence.available) return all({ kind: "unknown", reason: evidence.reason });
    for (const c of candidates) {
        const keyIds = keyIdsOf.get(c.slot)!;
        if (keyIds.length === 0) { answers.set(c.slot, { kind: "gone" }); continue; }
        const used = keyIds.map((k) => evidence.byKey.get(k)).filter((s) => s !== undefined)
            .sort((a, b) => b!.at.localeCompare(a!.at));
        answers.set(c.slot, used.length > 0 ? { kind: "in-use", keyIds, last: used[0]! } : { kind: "unused", keyIds });
    }
    return answers;
}
