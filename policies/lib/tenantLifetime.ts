// The tenant's password lifetime cap as the pack's config: the `maxLifetime` of a passwordLifetime
// restriction in the tenant's app management policy, written as Graph writes it (an ISO-8601
// duration such as "P180D": passwordCredentialConfiguration, https://learn.microsoft.com/graph/api/resources/passwordcredentialconfiguration).
// `keyrelay doctor` reads it from the tenant; the pack takes it from config, since a policy run has no Graph.
import { Duration } from "luxon";

export interface TenantLifetime {
    /** As configured, e.g. "P180D". */
    text: string;
    days: number;
}

export const TENANT_MAX_LIFETIME = {
    key: "tenantMaxLifetime",
    schema: {
        type: "string" as const,
        description: "The tenant's passwordLifetime maxLifetime (app management policy), an ISO-8601 duration such as P180D; credentials over it are refused by Entra.",
    },
};

/** The configured cap, or undefined; a bad value throws naming the policy, the key and the fix. */
export function readTenantMaxLifetime(policyName: string, config: Record<string, unknown> | undefined): TenantLifetime | undefined {
    const raw = config?.[TENANT_MAX_LIFETIME.key];
    if (raw === undefined || raw === null) return undefined;
    const duration = typeof raw === "string" ? Duration.fromISO(raw) : undefined;
    const days = duration?.isValid ? duration.as("days") : Number.NaN;
    if (typeof raw !== "string" || !(days > 0)) {
        throw new Error(`keyrelay-credentials: policy "${policyName}": ${TENANT_MAX_LIFETIME.key} is ${JSON.stringify(raw)}, not an ISO-8601 duration such as "P180D" `
            + `(${duration?.invalidExplanation ?? "a positive length is needed"}). Copy maxLifetime from the tenant's passwordLifetime restriction (keyrelay doctor shows it), or leave it out.`);
    }
    return { text: raw, days };
}
