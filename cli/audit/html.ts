// The audit as one self-contained HTML page: findings, a sortable table of every credential and
// a timeline of expiries drawn like the plan's picture. No external requests: inline style and
// script, and a Content-Security-Policy that forbids fetching anything.
import { DateTime } from "luxon";
import { escapeXml, renderTimelineSvg, TimelineApp } from "../timeline";
import { oneLine } from "../../lib/terminalText";
import { AuditReport, findingPlace } from "./report";
import { checksLine } from "./checks";
import { AuditedCredential } from "./model";
import { secretlessHeadlineHtml } from "./secretless";

/** Rows in the timeline; the apps whose credentials end soonest come first. */
export const TIMELINE_MAX_APPS = 150;

/** Tenant text as HTML: control characters (invalid in the inline SVG's XML) dropped, then escaped. */
const esc = (text: unknown) => escapeXml(oneLine(typeof text === "string" ? text : text === null || text === undefined ? "" : String(text)));
const day = (iso: string | null) => (iso ? iso.slice(0, 10) : "-");
/** Bars take three lanes in turn, as the plan's slots do. */
const TIMELINE_LANES = ["a", "b", "c"];

function timelineApps(credentials: readonly AuditedCredential[]): { apps: TimelineApp[]; total: number } {
    const byApp = new Map<string, AuditedCredential[]>();
    for (const c of credentials) {
        if (!c.startDateTime || !c.endDateTime) continue;
        const key = `${c.app.kind}:${c.app.objectId}`;
        byApp.set(key, [...(byApp.get(key) ?? []), c]);
    }
    const soonest = (list: AuditedCredential[]) => Math.min(...list.map((c) => DateTime.fromISO(c.endDateTime!).toMillis()));
    const ordered = [...byApp.values()].sort((a, b) => soonest(a) - soonest(b) || String(a[0].app.displayName).localeCompare(String(b[0].app.displayName)));
    const apps = ordered.slice(0, TIMELINE_MAX_APPS).map((list) => ({
        name: oneLine(`${list[0].app.displayName}${list[0].app.kind === "servicePrincipal" ? " (SP)" : ""}`),
        credentials: list.map((c, i) => {
            const start = DateTime.fromISO(c.startDateTime!, { zone: "utc" });
            const end = DateTime.fromISO(c.endDateTime!, { zone: "utc" });
            const held = c.heldBy.length > 0;
            return {
                slot: TIMELINE_LANES[i % TIMELINE_LANES.length], label: oneLine(`${c.type} ${c.displayName ?? c.keyId}`), start, end,
                inService: held ? { from: start, until: end } : undefined, idleNote: "held by no Key Vault secret checked",
            };
        }),
        rotations: [],
    }));
    return { apps, total: ordered.length };
}

