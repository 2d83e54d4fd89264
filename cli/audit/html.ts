// The audit as one self-contained HTML page that answers "what do I do now": the tenant, the
// counts, then every finding most urgent first with its action, the command to run and a link to
// its section of docs/audit.md; then the expiries (apps with findings first, healthy ones folded),
// and sortable tables of every credential and checked secret. No external requests: inline style
// and script, and a Content-Security-Policy that forbids fetching anything (a docs link is a
// navigation the reader chooses, not a fetch).
import { DateTime } from "luxon";
import { escapeXml } from "../timeline";
import { oneLine } from "../../lib/terminalText";
import { AuditReport, findingPlace } from "./report";
import { checksLine } from "./checks";
import { AuditedCredential, Finding, Severity } from "./model";
import { secretlessHeadlineHtml } from "./secretless";
import { findingAction, findingContext } from "./actions";
import { byUrgency } from "./urgency";
import { AuditTimelineRow, renderAuditTimeline } from "./timelineSvg";
import { PAGE_STYLE, SORTABLE_TABLES_SCRIPT } from "./htmlAssets";

/** Healthy apps drawn in the folded timeline; the ones whose credentials end soonest. */
export const TIMELINE_MAX_APPS = 150;

export interface AuditHtmlOptions {
    /** docs/audit.md, where each finding code has its section (cli/audit/docsLink.ts); no links without it. */
    docsUrl?: string;
}

/** Tenant text as HTML: control characters (invalid in the inline SVG's XML) dropped, then escaped. */
const esc = (text: unknown) => escapeXml(oneLine(typeof text === "string" ? text : text === null || text === undefined ? "" : String(text)));
const day = (iso: string | null) => (iso ? iso.slice(0, 10) : "-");
const worst = (list: readonly Severity[]): Severity | null => (list.includes("critical") ? "critical" : list.length > 0 ? "warning" : null);
const appKey = (app: { kind: string; appId: string }) => `${app.kind}:${app.appId.toLowerCase()}`;

function timelineRows(report: AuditReport, ordered: readonly Finding[]): { flagged: AuditTimelineRow[]; healthy: AuditTimelineRow[]; healthyTotal: number } {
    const byApp = new Map<string, AuditedCredential[]>();
    for (const c of report.credentials) byApp.set(appKey(c.app), [...(byApp.get(appKey(c.app)) ?? []), c]);
    const findingsOf = (key: string) => ordered.filter((f) => f.app && appKey(f.app) === key);
    const rank = (key: string) => ordered.findIndex((f) => f.app && appKey(f.app) === key);
    const rows = [...byApp.entries()].map(([key, list]) => {
        const findings = findingsOf(key);
        const app = list[0].app;
        const bars = list.filter((c) => c.startDateTime && c.endDateTime).map((c) => {
            const severity = worst(findings.filter((f) => f.keyId === c.keyId).map((f) => f.severity));
            const codes = findings.filter((f) => f.keyId === c.keyId).map((f) => f.code);
            return {
                start: DateTime.fromISO(c.startDateTime!, { zone: "utc" }), end: DateTime.fromISO(c.endDateTime!, { zone: "utc" }), severity, held: c.heldBy.length > 0,
                tip: `${app.displayName} ${c.type} ${c.displayName ?? c.keyId}: valid ${day(c.startDateTime)} to ${day(c.endDateTime)}; `
                    + `${c.heldBy.length > 0 ? "held by a checked vault secret" : "held by no checked vault secret"}${codes.length ? `; ${codes.join(", ")}` : ""}`,
            };
        });
        const row: AuditTimelineRow = { name: `${app.displayName}${app.kind === "servicePrincipal" ? " (SP)" : ""}`, severity: worst(findings.map((f) => f.severity)), codes: [...new Set(findings.map((f) => f.code))], bars };
        const soonest = Math.min(...bars.map((b) => b.end.toMillis()));
        return { key, row, soonest };
    });
    const flagged = rows.filter((r) => r.row.severity).sort((a, b) => rank(a.key) - rank(b.key)).map((r) => r.row);
    const healthy = rows.filter((r) => !r.row.severity).sort((a, b) => a.soonest - b.soonest || a.row.name.localeCompare(b.row.name));
    return { flagged, healthy: healthy.slice(0, TIMELINE_MAX_APPS).map((r) => r.row), healthyTotal: healthy.length };
}

