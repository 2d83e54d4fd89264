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
import { IN_USE_ALERT_TAG } from "../policies/lib/inUseAlert";
import { PROVIDER_TYPE_TOKENS } from "../policies/lib/contract";

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

/** The last state, indexed once per run for the lookups every component makes. */
export interface LastStateIndex {
    /** Resources whose URN ends in `::<name>` (any type, any parent). */
    named(name: string): readonly LastStateResource[];
    /** The ApplicationPasswords of one application, by their `applicationId` output. */
    passwordsOf(applicationId: string): readonly LastStateResource[];
}

const indexes = new WeakMap<object, Promise<LastStateIndex | undefined>>();

/**
 * lastState(), indexed. Every app of a fleet looks itself up: scanning all resources for each was
 * quadratic (10,000 apps, 80,000 resources: 146 s of CPU in one run), the index is linear.
 */
export function lastStateIndex(): Promise<LastStateIndex | undefined> {
    const monitor = pulumi.runtime.getMonitor() as object | undefined;
    const cached = monitor ? indexes.get(monitor) : undefined;
    if (cached) return cached;
    const index = lastState().then((resources) => resources && indexOf(resources));
    if (monitor) indexes.set(monitor, index);
    return index;
}

/** Pure: the index of a list of resources. */
export function indexOf(resources: readonly LastStateResource[]): LastStateIndex {
    const byName = new Map<string, LastStateResource[]>();
    const byApplication = new Map<string, LastStateResource[]>();
    const add = (map: Map<string, LastStateResource[]>, key: string, r: LastStateResource) => {
        const list = map.get(key);
        if (list) list.push(r); else map.set(key, [r]);
    };
    for (const r of resources) {
        const at = r.urn.lastIndexOf("::");
        if (at >= 0) add(byName, r.urn.slice(at + 2), r);
        if (r.type === PROVIDER_TYPE_TOKENS.applicationPassword && typeof r.outputs.applicationId === "string") add(byApplication, r.outputs.applicationId, r);
    }
    return {
        named: (name) => byName.get(name) ?? [],
        passwordsOf: (applicationId) => byApplication.get(applicationId) ?? [],
    };
}

export const READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs";
/** The organization a DIY backend reports ("diy has no organizations really", pkg/backend/diy/backend.go). */
export const DIY_ORGANIZATION = "organization";

/**
 * Whether the engine can read this stack's snapshot without crashing. backendClient.GetStackResourceOutputs
 * (pulumi/pulumi pkg/backend/backend.go) ranges over `snap.Resources` with no nil check, and a DIY stack
 * that was never deployed has a nil snapshot: CreateStack saves a checkpoint with no deployment
 * (pkg/backend/diy), and DeserializeCheckpoint "Returns nil if there have been no deployments"
 * (pkg/resource/stack/checkpoint.go). A panic there would end the whole `pulumi preview`. So:
 * - in an update, the read waits until the root Stack resource is registered: the engine saves each
 *   step in the snapshot before it answers (pkg/resource/deploy/step_executor.go, "OnResourceStepPost
 *   saved the results of the step in the snapshot"), so the stack has one from then on;
 * - in a preview of a DIY stack, or an update that writes no checkpoints (PULUMI_SKIP_CHECKPOINTS),
 *   it reads only a stack that has outputs, asked through readStackOutputs, which checks for a missing
 *   deployment (diy getSnapshotStackOutputs: `checkpoint.Latest == nil`); a deployed stack with no
 *   outputs is read as unknown there, and the update reads it.
 * The Pulumi Cloud backend always builds a snapshot (httpstate getSnapshot, DeserializeUntypedDeployment):
 * at worst the read fails, which callers treat as unknown.
 */
async function snapshotReadable(stackName: string): Promise<boolean> {
    const skipsCheckpoints = /^(1|true)$/i.test(process.env.PULUMI_SKIP_CHECKPOINTS ?? "");
    if (!pulumi.runtime.isDryRun() && !skipsCheckpoints) {
        const root = pulumi.runtime.getStackResource();
        if (root) await new Promise<unknown>((resolve) => root.urn.apply(resolve));
        return true;
    }
    if (!stackName.startsWith(`${DIY_ORGANIZATION}/`)) return true;
    const answer = await pulumi.runtime.invoke(READ_STACK_OUTPUTS, { name: stackName });
    const outputs = (answer as { outputs?: unknown } | undefined)?.outputs;
    return outputs !== null && typeof outputs === "object" && Object.keys(outputs).length > 0;
}

function organization(): string {
    try {
        return pulumi.getOrganization() || DIY_ORGANIZATION;
    } catch {
        return DIY_ORGANIZATION; // an engine or a mock that does not pass one: the DIY backend's name
    }
}

async function readLastState(): Promise<LastStateResource[] | undefined> {
    try {
        const stackName = `${organization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
        if (!(await snapshotReadable(stackName))) return undefined;
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
        resources.push({ urn, type, outputs: state !== null && typeof state === "object" ? withoutCredentialValue(unwrapped(state as Record<string, unknown>)) : {} });
    }
    return resources;
}

/** Each output as a plain value: the SDK unwraps an invoke's secrets (runtime/invoke.js), and this keeps any it left. */
function unwrapped(outputs: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, pulumi.runtime.unwrapRpcSecret(v)]));
}

/**
 * The answer carries every output, client secret values included (a password's `value`, a VaultSecret's
 * `value`). Nothing keyrelay reads from it needs one, so each is dropped as the answer is read; the in-use
 * alert's note (a VaultSecret tagged `keyrelay-alert`, components/inUseAlert.ts) is no secret and stays.
 */
function withoutCredentialValue(outputs: Record<string, unknown>): Record<string, unknown> {
    if (!("value" in outputs)) return outputs;
    const tags = outputs.tags as Record<string, unknown> | undefined;
    if (tags !== null && typeof tags === "object" && typeof tags[IN_USE_ALERT_TAG] === "string") return outputs;
    const { value: _value, ...rest } = outputs;
    return rest;
}
