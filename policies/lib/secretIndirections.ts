// Client secrets that sit one step away from a key that names them:
//  - inside a connection string: `ClientSecret=...;` in any setting, and `AppKey=...` in an
//    AzureServicesAuthConnectionString ("RunAs=App;AppId={AppId};TenantId={TenantId};AppKey={ClientSecret}",
//    https://learn.microsoft.com/dotnet/api/overview/azure/service-to-service-authentication);
//  - behind a Container Apps secret: an env var named like a client secret with `secretRef` naming
//    a secret of any name in `configuration.secrets` (https://learn.microsoft.com/azure/container-apps/manage-secrets);
//  - split across two settings both named like a client secret (`CLIENT_SECRET_1`, `CLIENT_SECRET_2`).
import { namesClientSecret, namesIdentifier, textSaysClientSecret } from "./keyNames";
import type { PropertyLeaf } from "./propertyWalk";
import { guidInValue } from "./secretEncodings";
import type { SecretPlacement } from "./secretPlacements";
import { isUnknown } from "./unknownValues";

/** Most pieces tried in pairs for a split secret: pairs grow with the square. */
const MAX_SPLIT_PIECES = 16;

function squashed(key: string): string {
    return key.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** `key=value` pairs of a connection string (`;`-separated), keys as written. */
function connectionStringParts(text: string): [string, string][] {
    if (!text.includes("=") || !text.includes(";") && !/^\s*\w+\s*=/.test(text)) return [];
    return text.split(";").map((part) => {
        const at = part.indexOf("=");
        return at <= 0 ? undefined : [part.slice(0, at).trim(), part.slice(at + 1)] as [string, string];
    }).filter((p): p is [string, string] => p !== undefined);
}

function inConnectionString(leaf: PropertyLeaf & { value: string }): SecretPlacement[] {
    const parts = connectionStringParts(leaf.value);
    if (parts.length < 2) return [];
    const servicesAuth = squashed(leaf.key).endsWith("azureservicesauthconnectionstring") || parts.some(([k, v]) => squashed(k) === "runas" && v.trim().toLowerCase() === "app");
    return parts
        .filter(([key]) => namesClientSecret(key) || (servicesAuth && squashed(key) === "appkey"))
        .map(([key, value]) => ({ path: `${leaf.path} (${key}=)`, key, value, clientSecret: true }));
}

function behindSecretRef(leaves: readonly (PropertyLeaf & { value: string })[]): SecretPlacement[] {
    const secretsByName = new Map<string, PropertyLeaf & { value: string }>();
    for (const leaf of leaves) if (/(^|\.)secrets\[\d+\]\.value$/.test(leaf.path)) secretsByName.set(leaf.key, leaf);
    if (secretsByName.size === 0) return [];
    const byPath = new Map(leaves.map((l) => [l.path, l]));
    const placements: SecretPlacement[] = [];
    for (const ref of leaves) {
        if (!ref.path.endsWith(".secretRef")) continue;
        const envName = byPath.get(`${ref.path.slice(0, -".secretRef".length)}.name`)?.value;
        const secret = secretsByName.get(ref.value);
        if (envName === undefined || secret === undefined || !namesClientSecret(envName)) continue;
        placements.push({ path: `${secret.path} (secretRef of ${envName})`, key: envName, value: secret.value, clientSecret: true });
    }
    return placements;
}

function splitAcrossSettings(leaves: readonly (PropertyLeaf & { value: string })[]): SecretPlacement[] {
    const pieces = leaves.filter((l) => (textSaysClientSecret(l.key) || namesClientSecret(l.key)) && !namesIdentifier(l.key) && l.value.length > 0 && !guidInValue(l.value))
        .slice(0, MAX_SPLIT_PIECES);
    const placements: SecretPlacement[] = [];
    for (const first of pieces) {
        for (const second of pieces) {
            if (first === second) continue;
            const value = first.value + second.value;
            if (guidInValue(value)) placements.push({ path: `${first.path} + ${second.path}`, key: first.key, value, clientSecret: true, joined: true });
        }
    }
    return placements;
}

/** @internal Placements one step away from the keys that name them, over a resource's leaves. */
export function indirectPlacements(allLeaves: readonly PropertyLeaf[]): SecretPlacement[] {
    const leaves = allLeaves.filter((l): l is PropertyLeaf & { value: string } => typeof l.value === "string" && !l.inMetadata && !isUnknown(l.value));
    return [...leaves.flatMap(inConnectionString), ...behindSecretRef(leaves), ...splitAcrossSettings(leaves)];
}
