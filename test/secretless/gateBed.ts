// The evidence gate's test bed: a SimulatedEngine running one RotatedAppRegistration with `retire`, whose
// gate reads a local Graph over HTTPS (a real token server, @azure/identity) that serves the engine's own
// directory, live, and the sign-ins a test adds. Shared by the gate's and the in-use alert's simulations.
import { DateTime } from "luxon";
import { RotatedAppRegistration } from "../../components";
import { useRetirementSource } from "../../components/retirementEvidence";
import { retirementGraph } from "../../components/provider/retirementGraph";
import { createAzureCredential } from "../../components/provider/azureCredential";
import { SimulatedEngine, TYPES } from "../../simulation/engine";
import { LocalGraph, StandInDirectoryObject, startLocalGraph } from "../graph/localGraph";
import { StandInSignIn } from "../graph/signInLogs";
import { cleanTenant } from "../graph/tenants";
import { TokenServer } from "../vault/tokenServer";

export const GATE_START = DateTime.fromISO("2027-01-01T02:00:00Z", { zone: "utc" });
export const GATE_VAULT = "https://kv-platform.vault.azure.net";
export const GATE_SECRET = "billing-api-client-secret";

export interface GateBed {
    engine: SimulatedEngine;
    graph: LocalGraph;
    signIns: StandInSignIn[];
    /** Records a successful service principal sign-in with `keyId` at `at` from `ip`, for Azure Storage. */
    signIn(keyId: string, at: DateTime, ip: string): void;
    /** Stops the Graph and gives the gate its default source back. */
    close(): Promise<void>;
}

export interface GateBedOptions {
    /** Whether the tenant has Entra ID P1/P2 (sign-in logs); default true. */
    premium?: boolean;
    /** Where the gate asks instead of the local Graph (a silent server, say). */
    graphUrl?: string;
    timeoutMs?: number;
}

/** The program's stack outputs: `retirement` (the gate's decisions) and `inUseAlert`. */
export async function startGateBed(tokenServer: TokenServer, ca: string, options: GateBedOptions = {}): Promise<GateBed> {
    const signIns: StandInSignIn[] = [];
    const tenant = { ...cleanTenant(GATE_START).tenant, applications: [] as StandInDirectoryObject[], signIns };
    const graph = await startLocalGraph({ tokenServer, tenant, signInLogs: { premium: options.premium ?? true } });
    const graphUrl = options.graphUrl ?? graph.url;
    // A credential per run, as each `pulumi up` is a process of its own (tokens carry the simulated day's time).
    const restoreSource = useRetirementSource((plan) => retirementGraph(plan.graphUrl, {
        credential: createAzureCredential({ authorityHost: tokenServer.authorityHost, tlsOptions: { ca } }), tlsCa: ca, timeoutMs: options.timeoutMs ?? 20_000,
    }));
    const engine = new SimulatedEngine({
        program: () => {
            const app = new RotatedAppRegistration("billing-api", {
                displayName: "Billing API", rotation: { every: "P30D" }, retire: { unusedFor: "P7D", graphUrl },
                vault: { url: GATE_VAULT, secretName: GATE_SECRET },
            });
            return { retirement: app.retirement, inUseAlert: app.inUseAlert };
        },
    });
    Object.defineProperty(tenant, "applications", {
        get: () => engine.resourcesOfType(TYPES.application).map((a) => ({
            id: a.outputs.objectId, appId: a.outputs.clientId, displayName: "Billing API", signInAudience: "AzureADMyOrg",
            createdDateTime: a.createdAt.toISO(), keyCredentials: [], owners: [],
            passwordCredentials: [...engine.directory.values()].filter((c) => c.applicationId === a.id && !c.deletedAt)
                .map((c) => ({ keyId: c.keyId, displayName: c.displayName ?? null, secretValue: c.value, startDateTime: c.startDate, endDateTime: c.endDate })),
        })),
    });
    return {
        engine, graph, signIns,
        signIn: (keyId, at, ip) => signIns.push({
            id: `${keyId}-${at.toMillis()}`, createdDateTime: at.toISO({ suppressMilliseconds: true })!, appId: "app", appDisplayName: "Billing API",
            servicePrincipalId: "sp", servicePrincipalCredentialKeyId: keyId, ipAddress: ip, resourceDisplayName: "Azure Storage", resourceId: "r",
            status: { errorCode: 0, failureReason: null },
        }),
        close: async () => {
            restoreSource();
            await graph.close();
        },
    };
}
