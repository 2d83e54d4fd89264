// Runs policies in-process the way the policy SDK's server does: props behind the SDK's own
// unknown-checking proxy, getConfig returning the policy's config, stack resources linked by URN.
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { Settings } from "luxon";

// The SDK's proxy is internal (no typings); using the real one keeps the tests honest about unknowns.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { unknownCheckingProxy } = require("@pulumi/policy/proxy") as { unknownCheckingProxy<T extends object>(value: T): T };

export interface FixtureResource {
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

export type PolicyConfig = Record<string, unknown>;

function resourceOptions(parent: string | undefined) {
    return {
        protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, parent,
    };
}

export async function runResourcePolicy(policy: ResourceValidationPolicy, resource: FixtureResource, config: PolicyConfig = {}): Promise<Violation[]> {
    const violations: Violation[] = [];
    const validations = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    for (const validate of validations) {
        await validate({
            type: resource.type,
            name: resource.name,
            urn: resource.urn,
            props: unknownCheckingProxy(structuredClone(resource.inputs)),
            opts: resourceOptions(resource.parent),
            stackTags: new Map(),
            isType: () => false,
            asType: () => undefined,
            getConfig: <T extends object>() => config as T,
            notApplicable: (reason?: string) => { throw new Error(`notApplicable: ${reason}`); },
        }, (message, urn) => violations.push({ message, urn }));
    }
    return violations;
}

export async function runStackPolicy(policy: StackValidationPolicy, resources: FixtureResource[], config: PolicyConfig = {}): Promise<Violation[]> {
    const byUrn = new Map<string, PolicyResource>();
    const policyResources = resources.map((r) => {
        const resource: PolicyResource = {
            type: r.type, name: r.name, urn: r.urn,
            props: unknownCheckingProxy(structuredClone(r.outputs)),
            opts: resourceOptions(r.parent),
            dependencies: [], propertyDependencies: {},
            isType: () => false, asType: () => undefined,
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
    });
    const violations: Violation[] = [];
    await policy.validateStack({
        resources: policyResources,
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string) => { throw new Error(`notApplicable: ${reason}`); },
    }, (message, urn) => violations.push({ message, urn }));
    return violations;
}

/** Pins luxon's clock to an instant (ISO text) until the returned function is called. */
export function pinClock(iso: string): () => void {
    const pinned = Date.parse(iso);
    if (Number.isNaN(pinned)) throw new Error(`pinClock: ${iso} is not a date`);
    const previous = Settings.now;
    Settings.now = () => pinned;
    return () => { Settings.now = previous; };
}

/** A deep copy with `change` applied, for one mutation per test. */
export function mutated(resource: FixtureResource, change: (copy: FixtureResource) => void): FixtureResource {
    const copy = structuredClone(resource);
    change(copy);
    return copy;
}
