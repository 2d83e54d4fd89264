// The policy pack at a point of the plan's time, and its findings kept across the plan's runs:
// shared by the derived plan and the run-by-run simulation, so both report a violation alike.
import { DateTime } from "luxon";
import type { Policies } from "@pulumi/policy";
import { toRfc3339 } from "../../components/schedule";
import { withClockAt } from "../../lib/clock";
import { PolicyViolation, checkPolicies } from "../../policies/lib/runInProcess";
import type { PlannedViolation } from "./derivedPlan";
import type { PlanResource } from "./fleetModel";

/** The policy pack's violations among `resources` as the pack sees them at `at` (its rules read the clock). */
export function policiesAt(policies: Policies, resources: readonly PlanResource[], at: DateTime): Promise<PolicyViolation[]> {
    return withClockAt(at, () => checkPolicies(policies, resources as PlanResource[]));
}

/** Findings kept per policy and resource: first and last run seen, and in how many runs. */
export class PolicyFindings {
    private readonly seen = new Map<string, { violation: PolicyViolation; first: number; last: number; runs: number }>();

    /** `violation` holds on the runs with indexes first..last. */
    add(violation: PolicyViolation, first: number, last: number): void {
        const key = `${violation.policy}\u0000${violation.urn ?? ""}`;
        const known = this.seen.get(key);
        if (!known) {
            this.seen.set(key, { violation, first, last, runs: last - first + 1 });
            return;
        }
        if (first < known.first) {
            known.first = first;
            known.violation = violation;
        }
        known.last = Math.max(known.last, last);
        known.runs += last - first + 1;
    }

    planned(runs: readonly DateTime[]): PlannedViolation[] {
        return [...this.seen.values()]
            .sort((a, b) => a.first - b.first || a.violation.policy.localeCompare(b.violation.policy) || (a.violation.urn ?? "").localeCompare(b.violation.urn ?? ""))
            .map(({ violation, first, last, runs: count }) => ({ ...violation, firstSeen: toRfc3339(runs[first]), lastSeen: toRfc3339(runs[last]), runs: count }));
    }
}
