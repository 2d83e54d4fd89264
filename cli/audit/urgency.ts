// The order in which findings are read: what fails now first, then what fails soonest, then the
// rest by how much it matters. Pure.
import { AuditedCredential, Finding, FindingCode } from "./model";

/** Within a severity and the same days to harm: the order of the codes. */
const CODE_ORDER: readonly FindingCode[] = [
    "credential-expired", "secret-holds-secret-id", "secret-value-whitespace", "secret-stale", "secret-wrong-app",
    "credential-expiring", "credential-retiring-in-use", "secret-behind-rotation", "secret-expiry-mismatch",
    "credential-lifetime-over-policy", "credential-data-invalid", "app-without-owner", "credential-unused",
];
/** Codes whose harm is already here: sign-in fails with the value or credential now. */
const FAILING_NOW = new Set<FindingCode>(["credential-expired", "secret-holds-secret-id", "secret-value-whitespace", "secret-stale", "secret-wrong-app"]);
/** Codes whose harm comes when their credential ends. */
const FAILING_AT_END = new Set<FindingCode>(["credential-expiring", "credential-retiring-in-use", "secret-behind-rotation"]);

/** Days until the finding's harm: 0 when sign-in already fails, the credential's days left when it fails at its end, else Infinity. */
export function daysToHarm(f: Finding, credential: AuditedCredential | undefined): number {
    if (FAILING_NOW.has(f.code)) return 0;
    if (FAILING_AT_END.has(f.code) && credential?.daysLeft !== null && credential?.daysLeft !== undefined) return Math.max(0, credential.daysLeft);
    return Number.POSITIVE_INFINITY;
}

/** Findings most urgent first: critical before warning, then days to harm, then code, app and place. */
export function byUrgency<T extends Finding>(findings: readonly T[], credentialOf: (f: T) => AuditedCredential | undefined): T[] {
    const keyed = findings.map((f) => ({ f, days: daysToHarm(f, credentialOf(f)) }));
    return keyed.sort((a, b) => (a.f.severity === b.f.severity ? 0 : a.f.severity === "critical" ? -1 : 1)
        || (a.days === b.days ? 0 : a.days < b.days ? -1 : 1)
        || CODE_ORDER.indexOf(a.f.code) - CODE_ORDER.indexOf(b.f.code)
        || String(a.f.app?.displayName ?? "").localeCompare(String(b.f.app?.displayName ?? ""))
        || (a.f.secret ?? a.f.keyId ?? "").localeCompare(b.f.secret ?? b.f.keyId ?? ""))
        .map((k) => k.f);
}
