// keyrelay keeps each retired client secret for one more period so cached copies keep working.
// Such a credential no longer flows into Key Vault and may be days from its end, by design.
import { DateTime } from "luxon";
import { SERVES_UNTIL_MARKER } from "./timeBasics";
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

/** When this keyrelay credential stopped (or stops) being the one in Key Vault; undefined for any other resource. */
export function keyrelayServesUntil(type: string, props: Record<string, unknown>, urn: string, parentUrn: string | undefined): DateTime | undefined {
    if (type !== TYPE.applicationPassword || parentType(urn, parentUrn) !== TYPE.keyrelayRotatingPassword) return undefined;
    const markers = props.rotateWhenChanged;
    if (markers === null || typeof markers !== "object") return undefined;
    const servesUntil = (markers as Record<string, unknown>)[SERVES_UNTIL_MARKER];
    if (typeof servesUntil !== "string" || isUnknown(servesUntil)) return undefined;
    const at = DateTime.fromISO(servesUntil, { zone: "utc" });
    return at.isValid ? at : undefined;
}

/** A keyrelay credential kept only for cached copies: its serves-until marker is not after `now`. */
export function isRetiringKeyrelayCredential(type: string, props: Record<string, unknown>, urn: string, parentUrn: string | undefined, now: DateTime): boolean {
    const servesUntil = keyrelayServesUntil(type, props, urn, parentUrn);
    return servesUntil !== undefined && servesUntil <= now;
}
