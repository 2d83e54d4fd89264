// The audit's report: the stable JSON document (docs/audit.md describes every field), its exit
// code, and the terminal table.
import { EXIT_CRITICAL, EXIT_OK, EXIT_WARNING } from "../errors";
import { formatTable } from "../table";
import { errorLine, printable } from "../../lib/terminalText";
import { paint } from "../colors";
import type { CliContext } from "../context";
import { AuditJudgement } from "./findings";
import { AuditedCredential, AuditedSecret, Finding, TenantPolicies } from "./model";
import { SecretlessSection, formatShare } from "./secretless";
import type { SignInPart } from "./signInPart";
import { AuditChecks, checksLine } from "./checks";
import type { TenantIdentity } from "./tenantIdentity";

export const AUDIT_SCHEMA = "keyrelay-audit/1";

export interface AuditReport {
    schema: typeof AUDIT_SCHEMA;
    checkedAt: string;
    graphUrl: string;
    /** The tenant audited: Graph's organization id and name, or the token's tenant id (source "token"). */
    tenant?: TenantIdentity;
    vaults: string[];
    warnDays: number;
    /** Which checks ran, and which were skipped and why. */
    checks: AuditChecks;
    credentials: AuditedCredential[];
    secrets: AuditedSecret[];
    findings: Finding[];
    policy: {
        tenantDefault: TenantPolicies["tenantDefault"] | null;
        appManagementPolicies: TenantPolicies["appPolicies"];
    };
    summary: { apps: number; servicePrincipals: number; credentials: number; secrets: number; critical: number; warning: number; byCode: Record<string, number> };
    requests: { graph: number; graphPages: Record<string, number>; graphThrottled: number; vaults: { vault: string; listPages: number; reads: number; listed: number }[] };
    notes: string[];
    exitCode: number;
    /** App registrations by credential kind; null when Graph did not answer the $expand. */
    secretless?: SecretlessSection | null;
    /** The --sign-ins read; null without --sign-ins. */
    signIns?: SignInPart["signIns"];
}

export function auditExitCode(findings: readonly Finding[]): number {
    if (findings.some((f) => f.severity === "critical")) return EXIT_CRITICAL;
    if (findings.length > 0) return EXIT_WARNING;
    return EXIT_OK;
}

export function summarize(judgement: AuditJudgement, appCount: number, servicePrincipalCount: number): AuditReport["summary"] {
    const byCode: Record<string, number> = {};
    for (const f of judgement.findings) byCode[f.code] = (byCode[f.code] ?? 0) + 1;
    return {
        apps: appCount, servicePrincipals: servicePrincipalCount,
        credentials: judgement.credentials.length, secrets: judgement.secrets.length,
        critical: judgement.findings.filter((f) => f.severity === "critical").length,
        warning: judgement.findings.filter((f) => f.severity === "warning").length,
        byCode,
    };
}

/** A vault by its name (the first label of <name>.vault.azure.net), or its host for anything else. */
export function vaultLabel(vaultUrl: string): string {
    const host = new URL(vaultUrl).host;
    return /^[a-z0-9-]+\.vault\./i.test(host) ? host.split(".")[0] : host;
}

/** Where a finding is: the credential's keyId, or vault/secret. */
export function findingPlace(f: Finding): string {
    if (f.secret) return `${f.vault ? vaultLabel(f.vault) : "?"}/${f.secret}`;
    return f.keyId ?? "-";
}

export function formatAudit(report: AuditReport, colors: Pick<CliContext, "color"> = {}): string {
    const s = report.summary;
    const header = `keyrelay audit of ${report.graphUrl} at ${report.checkedAt} (warn under ${report.warnDays} days): `
        + `${s.apps} apps, ${s.servicePrincipals} service principals with credentials, ${s.credentials} credentials, ${s.secrets} vault secrets checked.\n`
        + checksLine(report.checks);
    const graphPages = Object.values(report.requests.graphPages).reduce((a, b) => a + b, 0);
    const secretless = report.secretless
        ? `Secretless: ${formatShare(report.secretless.secretlessShare)} of app registrations with credentials (${report.secretless.federatedOnly} federated only, ${report.secretless.both} with both: the secret can go, ${report.secretless.secretsOnly} secrets only).`
        : undefined;
    const footer = `${s.critical} critical, ${s.warning} warnings. ` + [
        `Graph: ${report.requests.graph} requests (${graphPages} pages${report.requests.graphThrottled ? `, ${report.requests.graphThrottled} throttled` : ""})`,
        ...report.requests.vaults.map((v) => `${new URL(v.vault).host}: ${v.listPages} list pages, ${v.reads} reads`),
    ].join("; ") + ".";
    // Names and messages carry tenant data: each printed as one clean line (lib/terminalText.ts).
    const notes = report.notes.map((n) => `note: ${errorLine(n)}`);
    if (report.findings.length === 0) {
        return [header, ...(secretless ? [secretless] : []), "", "No findings: every credential is within its limits and every vault secret holds its app's newest client secret.", ...notes, footer].join("\n") + "\n";
    }
    const table = formatTable(
        ["severity", "code", "app", "client id", "credential / secret"],
        report.findings.map((f) => [paint(colors, f.severity === "critical" ? "critical" : "warning", f.severity), f.code, printable(f.app?.displayName ?? "-"), printable(f.clientId), printable(findingPlace(f))]),
    );
    const messages = report.findings.map((f, i) => `${String(i + 1).padStart(3)}. ${f.code}: ${errorLine(f.message)}`);
    return [header, ...(secretless ? [secretless] : []), "", table, "", ...messages, "", ...notes, footer].join("\n") + "\n";
}
