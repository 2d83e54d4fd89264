// Severity colours on a terminal: only when stdout is one, and never with NO_COLOR set
// (https://no-color.org: "when present and not an empty string") or --no-color. Text from a tenant
// or a vault is made printable before it is coloured; a colour never carries data.
import { CliContext } from "./context";

export type Severity = "ok" | "warning" | "critical" | "info";

const SGR: Record<Severity, string> = { ok: "32", warning: "33", critical: "31;1", info: "36" };

/** Whether output should be coloured: a terminal, no NO_COLOR, no --no-color (before a `--`). */
export function colorWanted(argv: readonly string[], context: Pick<CliContext, "isTTY" | "env">): boolean {
    const end = argv.indexOf("--");
    if ((end < 0 ? argv : argv.slice(0, end)).includes("--no-color")) return false;
    if (context.env.NO_COLOR !== undefined && context.env.NO_COLOR !== "") return false;
    return context.isTTY;
}

/** `text` in its severity's colour when `context.color` is on; as it is otherwise. */
export function paint(context: Pick<CliContext, "color">, severity: Severity, text: string): string {
    return context.color ? `\x1b[${SGR[severity]}m${text}\x1b[0m` : text;
}
