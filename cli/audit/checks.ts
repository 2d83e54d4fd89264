// Which of the audit's checks ran. By default the audit reads metadata only (Graph's credentials,
// the vaults' secret listings and tags), which a security lead can be granted without reading any
// secret; the value checks need --read-values and "Key Vault Secrets User" on each vault.

export const METADATA_CHECKS = [
    "credential-expired", "credential-expiring", "app-without-owner",
    "secret-stale", "secret-wrong-app", "secret-expiry-mismatch", "secret-behind-rotation",
] as const;
export const POLICY_CHECKS = ["credential-lifetime-over-policy"] as const;
/** Need each secret's value: the hint match, a Secret ID stored as the value, whitespace. */
export const VALUE_CHECKS = ["secret-holds-secret-id", "secret-value-whitespace", "hint match"] as const;

export interface AuditChecks {
    /** Secret values were read (--read-values). */
    readValues: boolean;
    /** Secrets were tied to credentials by: key-id tag and expiry (metadata), plus the hint with --read-values. */
    matchSecretsBy: string[];
    ran: string[];
    skipped: { check: string; why: string }[];
}

export function auditChecks(options: { readValues: boolean; vaults: number; policySkipped?: string }): AuditChecks {
    const skipped: AuditChecks["skipped"] = [];
    const ran: string[] = [...METADATA_CHECKS];
    if (options.policySkipped) skipped.push(...POLICY_CHECKS.map((check) => ({ check, why: options.policySkipped! })));
    else ran.push(...POLICY_CHECKS);
    if (options.readValues && options.vaults > 0) ran.push(...VALUE_CHECKS);
    else skipped.push(...VALUE_CHECKS.map((check) => ({ check, why: options.vaults === 0 ? "no --vault" : "secret values not read (add --read-values; needs Key Vault Secrets User)" })));
    return {
        readValues: options.readValues,
        matchSecretsBy: options.readValues ? ["key-id tag", "expiry", "hint"] : ["key-id tag", "expiry"],
        ran, skipped,
    };
}

/** One line for the text and HTML reports. */
export function checksLine(checks: AuditChecks): string {
    const whys = [...new Set(checks.skipped.map((s) => s.why))];
    const skipped = whys.map((why) => `${checks.skipped.filter((s) => s.why === why).map((s) => s.check).join(", ")} (${why})`);
    return `Checks: ${checks.readValues ? "secret values read (--read-values)" : "metadata only, no secret value read"}; secrets matched by ${checks.matchSecretsBy.join(", ")}.`
        + (skipped.length > 0 ? ` Skipped: ${skipped.join("; ")}.` : "");
}
