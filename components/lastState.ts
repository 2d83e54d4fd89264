// What the stack held when this run began, read through the engine's builtin invoke
// `pulumi:pulumi:readStackResourceOutputs` (pulumi/pulumi pkg/resource/deploy/builtins.go): it answers
// { name, outputs: { <urn>: { type, outputs } } } from the stack's latest snapshot
// (BackendClient.GetStackResourceOutputs, pkg/resource/deploy/deployment.go: "Resources are retrieved
// from the latest stack snapshot, which may include ongoing updates"; resources pending deletion are
// left out). The stack names itself as "<organization>/<project>/<stack>", the form every backend
// parses (the DIY backend's organization is "organization").
//
// Only ever used to decide *not to create* something: when the answer is missing (an engine without
// the invoke, a mock that does not model it), callers declare what they declared before.
import * as pulumi from "@pulumi/pulumi";

export const READ_STACK_RESOURCE_OUTPUTS = "pulumi:pulumi:readStackResourceOutputs";

export interface LastStateResource {
    readonly urn: string;
    readonly type: string;
    readonly outputs: Record<string, unknown>;
}

/** One read per run: every component of a program shares it (keyed by the runtime's monitor). */
const reads = new WeakMap<object, Promise<LastStateResource[] | undefined>>();

/** The resources of the stack's last snapshot, or undefined when the engine cannot say. Never throws. */
export function lastState(): Promise<LastStateResource[] | undefined> {
    const monitor = pulumi.runtime.getMonitor() as object | undefined;
    const cached = monitor ? reads.get(monitor) : undefined;
    if (cached) return cached;
    const read = readLastState();
    if (monitor) reads.set(monitor, read);
    return read;
}

function organization(): string {
    try {
        return pulumi.getOrganization() || "organization";
    } catch {
        return "organization"; // an engine or a mock that does not pass one: the DIY backend's name
    }
}

async function readLastState(): Promise<LastStateResource[] | undefined> {
    try {
        const stackName = `${organization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
        const answer = await pulumi.runtime.invoke(READ_STACK_RESOURCE_OUTPUTS, { stackName });
        return resourcesOf(answer);
    } catch (error) {
        void pulumi.log.debug(`keyrelay: the stack's last state could not be read (${(error as Error)?.message?.split("\n")[0]}); every planned credential is declared`);
        return undefined;
    }
}

/** The answer's resources, or undefined when it is not the builtin's shape. */
export function resourcesOf(answer: unknown): LastStateResource[] | undefined {
    const outputs = (answer as { outputs?: unknown } | undefined)?.outputs;
    if (outputs === null || typeof outputs !== "object" || Array.isArray(outputs)) return undefined;
    const resources: LastStateResource[] = [];
    for (const [urn, entry] of Object.entries(outputs as Record<string, unknown>)) {
        const { type, outputs: state } = (entry ?? {}) as { type?: unknown; outputs?: unknown };
        if (typeof type !== "string") continue;
        resources.push({ urn, type, outputs: state !== null && typeof state === "object" ? state as Record<string, unknown> : {} });
    }
    return resources;
}