export function renderAuditHtml(report: AuditReport): string {
    const now = DateTime.fromISO(report.checkedAt, { zone: "utc" });
    const { apps, total } = timelineApps(report.credentials);
    const from = now.minus({ days: 90 });
    const to = now.plus({ days: Math.max(365, report.warnDays) });
    const svg = apps.length > 0
        ? renderTimelineSvg({ from, to, today: now, apps, title: `Credential expiries, ${from.toISODate()} to ${to.toISODate()}`,
            legend: "One row per app, one bar per credential. Dark: a Key Vault secret holds it; hatched: no checked secret holds it; red line: today.", slotLabels: false })
        : "<p>No credential with start and end dates.</p>";
    const s = report.summary;
    const findingRows = report.findings.map((f) => `<tr class="finding ${f.severity}" data-code="${esc(f.code)}">`
        + `<td>${esc(f.severity)}</td><td><code>${esc(f.code)}</code></td><td>${esc(f.app?.displayName ?? "-")}</td><td><code>${esc(f.clientId)}</code></td>`
        + `<td><code>${esc(findingPlace(f))}</code></td><td>${esc(f.message)}</td></tr>`).join("\n");
    const credentialRows = report.credentials.map((c) => `<tr class="credential" data-key-id="${esc(c.keyId)}">`
        + `<td>${esc(c.app.displayName)}</td><td><code>${esc(c.app.appId)}</code></td><td>${c.app.kind === "application" ? "app" : "SP"}</td>`
        + `<td>${c.type}</td><td>${esc(c.displayName ?? "")}</td><td><code>${esc(c.keyId)}</code></td><td><code>${esc(c.hint ?? "")}</code></td>`
        + `<td>${day(c.startDateTime)}</td><td>${day(c.endDateTime)}</td><td data-sort="${c.daysLeft ?? ""}">${c.daysLeft ?? "-"}</td>`
        + `<td data-sort="${c.lifetimeDays ?? ""}">${c.lifetimeDays === null ? "-" : Math.round(c.lifetimeDays)}</td>`
        + `<td>${c.managedByKeyrelay ? (c.retiring ? "keyrelay (retiring)" : "keyrelay") : ""}</td><td>${esc(c.heldBy.join(", "))}</td></tr>`).join("\n");
    const secretRows = report.secrets.map((x) => `<tr class="secret"><td><code>${esc(new URL(x.vault).host)}</code></td><td>${esc(x.name)}</td><td>${esc(x.app?.displayName ?? "-")}</td>`
        + `<td><code>${esc(x.clientId)}</code></td><td>${x.source}</td><td><code>${x.hint === null ? "not read" : x.hint ? `${esc(x.hint)}…` : "-"}</code></td><td>${day(x.endDateTime)}</td><td><code>${esc(x.keyId ?? "-")}</code></td><td>${esc(x.findings.join(", ") || "ok")}</td></tr>`).join("\n");
    const verdict = report.exitCode === 2 ? "critical findings" : report.exitCode === 1 ? "warnings" : "clean";
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>keyrelay audit ${esc(report.checkedAt)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#1d1d1f;background:#fff}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 8px}
.summary{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.summary div{border-radius:6px;padding:10px 14px;background:#eef2f8;min-width:110px}
.summary .critical{background:#f8d7d4}.summary .warning{background:#fdebc8}
.summary b{display:block;font-size:22px}
table{border-collapse:collapse;font-size:12px;width:100%}
th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3;cursor:pointer;position:sticky;top:0;user-select:none}
th.sorted-asc::after{content:" \\25B2"}th.sorted-desc::after{content:" \\25BC"}
tr.critical td:first-child{color:#b3261e;font-weight:bold}tr.warning td:first-child{color:#8a5a00;font-weight:bold}
.timeline{overflow-x:auto;border:1px solid #ddd;padding:6px}
code{font-size:11px}
.headline{font-size:15px;margin:10px 0}.headline b{font-size:34px;color:#0b6e4f;margin-right:6px}
</style>
</head>
<body>
<h1>keyrelay audit: ${esc(verdict)}</h1>
${secretlessHeadlineHtml(report.secretless)}
<p>${esc(report.graphUrl)}, ${esc(report.checkedAt)}; warn under ${report.warnDays} days; vaults: ${esc(report.vaults.map((v) => new URL(v).host).join(", ") || "none")}. Exit code ${report.exitCode}.</p>
<p id="checks">${esc(checksLine(report.checks))}</p>
<div class="summary">
<div class="critical"><b id="count-critical">${s.critical}</b>critical</div>
<div class="warning"><b id="count-warning">${s.warning}</b>warnings</div>
<div><b>${s.apps}</b>apps</div><div><b>${s.servicePrincipals}</b>service principals</div>
<div><b>${s.credentials}</b>credentials</div><div><b>${s.secrets}</b>vault secrets</div>
</div>
<h2>Findings</h2>
${report.findings.length === 0 ? '<p id="no-findings">No findings.</p>' : `<table id="findings" class="sortable"><thead><tr><th>severity</th><th>code</th><th>app</th><th>client id</th><th>credential / secret</th><th>what to do</th></tr></thead><tbody>
${findingRows}
</tbody></table>`}
<h2>Expiries</h2>
<div class="timeline">${svg}</div>
${total > apps.length ? `<p>The ${apps.length} apps whose credentials end soonest, of ${total}.</p>` : ""}
<h2>Credentials</h2>
<table id="credentials" class="sortable"><thead><tr><th>app</th><th>client id</th><th>kind</th><th>type</th><th>name</th><th>key id</th><th>hint</th><th>start</th><th>end</th><th>days left</th><th>lifetime (days)</th><th>managed</th><th>held by</th></tr></thead><tbody>
${credentialRows}
</tbody></table>
<h2>Vault secrets</h2>
<table id="secrets" class="sortable"><thead><tr><th>vault</th><th>secret</th><th>app</th><th>client id</th><th>tied by</th><th>hint</th><th>expires</th><th>holds key id</th><th>findings</th></tr></thead><tbody>
${secretRows}
</tbody></table>
<script>
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var ascending = !th.classList.contains("sorted-asc");
      table.querySelectorAll("th").forEach(function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
      th.classList.add(ascending ? "sorted-asc" : "sorted-desc");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var key = function (row) { var cell = row.cells[column]; var v = cell.getAttribute("data-sort"); return v === null ? cell.textContent : v; };
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return ascending ? c : -c;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
</script>
</body>
</html>
`;
}
