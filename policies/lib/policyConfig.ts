// Policy settings: the CLI validates them against configSchema, but the SDK applies no defaults
// and in-process callers validate nothing, so both happen here.

export interface NumberSetting {
    readonly key: string;
    readonly default: number;
    readonly minimum: number;
    readonly description: string;
}

/** The JSON-schema entry for configSchema.properties. */
export function settingSchema(setting: NumberSetting) {
    return { type: "integer" as const, minimum: setting.minimum, default: setting.default, description: setting.description };
}

/** The configured value, or the default; a bad value throws an error naming the policy, the key and the fix. */
export function readNumberSetting(policyName: string, config: Record<string, unknown> | undefined, setting: NumberSetting): number {
    const raw = config?.[setting.key];
    if (raw === undefined || raw === null) return setting.default;
    if (typeof raw !== "number" || !Number.isInteger(raw) || raw < setting.minimum) {
        throw new Error(`keyrelay-credentials: policy "${policyName}": ${setting.key} is ${JSON.stringify(raw)}, not a whole number >= ${setting.minimum}. ` +
            `Set it in the policy pack config, e.g. { "${policyName}": { "${setting.key}": ${setting.default} } }, or leave it out for the default ${setting.default}.`);
    }
    return raw;
}
