// Runs the pack's policies in-process the way the policy SDK's analyzer server does: props behind
// the SDK's own unknown-checking proxy, getConfig returning the policy's config, stack resources
// linked by URN. Used by `keyrelay plan` over simulated stacks and by the policy specs.
import type {
    Policies, PolicyResource, PolicyResourceOptions, ResourceValidationPolicy, StackValidationPolicy,
} from "@pulumi/policy";

// The SDK's proxy is internal (no typings); using the real one keeps unknown handling honest.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { unknownCheckingProxy } = require("@pulumi/policy/proxy") as { unknownCheckingProxy<T extends object>(value: T): T };

/** A resource as a stack (or a simulation) holds it. */
export interface AnalyzedResource {
    type: string;
    name: string;
    urn: string;
    parent?: string;
    /** What Analyze sees: the resource's inputs. */
    inputs: Record<string, unknown>;
    /** What AnalyzeStack sees: the resource's outputs (inputs plus computed values). */
    outputs: Record<string, unknown>;
    propertyDependencies: Record<string, string[]>;
}

export interface Violation {
    message: string;
    urn?: string;
}

export interface PolicyViolation {
    policy: string;
    enforcementLevel: string;
    /** The resource's URN, or undefined for a stack-wide violation without one. */
    urn: string | undefined;
    message: string;
}

/**
 * A deep copy of plain data, made without recursion: structuredClone recurses and throws
 * ("Maximum call stack size exceeded") on properties nested some thousands of levels deep.
 */
export function plainCopy<T>(value: T): T {
    if (value === null || typeof value !== "object") return value;
    const root: unknown = Array.isArray(value) ? [] : {};
    const work: [unknown, Record<string | number, unknown>][] = [[value, root as Record<string, unknown>]];
    while (work.length > 0) {
        const [source, target] = work.pop()!;
        for (const [key, child] of Object.entries(source as object)) {
            if (child !== null && typeof child === "object") {
                const copy = Array.isArray(child) ? [] : {};
                target[key] = copy;
                work.push([child, copy as Record<string, unknown>]);
            } else {
                target[key] = child;
            }
        }
    }
    return root as T;
}

class NotApplicable extends Error {}
const notApplicable = (reason?: string): never => { throw new NotApplicable(reason); };

function resourceOptions(parent: string | undefined): PolicyResourceOptions {
    return {
        protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        ...(parent ? { parent } : {}),
    };
}

function isOfType(type: string) {
    return (resourceClass: unknown) => (resourceClass as { __pulumiType?: string }).__pulumiType === type;
}

async function skippingNotApplicable(check: () => Promise<void> | void): Promise<void> {
    try {
        await check();
    } catch (error) {
        if (!(error instanceof NotApplicable)) throw error;
    }
}

export async function runResourcePolicy(policy: ResourceValidationPolicy, resource: AnalyzedResource, config: object = {}): Promise<Violation[]> {
    const violations: Violation[] = [];
    const validations = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    for (const validate of validations) {
        const props = unknownCheckingProxy(plainCopy(resource.inputs));
        await skippingNotApplicable(() => validate({
            type: resource.type, name: resource.name, urn: resource.urn, props,
            opts: resourceOptions(resource.parent),
            stackTags: new Map(),
            isType: isOfType(resource.type),
            asType: (cls) => (isOfType(resource.type)(cls) ? props as never : undefined),
            getConfig: <T extends object>() => config as T,
            notApplicable,
        }, (message, urn) => violations.push({ message, urn: urn ?? resource.urn })));
    }
    return violations;
}

export async function runStackPolicy(policy: StackValidationPolicy, resources: AnalyzedResource[], config: object = {}): Promise<Violation[]> {
    const byUrn = new Map<string, PolicyResource>();
    const policyResources = resources.map((r) => {
        const props = unknownCheckingProxy(plainCopy(r.outputs));
        const resource: PolicyResource = {
            type: r.type, name: r.name, urn: r.urn, props,
            opts: resourceOptions(r.parent),
            dependencies: [], propertyDependencies: {},
            isType: isOfType(r.type),
            asType: (cls) => (isOfType(r.type)(cls) ? props as never : undefined),
        };
        byUrn.set(r.urn, resource);
        return resource;
    });
    resources.forEach((r, i) => {
        const resource = policyResources[i];
        resource.parent = r.parent ? byUrn.get(r.parent) : undefined;
        for (const [key, urns] of Object.entries(r.propertyDependencies)) {
            resource.propertyDependencies[key] = urns.map((u) => byUrn.get(u)).filter((d): d is PolicyResource => d !== undefined);
        }
        resource.dependencies = [...new Set(Object.values(resource.propertyDependencies).flat())];
    });
    const violations: Violation[] = [];
    await skippingNotApplicable(() => policy.validateStack({
        resources: policyResources,
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable,
    }, (message, urn) => violations.push({ message, urn })));
    return violations;
}

/** Every enabled policy over the resources, each with its config from `config[policyName]` (default {}). */
export async function checkPolicies(policies: Policies, resources: AnalyzedResource[], config: Record<string, object> = {}): Promise<PolicyViolation[]> {
    const found: PolicyViolation[] = [];
    for (const policy of policies) {
        const level = policy.enforcementLevel ?? "advisory";
        if (level === "disabled") continue;
        const policyConfig = config[policy.name] ?? {};
        const violations: Violation[] = [];
        if ("validateResource" in policy && policy.validateResource) {
            for (const resource of resources) violations.push(...await runResourcePolicy(policy, resource, policyConfig));
        }
        if ("validateStack" in policy) {
            violations.push(...await runStackPolicy(policy, resources, policyConfig));
        }
        found.push(...violations.map((v) => ({ policy: policy.name, enforcementLevel: level, urn: v.urn, message: v.message })));
    }
    return found;
}
