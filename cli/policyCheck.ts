// Runs the policy pack's policies in-process over a simulated stack, with the argument shapes
// the CrossGuard SDK passes (@pulumi/policy ResourceValidationArgs / StackValidationArgs).
import type { Policies, PolicyResource, PolicyResourceOptions, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import type { SimulatedResource } from "../simulation/engine";

export interface PolicyViolation {
    policy: string;
    enforcementLevel: string;
    /** The resource's URN, or undefined for a stack-wide violation without one. */
    urn: string | undefined;
    message: string;
}

class NotApplicable extends Error {}

function optionsOf(resource: SimulatedResource): PolicyResourceOptions {
    return {
        protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        ...(resource.parent ? { parent: resource.parent } : {}),
    };
}

function typeTokenOf(resourceClass: unknown): string | undefined {
    return (resourceClass as { __pulumiType?: string }).__pulumiType;
}

const notApplicable = (reason?: string): never => { throw new NotApplicable(reason); };

/** The resources' policy violations, with each policy's config taken from `config[policyName]` (default {}). */
export async function checkPolicies(policies: Policies, resources: readonly SimulatedResource[], config: Record<string, object> = {}): Promise<PolicyViolation[]> {
    const violations: PolicyViolation[] = [];
    const stackTags = new Map<string, string>();
    const byUrn = new Map<string, PolicyResource>();
    for (const r of resources) {
        byUrn.set(r.urn, {
            type: r.type, props: r.outputs, urn: r.urn, name: r.name, opts: optionsOf(r),
            dependencies: [], propertyDependencies: {},
            isType: (cls) => typeTokenOf(cls) === r.type,
            asType: (cls) => (typeTokenOf(cls) === r.type ? r.outputs as never : undefined),
        });
    }
    for (const r of resources) {
        const view = byUrn.get(r.urn)!;
        view.parent = r.parent ? byUrn.get(r.parent) : undefined;
        for (const [key, urns] of Object.entries(r.propertyDependencies)) {
            view.propertyDependencies[key] = urns.map((u) => byUrn.get(u)).filter((d): d is PolicyResource => d !== undefined);
        }
        view.dependencies = [...new Set(Object.values(view.propertyDependencies).flat())];
    }
    for (const policy of policies) {
        const level = policy.enforcementLevel ?? "advisory";
        if (level === "disabled") continue;
        const getConfig = <T extends object>() => (config[policy.name] ?? {}) as T;
        const report = (urn: string | undefined) => (message: string, violationUrn?: string) => {
            violations.push({ policy: policy.name, enforcementLevel: level, urn: violationUrn ?? urn, message });
        };
        if ("validateResource" in policy && policy.validateResource) {
            const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
            for (const r of resources) {
                const args: ResourceValidationArgs = {
                    type: r.type, props: r.inputs, urn: r.urn, name: r.name, opts: optionsOf(r), stackTags,
                    isType: (cls) => typeTokenOf(cls) === r.type,
                    asType: (cls) => (typeTokenOf(cls) === r.type ? r.inputs as never : undefined),
                    getConfig, notApplicable,
                };
                for (const validate of validations) {
                    try { await validate(args, report(r.urn)); } catch (error) { if (!(error instanceof NotApplicable)) throw error; }
                }
            }
        }
        if ("validateStack" in policy && policy.validateStack) {
            const args: StackValidationArgs = { resources: [...byUrn.values()], stackTags, getConfig, notApplicable };
            try { await policy.validateStack(args, report(undefined)); } catch (error) { if (!(error instanceof NotApplicable)) throw error; }
        }
    }
    return violations;
}
