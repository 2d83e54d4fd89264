// Date constants and markers shared by the components and the pack. They live in the pack so that
// `policies/` imports nothing outside itself (`pulumi policy publish` packages that folder alone).
import { DateTime } from "luxon";

export const DAY_MS = 24 * 60 * 60 * 1000;

/** RFC 3339 in UTC without milliseconds, the form the azuread provider and Key Vault accept. */
export function toRfc3339(instant: DateTime): string {
    return instant.toUTC().toISO({ suppressMilliseconds: true })!;
}

/** Key in an ApplicationPassword's rotateWhenChanged: when it stops being the credential in Key Vault. */
export const SERVES_UNTIL_MARKER = "keyrelay-serves-until";
/** Key in an ApplicationPassword's rotateWhenChanged: the start of the period it was issued for. */
export const PERIOD_START_MARKER = "keyrelay-period-start";

/** credential-expiry-near's default minDaysRemaining; the component's minimum validFor is built on it. */
export const DEFAULT_MIN_DAYS_REMAINING = 14;
/** credential-lifetime's default maxLifetimeDays; the component's longest validFor. */
export const DEFAULT_MAX_LIFETIME_DAYS = 365;
