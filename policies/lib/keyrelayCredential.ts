// keyrelay keeps each retired client secret for one more period so cached copies keep working.
// Such a credential no longer flows into Key Vault and may be days from its end, by design.
import { DateTime } from "luxon";
import { PERIOD_START_MARKER, SERVES_UNTIL_MARKER } from "./contract";
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

/** When this keyrelay credential stopped (or stops) being the one in Key Vault; undefined for any other resource. */
export function keyrelayServesUntil(type: string, props: Record<string, unknown>, urn: string, parentUrn: string | undefined): DateTime | undefined {
    return keyrelayMarker(type, props, urn, parentUrn, SERVES_UNTIL_MARKER);
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
