// The plan's picture: an SVG with one row per app and one lane per password slot (labelled), one
// bar per credential in its slot's lane, the span in which Key Vault points at a credential drawn
// darker (a credential that is never in Key Vault during the plan is drawn hatched and says so),
// a tick at each rotation and a line for today. Pure: string in, string out.
import { KeyrelayError } from "../lib/errors";
import { DateTime } from "luxon";

export interface TimelineCredential {
    /** The password slot ("a", "b", "c"): the lane the bar is drawn in. */
    readonly slot: string;
    readonly start: DateTime;
    readonly end: DateTime;
    /** The span in which this credential is the one in Key Vault; undefined if it never is during the plan. */
    readonly inService: { readonly from: DateTime; readonly until: DateTime } | undefined;
    /** What the tooltip calls it; default "slot <slot>". */
    readonly label?: string;
    /** What the tooltip says when inService is undefined; default: never in Key Vault during the plan. */
    readonly idleNote?: string;
}

export interface TimelineApp {
    readonly name: string;
    /** A second line under the name, e.g. "every P90D, next 2027-03-01". */
    readonly caption?: string;
    readonly credentials: readonly TimelineCredential[];
    readonly rotations: readonly DateTime[];
}

export interface TimelineInput {
    readonly from: DateTime;
    readonly to: DateTime;
    readonly today: DateTime;
    readonly apps: readonly TimelineApp[];
    readonly title: string;
    /** The line under the title; default the plan's legend. Other pictures (audit) say their own. */
    readonly legend?: string;
    /** Label the lanes "slot a/b/c" (the plan); false where lanes are only rows of bars (audit). */
    readonly slotLabels?: boolean;
}

const LABEL_WIDTH = 200;
const CHART_WIDTH = 960;
const HEADER_HEIGHT = 76;
const LANE_HEIGHT = 10;
/** keyrelay's password slots, one lane each: a credential lives in slot k mod 3. */
const SLOTS = ["a", "b", "c"];
const ROW_HEIGHT = SLOTS.length * LANE_HEIGHT + 12;
const FOOTER_HEIGHT = 28;
/** Average width of an 11 px sans-serif character: enough to lay the legend out without measuring text. */
const CHAR_WIDTH = 5.6;
const STYLE = ".credential{fill:#c9d8ef}.never-in-service{fill:url(#never-in-service)}.in-service{fill:#2f6db5}.rotation{stroke:#d08a00;stroke-width:1.5}"
    + ".today{stroke:#c0392b;stroke-width:2}.grid{stroke:#e3e3e3}.slot-label{fill:#777;font-size:9px}.caption{fill:#666;font-size:10px}.axis{fill:#555}.past-horizon{fill:#2f6db5}";

