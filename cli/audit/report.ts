// The audit's report: the stable JSON document (docs/audit.md describes every field), its exit
// code, and the terminal table.
import { EXIT_CRITICAL, EXIT_OK, EXIT_WARNING } from "../errors";
import { formatTable } from "../table";
import { paint } from "../colors";
import type { CliContext } from "../context";
import { AuditJudgement } from "./findings";
import { AuditedCredential, AuditedSecret, Finding, TenantPolicies } from "./model";

export const AUDIT_SCHEMA = "keyrelay-audit/1";

export interface AuditReport {
    schema: typeof AUDIT_SCHEMA;
    checkedAt: string;
    graphUrl: string;
    vaults: string[];
    warnDays: number;
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
        + `${s.apps} apps, ${s.servicePrincipals} service principals with credentials, ${s.credentials} credentials, ${s.secrets} vault secrets checked.`;
    const graphPages = Object.values(report.requests.graphPages).reduce((a, b) => a + b, 0);
    const footer = `${s.critical} critical, ${s.warning} warnings. ` + [
        `Graph: ${report.requests.graph} requests (${graphPages} pages${report.requests.graphThrottled ? `, ${report.requests.graphThrottled} throttled` : ""})`,
        ...report.requests.vaults.map((v) => `${new URL(v.vault).host}: ${v.listPages} list pages, ${v.reads} reads`),
    ].join("; ") + ".";
    if (report.findings.length === 0) {
        return [header, "", "No findings: every credential is within its limits and every vault secret holds its app's newest client secret.", ...report.notes.map((n) => `note: ${n}`), footer].join("\n") + "\n";
    }
    const table = formatTable(
        ["severity", "code", "app", "client id", "credential / secret"],
        report.findings.map((f) => [paint(colors, f.severity === "critical" ? "critical" : "warning", f.severity), f.code, f.app?.displayName ?? "-", f.clientId, findingPlace(f)]),
    );
    const messages = report.findings.map((f, i) => `${String(i + 1).padStart(3)}. ${f.code}: ${f.message}`);
    return [header, "", table, "", ...messages, "", ...report.notes.map((n) => `note: ${n}`), footer].join("\n") + "\n";
}
