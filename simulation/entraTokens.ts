// Entra's token endpoint as the simulation plays it: the client-credentials grant answered from the
// simulated directory, with each new password known to Entra only after its propagation delay.
// The answers are Entra's documented ones (the same the local token server sends, test/vault/tokenServer.ts).
import { DateTime, Duration } from "luxon";
import type { TokenAnswer } from "../lib/tokenEndpoint";

/** How long Entra takes to accept a new password; "never" for one that never works. */
export type PropagationDelay = (credential: { keyId: string; applicationId: string; createdAt: DateTime }) => Duration | "never";

/**
 * Microsoft documents no figure: "seconds to minutes" is what operators report for AADSTS7000215
 * after a new secret. The default is inside the default budget (PT5M), so a simulation on the
 * defaults proves every rotation; tests pass longer delays to see what happens past the budget.
 */
export const DEFAULT_PROPAGATION_DELAY: PropagationDelay = () => Duration.fromObject({ seconds: 40 });

export interface SimulatedTenant {
    tenantId: string;
    /** The app's resource id for a client id, if the stack declares it. */
    applicationOf(clientId: string): string | undefined;
    credentials(): Iterable<{ keyId: string; applicationId: string; value: string; endDate: string; createdAt: DateTime; deletedAt?: DateTime }>;
    propagation: PropagationDelay;
}

function refusal(status: number, code: number, description: string): TokenAnswer {
    return { ok: false, status, code, description };
}

/** Entra's verdict on a client-credentials request at instant `at`. */
export function simulatedTokenAnswer(tenant: SimulatedTenant, request: { tenantId: string; clientId: string; secret: string }, at: DateTime): TokenAnswer {
    if (request.tenantId !== tenant.tenantId) return refusal(400, 90002, `AADSTS90002: Tenant '${request.tenantId}' not found.`);
    const applicationId = tenant.applicationOf(request.clientId);
    if (!applicationId) return refusal(400, 700016, `AADSTS700016: Application with identifier '${request.clientId}' was not found in the directory '${tenant.tenantId}'.`);
    const matching = [...tenant.credentials()].filter((c) => c.applicationId === applicationId && c.value === request.secret && (!c.deletedAt || c.deletedAt > at));
    const known = matching.filter((c) => {
        const delay = tenant.propagation(c);
        return delay !== "never" && c.createdAt.plus(delay) <= at;
    });
    const invalid = refusal(401, 7000215, `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${request.clientId}'.`);
    if (known.length === 0) return invalid;
    if (known.every((c) => Date.parse(c.endDate) <= at.toMillis())) {
        return refusal(401, 7000222, `AADSTS7000222: The provided client secret keys for app '${request.clientId}' are expired.`);
    }
    return { ok: true };
}
