// Plain-text tables for terminal output: columns padded to the widest cell, measured without the
// colour codes cli/colors.ts puts around a severity.

const COLOR_CODES = /\x1b\[[0-9;]*m/g;
const visibleLength = (text: string) => text.replace(COLOR_CODES, "").length;

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ""))));
    const line = (cells: readonly string[]) => cells.map((c, i) => (c ?? "") + " ".repeat(Math.max(0, widths[i] - visibleLength(c ?? "")))).join("  ").trimEnd();
    return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