function findingItem(report: AuditReport, f: Finding, index: number, docsUrl: string | undefined): string {
    const { action, commands } = findingAction(f, findingContext(report, f));
    const code = `<code>${esc(f.code)}</code>`;
    const link = docsUrl ? `<a class="docs" href="${esc(`${docsUrl}#${f.code}`)}" rel="noopener noreferrer">${code}</a>` : code;
    return `<li class="finding ${f.severity}" data-code="${esc(f.code)}" id="finding-${index + 1}">`
        + `<div class="finding-head"><span class="badge ${f.severity}">${f.severity}</span> <b class="app">${esc(f.app?.displayName ?? "(no app with this client id)")}</b> ${link}</div>`
        + `<p class="action">${esc(action)}</p>`
        + commands.map((c) => `<pre class="command">${c.split("\n").map(esc).join("\n")}</pre>`).join("")
        + `<details class="why"><summary>Why</summary><p>${esc(f.message)}</p>`
        + `<p class="ids">client id <code class="id">${esc(f.clientId)}</code> · ${f.secret ? "secret" : "credential"} <code class="id">${esc(findingPlace(f))}</code></p></details></li>`;
}

export function renderAuditHtml(report: AuditReport, options: AuditHtmlOptions = {}): string {
    const now = DateTime.fromISO(report.checkedAt, { zone: "utc" });
    const ordered = byUrgency(report.findings, (f) => findingContext(report, f).credential);
    const { flagged, healthy, healthyTotal } = timelineRows(report, ordered);
    const from = now.minus({ days: 90 });
    const to = now.plus({ days: Math.max(365, report.warnDays) });
    const timeline = (rows: AuditTimelineRow[], id: string) => `<div class="scroll">${renderAuditTimeline({ from, to, today: now, rows, id })}</div>`;
    const s = report.summary;
    const credentialRows = report.credentials.map((c) => `<tr class="credential" data-key-id="${esc(c.keyId)}">`
        + `<td>${esc(c.app.displayName)}</td><td class="id"><code>${esc(c.app.appId)}</code></td><td>${c.app.kind === "application" ? "app" : "SP"}</td>`
        + `<td>${c.type}</td><td>${esc(c.displayName ?? "")}</td><td class="id"><code>${esc(c.keyId)}</code></td><td><code>${esc(c.hint ?? "")}</code></td>`
        + `<td class="date">${day(c.startDateTime)}</td><td class="date">${day(c.endDateTime)}</td><td data-sort="${c.daysLeft ?? ""}">${c.daysLeft ?? "-"}</td>`
        + `<td data-sort="${c.lifetimeDays ?? ""}">${c.lifetimeDays === null ? "-" : Math.round(c.lifetimeDays)}</td>`
        + `<td>${c.managedByKeyrelay ? (c.retiring ? "keyrelay (retiring)" : "keyrelay") : ""}</td><td>${esc(c.heldBy.join(", "))}</td></tr>`).join("\n");
    const secretRows = report.secrets.map((x) => `<tr class="secret"><td class="id"><code>${esc(new URL(x.vault).host)}</code></td><td>${esc(x.name)}</td><td>${esc(x.app?.displayName ?? "-")}</td>`
        + `<td class="id"><code>${esc(x.clientId)}</code></td><td>${x.source}</td><td><code>${x.hint === null ? "not read" : x.hint ? `${esc(x.hint)}…` : "-"}</code></td><td class="date">${day(x.endDateTime)}</td><td class="id"><code>${esc(x.keyId ?? "-")}</code></td><td>${esc(x.findings.join(", ") || "ok")}</td></tr>`).join("\n");
    const verdict = report.exitCode === 2 ? `${s.critical} critical finding${s.critical === 1 ? "" : "s"}: sign-in fails now or soon; act on them first (below).`
        : report.exitCode === 1 ? `${s.warning} warning${s.warning === 1 ? "" : "s"}, no critical finding.` : "Clean: no findings.";
    const tenant = report.tenant;
    const tenantName = tenant?.displayName ? esc(tenant.displayName) : tenant?.id ? "tenant" : esc(new URL(report.graphUrl).host);
    const tenantNote = tenant && tenant.source === "token"
        ? `<p class="note" id="tenant-note">The tenant's name is not shown: Graph did not answer GET /organization (grant Organization.Read.All to show it); the id is the one the token was issued for.</p>` : "";
    const tile = (id: string, count: number, label: string, severity?: Severity) => `<div class="tile${severity && count > 0 ? ` ${severity}` : ""}"><b${id ? ` id="${id}"` : ""}>${count}</b>${label}</div>`;
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"/>
<meta name="referrer" content="no-referrer"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>keyrelay audit of ${tenantName}, ${esc(day(report.checkedAt))}</title>
<style>
${PAGE_STYLE}</style>
</head>
<body>
<header>
<h1>keyrelay audit of <span id="tenant-name">${tenantName}</span></h1>
${secretlessHeadlineHtml(report.secretless)}
<p class="meta" id="tenant">${tenant?.id ? `tenant <code class="id" id="tenant-id">${esc(tenant.id)}</code> · ` : ""}checked ${esc(report.checkedAt.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC"))} · warn under ${report.warnDays} days · vaults: ${esc(report.vaults.map((v) => new URL(v).host).join(", ") || "none")}</p>
${tenantNote}
<p class="verdict ${report.exitCode === 2 ? "critical" : report.exitCode === 1 ? "warning" : "clean"}" id="verdict">${esc(verdict)} <span class="meta">Exit code ${report.exitCode}.</span></p>
</header>
<div class="tiles">
${tile("count-critical", s.critical, "critical", "critical")}${tile("count-warning", s.warning, "warnings", "warning")}${tile("", s.apps, "apps")}${tile("", s.servicePrincipals, "service principals")}${tile("", s.credentials, "credentials")}${tile("", s.secrets, "vault secrets")}
</div>
<h2 id="todo">What to do now</h2>
${ordered.length === 0 ? '<p id="no-findings">No findings.</p>' : `<ol id="findings">\n${ordered.map((f, i) => findingItem(report, f, i, options.docsUrl)).join("\n")}\n</ol>`}
<p class="meta" id="checks">${esc(checksLine(report.checks))}</p>
${report.notes.map((n) => `<p class="note">${esc(n)}</p>`).join("\n")}
<h2>Expiries</h2>
<p class="legend">One row per app, one bar per credential:<span class="critical"></span>behind a critical finding<span class="warning"></span>behind a warning<span class="held"></span>held by a checked vault secret<span class="idle"></span>held by none<span class="today"></span> today</p>
${flagged.length > 0 ? timeline(flagged, "timeline-findings") : "<p>No app with a finding has a credential with readable dates.</p>"}
${healthyTotal > 0 ? `<details id="healthy-apps"><summary>${healthyTotal} app${healthyTotal === 1 ? "" : "s"} without findings${healthyTotal > healthy.length ? ` (the ${healthy.length} whose credentials end soonest drawn)` : ""}</summary>\n${timeline(healthy, "timeline-healthy")}\n</details>` : ""}
<h2>Credentials</h2>
<div class="scroll"><table id="credentials" class="sortable"><thead><tr><th>app</th><th>client id</th><th>kind</th><th>type</th><th>name</th><th>key id</th><th>hint</th><th>start</th><th>end</th><th>days left</th><th>lifetime (days)</th><th>managed</th><th>held by</th></tr></thead><tbody>
${credentialRows}
</tbody></table></div>
<h2>Vault secrets</h2>
<div class="scroll"><table id="secrets" class="sortable"><thead><tr><th>vault</th><th>secret</th><th>app</th><th>client id</th><th>tied by</th><th>hint</th><th>expires</th><th>holds key id</th><th>findings</th></tr></thead><tbody>
${secretRows}
</tbody></table></div>
<script>
${SORTABLE_TABLES_SCRIPT}</script>
</body>
</html>
`;
}
