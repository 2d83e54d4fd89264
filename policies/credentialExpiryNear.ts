// Entra refuses an expired client secret with AADSTS7000222; Key Vault stops serving an expired version.
// https://learn.microsoft.com/entra/identity-platform/reference-error-codes
import { ResourceValidationPolicy } from "@pulumi/policy";
import { DateTime } from "luxon";
import { DEFAULT_MIN_DAYS_REMAINING, toRfc3339 } from "./lib/timeBasics";
import { daysBetween, formatDayCount } from "./lib/days";
import { isRetiringKeyrelayCredential } from "./lib/keyrelayCredential";
import { NumberSetting, readNumberSetting, settingSchema } from "./lib/policyConfig";
import { describeResource, validityOf } from "./lib/resourceKinds";
import { ResourceView, viewOfResourceArgs } from "./lib/resourceView";

export const CREDENTIAL_EXPIRY_NEAR = "credential-expiry-near";

export const MIN_DAYS_REMAINING: NumberSetting = {
    key: "minDaysRemaining",
    default: DEFAULT_MIN_DAYS_REMAINING,
    minimum: 0,
    description: "A credential or Key Vault secret must have at least this many days left.",
};

const FIX = "Run the scheduled rotation (`pulumi up`) so a fresh credential takes over, or shorten the rotation `every` so each credential is replaced long before its end.";

/** Messages for a credential or Key Vault secret that has ended or ends within `minDaysRemaining`. */
export function expiryNearViolations(resource: ResourceView, now: DateTime, minDaysRemaining: number): string[] {
    const validity = validityOf(resource.type, resource.props);
    if (!validity || validity.end.state !== "known") return [];
    if (isRetiringKeyrelayCredential(resource.type, resource.props, resource.urn, resource.parent, now)) return [];
    const daysLeft = daysBetween(now, validity.end.at);
    if (daysLeft >= minDaysRemaining) return [];
    const what = describeResource(resource.type, resource.name);
    const end = `${toRfc3339(validity.end.at)} (${validity.end.field})`;
    const when = daysLeft <= 0
        ? `expired on ${end}, ${formatDayCount(daysLeft)} ago`
        : `expires on ${end}, ${formatDayCount(daysLeft)} from now, less than the ${minDaysRemaining} days required`;
    return [`${what} ${when}. ${FIX}`];
}

export const credentialExpiryNear: ResourceValidationPolicy = {
    name: CREDENTIAL_EXPIRY_NEAR,
    description: "Entra credentials (passwords, certificates) and Key Vault secrets must not be expired or close to their end.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { [MIN_DAYS_REMAINING.key]: settingSchema(MIN_DAYS_REMAINING) } },
    validateResource: (args, reportViolation) => {
        const minDaysRemaining = readNumberSetting(CREDENTIAL_EXPIRY_NEAR, args.getConfig<Record<string, unknown>>(), MIN_DAYS_REMAINING);
        for (const message of expiryNearViolations(viewOfResourceArgs(args), DateTime.utc(), minDaysRemaining)) reportViolation(message);
    },
};
