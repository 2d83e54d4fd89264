// The plain shape the checks work on, whether the resource came from the policy SDK, a test or
// the simulation: no proxies, unknowns left as sentinels, dependencies as URNs.
import type { PolicyResource, ResourceValidationArgs } from "@pulumi/policy";
import { plainProperties } from "./unknownValues";

export interface ResourceView {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** The parent's URN, when it has one. */
    readonly parent?: string;
    readonly props: Record<string, unknown>;
}

export interface StackResourceView extends ResourceView {
    /** Top-level property name to the URNs its value came from. */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
}

export function viewOfResourceArgs(args: ResourceValidationArgs): ResourceView {
    return { type: args.type, name: args.name, urn: args.urn, parent: args.opts?.parent || undefined, props: plainProperties(args.props) };
}

export function viewOfStackResource(resource: PolicyResource): StackResourceView {
    const propertyDependencies: Record<string, string[]> = {};
    for (const [key, deps] of Object.entries(resource.propertyDependencies ?? {})) {
        propertyDependencies[key] = deps.map((d) => d.urn);
    }
    return {
        type: resource.type,
        name: resource.name,
        urn: resource.urn,
        parent: resource.parent?.urn ?? (resource.opts?.parent || undefined),
        props: plainProperties(resource.props),
        propertyDependencies,
    };
}
