// The audit's picture of expiries: one row per app, one lane per credential, the bars behind a
// finding in its severity's colour, the month axis at the top and again at the bottom, and a dashed
// line for today. Its own renderer, not the plan's (cli/timeline.ts): the plan's rows are password
// slots and rotations, these are findings. Pure: rows in, SVG text out.
import { DateTime } from "luxon";
import { escapeXml } from "../timeline";
import { oneLine } from "../../lib/terminalText";
import { Severity } from "./model";

export interface AuditTimelineBar {
    start: DateTime;
    end: DateTime;
    /** The worst finding behind this credential; null when none. */
    severity: Severity | null;
    /** A checked vault secret holds it. */
    held: boolean;
    /** The tooltip. */
    tip: string;
}

export interface AuditTimelineRow {
    name: string;
    /** The app's worst finding; null when it has none. */
    severity: Severity | null;
    /** The app's finding codes, for the label's tooltip. */
    codes: readonly string[];
    bars: readonly AuditTimelineBar[];
}

const LABEL_WIDTH = 230;
const CHART_WIDTH = 900;
const AXIS_HEIGHT = 22;
const LANE_HEIGHT = 9;
const ROW_GAP = 8;
const NAME_MAX = 32;

const esc = (text: string) => escapeXml(oneLine(text));

export function renderAuditTimeline(input: { from: DateTime; to: DateTime; today: DateTime; rows: readonly AuditTimelineRow[]; id: string }): string {
    const { from, to } = input;
    const span = Math.max(1, to.toMillis() - from.toMillis());
    const x = (t: DateTime) => LABEL_WIDTH + ((Math.min(Math.max(t.toMillis(), from.toMillis()), to.toMillis()) - from.toMillis()) / span) * CHART_WIDTH;
    const heights = input.rows.map((r) => Math.max(1, r.bars.length) * LANE_HEIGHT + ROW_GAP);
    const chartTop = AXIS_HEIGHT;
    const chartBottom = chartTop + heights.reduce((a, b) => a + b, 0);
    const width = LABEL_WIDTH + CHART_WIDTH + 24;
    const height = chartBottom + AXIS_HEIGHT;
    const f = (n: number) => n.toFixed(1);
    const out: string[] = [];
    out.push(`<svg xmlns="http://www.w3.org/2000/svg" id="${input.id}" class="audit-timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
    out.push(`<defs><pattern id="${input.id}-idle" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eef2f8"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9aaecb" stroke-width="2"/></pattern></defs>`);
    out.push(`<style>.bar.held{fill:#2f6db5}.bar.idle{fill:url(#${input.id}-idle)}.bar.critical{fill:#c62828}.bar.warning{fill:#e69b00}.grid{stroke:#e6e6e6}.axis{fill:#555}.today{stroke:#222;stroke-width:1.5;stroke-dasharray:4 3}.dot.critical{fill:#c62828}.dot.warning{fill:#e69b00}</style>`);

    // Month lines; a label at every month (the year on January and on the first label), at the top and at the bottom.
    let first = true;
    for (let month = from.toUTC().startOf("month").plus({ months: 1 }); month < to; month = month.plus({ months: 1 })) {
        const mx = f(x(month));
        out.push(`<line class="grid" x1="${mx}" y1="${chartTop}" x2="${mx}" y2="${chartBottom}"/>`);
        const label = month.month === 1 || first ? month.toFormat("LLL yyyy") : month.toFormat("LLL");
        first = false;
        out.push(`<text class="axis axis-top" x="${mx}" y="${AXIS_HEIGHT - 8}" text-anchor="middle">${label}</text>`);
        out.push(`<text class="axis axis-bottom" x="${mx}" y="${chartBottom + 15}" text-anchor="middle">${label}</text>`);
    }

    let top = chartTop;
    input.rows.forEach((row, i) => {
        const name = row.name.length > NAME_MAX ? `${row.name.slice(0, NAME_MAX - 1)}…` : row.name;
        const mid = top + heights[i] / 2;
        out.push(`<g class="app${row.severity ? ` ${row.severity}` : ""}" data-app="${esc(row.name)}"><title>${esc(`${row.name}${row.codes.length ? `: ${row.codes.join(", ")}` : ": no findings"}`)}</title>`);
        if (row.severity) out.push(`<circle class="dot ${row.severity}" cx="12" cy="${f(mid)}" r="4"/>`);
        out.push(`<text x="22" y="${f(mid + 4)}"${row.severity ? ' font-weight="bold"' : ""}>${esc(name)}</text>`);
        row.bars.forEach((bar, lane) => {
            const y = top + ROW_GAP / 2 + lane * LANE_HEIGHT;
            const x1 = x(bar.start), x2 = x(bar.end);
            const kind = bar.severity ?? (bar.held ? "held" : "idle");
            out.push(`<rect class="bar ${kind}" x="${f(x1)}" y="${y}" width="${f(Math.max(x2 - x1, 1))}" height="${LANE_HEIGHT - 2}"><title>${esc(bar.tip)}</title></rect>`);
        });
        if (row.bars.length === 0) out.push(`<text x="${LABEL_WIDTH}" y="${f(mid + 4)}" fill="#777">no credential with readable dates</text>`);
        out.push(`</g>`);
        top += heights[i];
    });

    if (input.today >= from && input.today <= to) {
        const tx = f(x(input.today));
        out.push(`<line class="today" x1="${tx}" y1="${chartTop - 4}" x2="${tx}" y2="${chartBottom + 2}"><title>today ${input.today.toISODate()}</title></line>`);
    }
    out.push(`</svg>`);
    return out.join("\n");
}
