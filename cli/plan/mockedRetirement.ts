// keyrelay plan never calls Graph: the evidence gate (RotatedAppRegistration `retire`) gets mocked
// answers. The app's passwords are the simulated directory's; the sign-in logs hold no sign-in, so
// every retiring credential the gate asks about retires on schedule, a window after it left Key Vault.
// Each question is recorded, and the plan prints one line per gated credential.
import { DateTime } from "luxon";
import { Deadline } from "../../lib/deadline";
import { useRetirementSource } from "../../components/retirementEvidence";
import type { SimulatedEngine } from "../../simulation/engine";

export interface GateQuestion {
    at: DateTime;
    applicationId: string;
    keyIds: string[];
    window: string;
}

/** Installs the mocked gate for the plan's runs; returns the questions asked and the restore. */
export function mockedRetirementGate(engine: SimulatedEngine): { questions: GateQuestion[]; restore: () => void } {
    const questions: GateQuestion[] = [];
    const restore = useRetirementSource((plan) => {
        let applicationId = "";
        return {
            graphUrl: plan.graphUrl,
            deadline: new Deadline(1000, "plan", "graph"),
            async passwords(objectId) {
                applicationId = `/applications/${objectId}`;
                return [...engine.directory.values()].filter((c) => c.applicationId === applicationId && !c.deletedAt)
                    .map((c) => ({ keyId: c.keyId, displayName: c.displayName ?? null }));
            },
            async get<T>(url: string): Promise<T> {
                const filter = new URL(url).searchParams.get("$filter") ?? "";
                const keyIds = [...filter.matchAll(/servicePrincipalCredentialKeyId eq '([0-9a-f-]+)'/gi)].map((m) => m[1]);
                questions.push({ at: DateTime.utc(), applicationId, keyIds, window: plan.unusedForText });
                return { value: [] } as T;
            },
        };
    });
    return { questions, restore };
}
