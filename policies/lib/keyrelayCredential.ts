// keyrelay keeps each retired client secret for one more period so cached copies keep working.
// Such a credential no longer flows into Key Vault and may be days from its end, by design.
//
// The exemption needs evidence, not a claim. A type token and a marker can be typed by anyone (a
// hand-made `keyrelay:index:RotatingPassword` parent with a past serves-until), so a serves-until
// marker counts only when it agrees with keyrelay's own math for the same credential:
//   - both markers are present: period start P and serves-until S, with P < S;
//   - the credential's own endDate E is known and E - P >= 2 × (S - P) + 1 day. keyrelay's
//     shortest validFor is 2 × every + 1 day (components/schedule.ts minimumValidForMs) and S - P
//     is at most one `every` (less when a declared schedule change cuts the period short), so every
//     credential keyrelay issues passes, and a retiring one still has a full period left.
// A forgery that meets this is a credential that behaves as keyrelay's do (kept one period past
// serving, then ending), which is what the exemption is for.
import { DateTime } from "luxon";
import { DAY_MS, PERIOD_START_MARKER, SERVES_UNTIL_MARKER } from "./contract";
import { TYPE } from "./resourceKinds";
import { isUnknown } from "./unknownValues";

/** The type of the resource a URN names: the last segment of its qualified type. */
export function urnType(urn: string): string | undefined {
    const qualifiedType = urn.split("::")[2];
    return qualifiedType?.split("$").pop();
}

/** The parent's type: from the parent URN when known, else from the resource URN's type chain. */
export function parentType(urn: string, parentUrn: string | undefined): string | undefined {
    if (parentUrn) return urnType(parentUrn);
    const chain = (urn.split("::")[2] ?? "").split("$");
    return chain.length >= 2 ? chain[chain.length - 2] : undefined;
}

function keyrelayMarker(type: string, props: Record<string, unknown>, urn: string, parentUrn: string | undefined, marker: string): DateTime | undefined {
    if (type !== TYPE.applicationPassword || parentType(urn, parentUrn) !== TYPE.keyrelayRotatingPassword) return undefined;
    const markers = props.rotateWhenChanged;
    if (markers === null || typeof markers !== "object") return undefined;
    const text = (markers as Record<string, unknown>)[marker];
    if (typeof text !== "string" || isUnknown(text)) return undefined;
    const at = DateTime.fromISO(text, { zone: "utc" });
    return at.isValid ? at : undefined;
}

/**
 * When this keyrelay credential stopped (or stops) being the one in Key Vault; undefined for any
 * other resource, and for markers that do not agree with the credential's own dates (see above).
 */
export function keyrelayServesUntil(type: string, props: Record<string, unknown>, urn: string, parentUrn: string | undefined): DateTime | undefined {
    const servesUntil = keyrelayMarker(type, props, urn, parentUrn, SERVES_UNTIL_MARKER);
    const periodStart = keyrelayMarker(type, props, urn, parentUrn, PERIOD_START_MARKER);
    if (!servesUntil || !periodStart || servesUntil <= periodStart) return undefined;
    const endText = props.endDate;
    const end = typeof endText === "string" && !isUnknown(endText) ? DateTime.fromISO(endText, { zone: "utc" }) : undefined;
    if (!end?.isValid) return undefined;
    const servingMs = servesUntil.toMillis() - periodStart.toMillis();
    return end.toMillis() - periodStart.toMillis() >= 2 * servingMs + DAY_MS ? servesUntil : undefined;
}

/**
 * The start of the period a keyrelay credential was issued for. keyrelay sends no startDate (Entra
 * stamps the creation time, never earlier than this), so its life is at most endDate minus this.
 */
export function keyrelayPeriodStart(type: string, props: Record<string, unknown>, urn: string, parentUrn: string | undefined): DateTime | undefined {
    return keyrelayMarker(type, props, urn, parentUrn, PERIOD_START_MARKER);
}

/** A keyrelay credential kept only for cached copies: its serves-until marker is not after `now`. */
export function isRetiringKeyrelayCredential(type: string, props: Record<string, unknown>, urn: string, parentUrn: string | undefined, now: DateTime): boolean {
    const servesUntil = keyrelayServesUntil(type, props, urn, parentUrn);
    return servesUntil !== undefined && servesUntil <= now;
}