export function escapeXml(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

function day(t: DateTime): string {
    return t.toUTC().toISODate()!;
}

/** The plan's legend: a swatch and a word for each mark, the hatched one only when a credential is drawn so. */
function legendSwatches(y: number, anyNeverInService: boolean): string[] {
    const items: [string, string][] = [
        // Swatches carry their colours inline, so that nothing counts them as marks of the chart.
        [`<rect width="18" height="8" fill="#c9d8ef"/>`, "valid"],
        [`<rect width="18" height="8" fill="#2f6db5"/>`, "in Key Vault"],
        ...(anyNeverInService ? [[`<rect width="18" height="8" fill="url(#never-in-service)"/>`, "never in Key Vault: declared for an earlier period, it only expires"] as [string, string]] : []),
        [`<line x1="9" y1="-2" x2="9" y2="10" stroke="#d08a00" stroke-width="1.5"/>`, "rotation"],
        [`<line x1="9" y1="-2" x2="9" y2="10" stroke="#c0392b" stroke-width="2"/>`, "today"],
        [`<polygon points="4,-1 12,4 4,9" fill="#2f6db5"/>`, "valid past the plan's end"],
    ];
    const out: string[] = [];
    let x = 10;
    for (const [swatch, label] of items) {
        out.push(`<g class="legend-item" transform="translate(${x},${y - 8})">${swatch}<text x="24" y="8">${escapeXml(label)}</text></g>`);
        x += 24 + label.length * CHAR_WIDTH + 18;
    }
    return out;
}

/** Month ticks: a line each month; a label each month for horizons up to a year, else each quarter. */
function axisTicks(from: DateTime, to: DateTime, x: (t: DateTime) => number, top: number, bottom: number): string[] {
    const out: string[] = [];
    const monthly = to.diff(from).as("days") <= 366;
    for (let month = from.toUTC().startOf("month").plus({ months: 1 }); month < to; month = month.plus({ months: 1 })) {
        const mx = x(month).toFixed(1);
        out.push(`<line class="grid" x1="${mx}" y1="${top}" x2="${mx}" y2="${bottom}"/>`);
        if (monthly || (month.month - 1) % 3 === 0) {
            const label = month.month === 1 ? month.toFormat("LLL yyyy") : month.toFormat("LLL");
            out.push(`<text class="axis" x="${mx}" y="${top - 4}" text-anchor="middle">${label}</text>`);
            out.push(`<text class="axis" x="${mx}" y="${bottom + 14}" text-anchor="middle">${label}</text>`);
        }
    }
    return out;
}

export function renderTimelineSvg(input: TimelineInput): string {
    const { from, to } = input;
    const span = to.toMillis() - from.toMillis();
    if (!(span > 0)) throw new KeyrelayError("InvalidOption", `keyrelay: timeline: the horizon ends (${day(to)}) before it starts (${day(from)})`, { fix: "Pass a --horizon that ends after --from." });
    const x = (t: DateTime) => {
        const clamped = Math.min(Math.max(t.toMillis(), from.toMillis()), to.toMillis());
        return LABEL_WIDTH + ((clamped - from.toMillis()) / span) * CHART_WIDTH;
    };
    const width = LABEL_WIDTH + CHART_WIDTH + 20;
    const chartBottom = HEADER_HEIGHT + input.apps.length * ROW_HEIGHT;
    const height = chartBottom + FOOTER_HEIGHT;
    const fmt = (n: number) => n.toFixed(1);
    const anyNeverInService = input.apps.some((a) => a.credentials.some((c) => !c.inService));
    const out: string[] = [];
    out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
    out.push(`<title>${escapeXml(input.title)}</title>`);
    out.push(`<defs><pattern id="never-in-service" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eef2f8"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9aaecb" stroke-width="2"/></pattern></defs>`);
    out.push(`<style>${STYLE}</style>`);
    out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
    out.push(`<text class="title" x="10" y="20" font-size="14" font-weight="bold">${escapeXml(input.title)}</text>`);
    if (input.legend !== undefined) out.push(`<text class="legend" x="10" y="40" fill="#555">${escapeXml(input.legend)}</text>`);
    else out.push(`<g class="legend">`, ...legendSwatches(40, anyNeverInService), `</g>`);
    out.push(...axisTicks(from, to, x, HEADER_HEIGHT - 4, chartBottom));

    input.apps.forEach((app, row) => {
        const top = HEADER_HEIGHT + row * ROW_HEIGHT;
        const laneOf = (slot: string) => Math.max(0, SLOTS.indexOf(slot));
        out.push(`<g class="app" data-app="${escapeXml(app.name)}">`);
        out.push(`<text class="app-name" x="10" y="${top + (app.caption ? 14 : ROW_HEIGHT / 2 + 4)}" font-weight="bold">${escapeXml(app.name)}</text>`);
        if (app.caption) out.push(`<text class="caption" x="10" y="${top + 28}">${escapeXml(app.caption)}</text>`);
        if (input.slotLabels !== false) SLOTS.forEach((slot, lane) => {
            out.push(`<text class="slot-label" data-slot="${slot}" x="${LABEL_WIDTH - 6}" y="${top + 4 + lane * LANE_HEIGHT + LANE_HEIGHT - 3}" text-anchor="end">slot ${slot}</text>`);
        });
        for (const credential of app.credentials) {
            const y = top + 4 + laneOf(credential.slot) * LANE_HEIGHT;
            const x1 = x(credential.start), x2 = x(credential.end);
            const serving = credential.inService;
            const where = serving ? `in Key Vault ${day(serving.from)} to ${day(serving.until)}` : credential.idleNote ?? "never in Key Vault during the plan (declared for an earlier period, it only expires)";
            const tip = `${app.name} ${credential.label ?? `slot ${credential.slot}`}: valid ${day(credential.start)} to ${day(credential.end)}; ${where}`;
            const bar = `<rect class="${serving ? "credential" : "credential never-in-service"}" data-slot="${escapeXml(credential.slot)}" x="${fmt(x1)}" y="${y}" width="${fmt(Math.max(x2 - x1, 0.5))}" height="${LANE_HEIGHT - 2}"/>`;
            const dark = serving
                ? `<rect class="in-service" x="${fmt(x(serving.from))}" y="${y}" width="${fmt(Math.max(x(serving.until) - x(serving.from), 0))}" height="${LANE_HEIGHT - 2}"/>`
                : "";
            // A bar cut by the horizon's end says so: an arrowhead just past the edge.
            const past = credential.end > to
                ? `<polygon class="past-horizon" points="${fmt(x2 + 1)},${y - 1} ${fmt(x2 + 8)},${y + (LANE_HEIGHT - 2) / 2} ${fmt(x2 + 1)},${y + LANE_HEIGHT - 1}"/>`
                : "";
            out.push(`<g class="credential-bar"><title>${escapeXml(tip)}</title>${bar}${dark}${past}</g>`);
        }
        for (const rotation of app.rotations) {
            if (rotation < from || rotation > to) continue;
            const rx = fmt(x(rotation));
            out.push(`<line class="rotation" x1="${rx}" y1="${top + 1}" x2="${rx}" y2="${top + ROW_HEIGHT - 3}"><title>${escapeXml(`${app.name} rotates ${day(rotation)}`)}</title></line>`);
        }
        out.push(`</g>`);
    });

    if (input.today >= from && input.today <= to) {
        const tx = fmt(x(input.today));
        out.push(`<line class="today" x1="${tx}" y1="${HEADER_HEIGHT - 2}" x2="${tx}" y2="${chartBottom}"><title>today ${day(input.today)}</title></line>`);
    }
    out.push(`</svg>`);
    return out.join("\n") + "\n";
}
