// keyrelay doctor: before any `pulumi up`, whether the declared fleet can be rotated in this tenant
// (app management policies, the apps' creation times, the deployer's ownership). Thin: options,
// reads, output; the judgement is tenantRules.ts.
import { DateTime } from "luxon";
import { createAzureCredential } from "../../components/provider/azureCredential";
import { authorityForGraph, parseGraphUrl } from "../audit/command";
import { Deadline, parseTimeout } from "../../lib/deadline";
import { CliContext } from "../context";
import { EXIT_CRITICAL, EXIT_OK, EXIT_WARNING, environmentError } from "../errors";
import { authorityHostOf } from "../vaultAccess";
import { declaredFleet } from "./declaredFleet";
import { readTenantRules } from "./tenantReader";
import { DoctorProblem, judgeTenant } from "./tenantRules";

export const DOCTOR_SCHEMA = "keyrelay-doctor/1";

export interface DoctorOptions {
    program?: string;
    stack?: string;
    graphUrl?: string;
    authorityHost?: string;
    timeout?: string;
    json?: boolean;
}

export interface DoctorReport {
    schema: typeof DOCTOR_SCHEMA;
    checkedAt: string;
    project: string;
    stack: string;
    graphUrl: string;
    deployer: { kind: "user" | "servicePrincipal"; objectId: string };
    apps: { displayName: string; validForDays: number; existing: boolean }[];
    problems: DoctorProblem[];
    notes: string[];
    exitCode: number;
}

export async function runDoctor(options: DoctorOptions, context: CliContext): Promise<DoctorReport> {
    const graphUrl = parseGraphUrl(options.graphUrl);
    const timeoutMs = parseTimeout(options.timeout ?? "60s", "doctor");
    const authorityHost = authorityHostOf(options.authorityHost, context) ?? authorityForGraph(graphUrl);
    const now = DateTime.utc();
    const fleet = await declaredFleet(options, context, now);
    const deadline = new Deadline(timeoutMs, "doctor", new URL(graphUrl).host);
    try {
        const credential = createAzureCredential({ authorityHost, ...(context.tlsCa ? { tlsOptions: { ca: context.tlsCa } } : {}) });
        const tenant = await readTenantRules({ graphUrl, credential, deadline, tlsCa: context.tlsCa, authorityHost: authorityHost ?? "https://login.microsoftonline.com" });
        if (tenant.policySkipped) {
            throw environmentError(`keyrelay doctor: cannot read the tenant's app management policies (${tenant.policySkipped}). Grant the identity you signed in with Policy.Read.All, then run doctor again.`);
        }
        const problems = judgeTenant({ declared: fleet.apps, tenantApps: tenant.apps, policies: tenant.policies, owned: tenant.owned, now });
        return {
            schema: DOCTOR_SCHEMA, checkedAt: now.toISO({ suppressMilliseconds: true })!, project: fleet.project, stack: fleet.stack, graphUrl,
            deployer: tenant.deployer,
            apps: fleet.apps.map((a) => ({ ...a, validForDays: Math.round(a.validForDays * 100) / 100, existing: tenant.apps.some((t) => t.displayName === a.displayName) })),
            problems, notes: tenant.notes,
            exitCode: problems.some((p) => p.severity === "critical") ? EXIT_CRITICAL : problems.length > 0 ? EXIT_WARNING : EXIT_OK,
        };
    } finally {
        deadline.dispose();
    }
}

export function formatDoctor(report: DoctorReport): string {
    const header = `keyrelay doctor: ${report.apps.length} declared apps of ${report.project} (stack ${report.stack}) against ${report.graphUrl}, as ${report.deployer.kind} ${report.deployer.objectId}.`;
    const lines = report.problems.length === 0
        ? ["No problem: the tenant's app management policies and ownership allow rotating every declared app."]
        : report.problems.map((p, i) => `${String(i + 1).padStart(3)}. ${p.severity} ${p.code}: ${p.message}`);
    return [header, ...lines, ...report.notes.map((n) => `note: ${n}`)].join("\n") + "\n";
}

export async function doctorCommand(options: DoctorOptions, context: CliContext): Promise<number> {
    const report = await runDoctor(options, context);
    context.stdout(options.json ? JSON.stringify(report, null, 2) + "\n" : formatDoctor(report));
    return report.exitCode;
}
