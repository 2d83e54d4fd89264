// The audit page's inline style and script (cli/audit/html.ts): constant text, no tenant data.
// Narrow screens: ids stay on one line; tables, the timeline and commands scroll sideways inside
// their own boxes, so the page itself never does.

export const PAGE_STYLE = `body{font-family:system-ui,sans-serif;margin:14px 24px;color:#1d1d1f;background:#fff;max-width:1360px}
h1{font-size:22px;margin:0 0 2px}
h2{font-size:17px;margin:22px 0 8px}h2#todo{margin:12px 0 6px}
.meta{margin:2px 0;color:#444;font-size:13px}
.note{margin:4px 0;color:#6b4e00;font-size:12px}
.verdict{font-size:15px;margin:6px 0;font-weight:600}.verdict.critical{color:#b3261e}.verdict.warning{color:#8a5a00}.verdict.clean{color:#0b6e4f}
.tiles{display:flex;gap:8px;flex-wrap:wrap;margin:6px 0}
.tile{border-radius:6px;padding:4px 12px;background:#f1f3f6;min-width:92px;font-size:13px;color:#333}
.tile.critical{background:#f8d7d4;color:#7a1a12}.tile.warning{background:#fdebc8;color:#6b4500}
.tile b{display:block;font-size:19px}
#findings{list-style:none;padding:0;margin:0}
.finding{border:1px solid #e2e2e2;border-left:5px solid #999;border-radius:6px;padding:5px 10px;margin:0 0 6px}
.finding.critical{border-left-color:#c62828}.finding.warning{border-left-color:#e69b00}
.finding-head{font-size:14px}.finding-head code{font-size:12px}
.badge{display:inline-block;border-radius:3px;padding:0 5px;font-size:11px;font-weight:bold;text-transform:uppercase;color:#fff;background:#777}
.badge.critical{background:#c62828}.badge.warning{background:#b87800}
.action{margin:2px 0;font-size:14px}
pre.command{margin:3px 0;padding:4px 8px;background:#f4f6f8;border-radius:4px;font-size:12px;overflow-x:auto;white-space:pre}
.why{margin:2px 0;font-size:12px;color:#555}.why summary{margin:0;font-weight:normal;color:#0b57d0;font-size:12px}.why p{margin:3px 0}
.why .ids{font-size:11px;color:#666}
code.id,td.id,td.date{white-space:nowrap;word-break:keep-all}
a.docs{color:#0b57d0}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;font-size:12px;width:100%}
th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3;cursor:pointer;position:sticky;top:0;user-select:none;white-space:nowrap}
th.sorted-asc::after{content:" \\25B2"}th.sorted-desc::after{content:" \\25BC"}
code{font-size:11px}
.legend{font-size:12px;color:#444;margin:4px 0}.legend span{display:inline-block;width:14px;height:9px;margin:0 4px 0 10px;vertical-align:middle}
.legend .critical{background:#c62828}.legend .warning{background:#e69b00}.legend .held{background:#2f6db5}
.legend .idle{background:repeating-linear-gradient(45deg,#eef2f8 0 3px,#9aaecb 3px 5px)}.legend .today{border-left:2px dashed #222;width:0}
details summary{cursor:pointer;margin:6px 0;font-weight:600}
.headline{font-size:14px;margin:10px 0}.headline b{font-size:22px;color:#0b6e4f;margin-right:6px}
@media (max-width:700px){body{margin:12px}h1{font-size:19px}.tile{min-width:70px;padding:5px 8px}.tile b{font-size:17px}}
`;

/** Click a column header to sort by it; numbers by their data-sort value. */
export const SORTABLE_TABLES_SCRIPT = `document.querySelectorAll("table.sortable").forEach(function (table) {
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
`;
