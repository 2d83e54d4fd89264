// keyrelay status: the thin entry. The listing and its verdicts are computed in report.ts.
import { CliContext } from "../context";
import { jsonForTerminal } from "../../lib/terminalText";
import { StatusOptions, collectStatus, formatStatus } from "./report";

export async function statusCommand(options: StatusOptions, context: CliContext): Promise<number> {
    const report = await collectStatus(options, context);
    context.stdout(options.json ? jsonForTerminal(report) + "\n" : formatStatus(report, context));
    return report.exitCode;
}
