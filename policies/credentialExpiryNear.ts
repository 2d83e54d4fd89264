// Entra refuses an expired client secret with AADSTS7000222; Key Vault stops serving an expired version.
// https://learn.microsoft.com/entra/identity-platform/reference-error-codes
import { DateTime } from "luxon";
import { DEFAULT_MIN_DAYS_REMAINING, daysBetween, formatDayCount, toRfc3339 } from "./lib/contract";
import { isRetiringKeyrelayCredential } from "./lib/keyrelayCredential";
import { isInUseAlert } from "./lib/inUseAlert";
import { NumberSetting, resourcePolicy } from "./lib/resourcePolicy";
import { describeResource, validityOf } from "./lib/resourceKinds";
import type { ResourceView } from "./lib/resourceView";

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
    // keyrelay's `<secretName>-in-use` expires with a credential kept in use on purpose: its expiry is the alert.
    if (isInUseAlert(resource.type, resource.props)) return [];
    const daysLeft = daysBetween(now, validity.end.at);
    if (daysLeft >= minDaysRemaining) return [];
    const what = describeResource(resource.type, resource.name);
    const end = `${toRfc3339(validity.end.at)} (${validity.end.field})`;
    const when = daysLeft <= 0
        ? `expired on ${end}, ${formatDayCount(daysLeft)} ago`
        : `expires on ${end}, ${formatDayCount(daysLeft)} from now, less than the ${minDaysRemaining} days required`;
    return [`${what} ${when}. ${FIX}`];
}

export const credentialExpiryNear = resourcePolicy({
    name: CREDENTIAL_EXPIRY_NEAR,
    description: "Entra credentials (passwords, certificates) and Key Vault secrets must not be expired or close to their end.",
    level: "mandatory",
    setting: MIN_DAYS_REMAINING,
    check: expiryNearViolations,
});
