// Registers a policy from its pure check: the helper reads the setting (with its default and its
// validation), turns the SDK's arguments into plain views, and reports what the check returns.
// Each policy file is then one check plus its description, as in pulumi/pulumi-policy-aws.
import type { EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { DateTime } from "luxon";
import { ResourceView, StackResourceView, viewOfResourceArgs, viewOfStackResource } from "./resourceView";

/** @internal A whole-number policy setting, with the default the SDK does not apply for us. */
export interface NumberSetting {
    readonly key: string;
    readonly default: number;
    readonly minimum: number;
    readonly description: string;
}

/** @internal A stack check's finding, on the resource it names. */
export interface StackViolation {
    readonly message: string;
    readonly urn: string;
}

/** @internal The JSON-schema entry for configSchema.properties. */
export function settingSchema(setting: NumberSetting) {
    return { type: "integer" as const, minimum: setting.minimum, default: setting.default, description: setting.description };
}

/**
 * @internal The configured value, or the default; a bad value throws an error naming the policy,
 * the key and the fix. The CLI validates config against configSchema, but the SDK applies no
 * defaults and in-process callers validate nothing, so both happen here.
 */
export function readNumberSetting(policyName: string, config: Record<string, unknown> | undefined, setting: NumberSetting): number {
    const raw = config?.[setting.key];
    if (raw === undefined || raw === null) return setting.default;
    if (typeof raw !== "number" || !Number.isInteger(raw) || raw < setting.minimum) {
        throw new Error(`keyrelay-credentials: policy "${policyName}": ${setting.key} is ${JSON.stringify(raw)}, not a whole number >= ${setting.minimum}. ` +
            `Set it in the policy pack config, e.g. { "${policyName}": { "${setting.key}": ${setting.default} } }, or leave it out for the default ${setting.default}.`);
    }
    return raw;
}

/** @internal A resource check: messages for one resource at `now`, with the policy's setting (NaN when it has none) and its whole config. */
export type ResourceCheck = (resource: ResourceView, now: DateTime, setting: number, config: Record<string, unknown> | undefined) => string[];
/** @internal A stack check: violations over every resource of the stack. */
export type StackCheck = (resources: readonly StackResourceView[], now: DateTime, setting: number) => StackViolation[];

interface PolicySpec {
    readonly name: string;
    readonly description: string;
    readonly level: EnforcementLevel;
    readonly setting?: NumberSetting;
    /** Further configSchema properties, read by the check from its config argument. */
    readonly configProperties?: Record<string, object>;
}

/** @internal */
export function resourcePolicy(spec: PolicySpec & { check: ResourceCheck; stackCheck: StackCheck }): ResourceValidationPolicy & StackValidationPolicy;
/** @internal */
export function resourcePolicy(spec: PolicySpec & { check: ResourceCheck }): ResourceValidationPolicy;
/** @internal */
export function resourcePolicy(spec: PolicySpec & { stackCheck: StackCheck }): StackValidationPolicy;
export function resourcePolicy(spec: PolicySpec & { check?: ResourceCheck; stackCheck?: StackCheck }): ResourceValidationPolicy | StackValidationPolicy {
    const { name, description, level, setting, configProperties, check, stackCheck } = spec;
    const properties = { ...(setting ? { [setting.key]: settingSchema(setting) } : {}), ...configProperties };
    const settingOf = (config: Record<string, unknown> | undefined) => (setting ? readNumberSetting(name, config, setting) : Number.NaN);
    return {
        name,
        description,
        enforcementLevel: level,
        ...(Object.keys(properties).length > 0 ? { configSchema: { properties } } : {}),
        ...(check ? {
            validateResource: ((args, reportViolation) => {
                const config = args.getConfig<Record<string, unknown>>();
                for (const message of check(viewOfResourceArgs(args), DateTime.utc(), settingOf(config), config)) reportViolation(message);
            }) satisfies ResourceValidationPolicy["validateResource"],
        } : {}),
        ...(stackCheck ? {
            validateStack: ((args, reportViolation) => {
                const value = settingOf(args.getConfig<Record<string, unknown>>());
                for (const violation of stackCheck(args.resources.map(viewOfStackResource), DateTime.utc(), value)) reportViolation(violation.message, violation.urn);
            }) satisfies StackValidationPolicy["validateStack"],
        } : {}),
    } as ResourceValidationPolicy & StackValidationPolicy;
}
