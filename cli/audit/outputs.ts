// Where audit's report goes besides stdout: the --html file and the --webhook. Both targets are
// checked before the audit starts (a path that cannot be written is a usage error at once); a
// delivery that fails afterwards is one line on stderr, and the command still exits with the
// findings' code (or 4 when there were none), so stdout keeps exactly one document.
import * as fs from "fs";
import * as path from "path";
import { CliContext } from "../context";
import { EXIT_ENVIRONMENT, usageError } from "../errors";
import { KeyrelayError } from "../../lib/errors";
import { errorLine } from "../../lib/terminalText";

/** The --html file's absolute path, once it is known to be writable. */
export function checkHtmlTarget(option: string, context: CliContext): string {
    const file = path.resolve(context.cwd ?? process.cwd(), option);
    const refuse = (why: string) => usageError(`keyrelay audit: cannot write --html ${errorLine(option)}: ${why}. Choose a writable file path.`);
    let stat: fs.Stats | undefined;
    try { stat = fs.statSync(file); } catch { stat = undefined; }
    if (stat?.isDirectory()) throw refuse("it is a directory");
    try {
        fs.accessSync(stat ? file : path.dirname(file), fs.constants.W_OK);
    } catch (error) {
        const code = (error as { code?: string }).code;
        throw refuse(code === "ENOENT" ? `the directory ${path.dirname(file)} does not exist` : `not writable (${code ?? "access denied"})`);
    }
    return file;
}

/** Renders and writes the --html file; a renderer failure is said to be one (a bug), not an unwritable path. */
export function writeHtmlReport<R>(report: R, file: string, option: string, render: (report: R) => string): void {
    let html: string;
    try {
        html = render(report);
    } catch (error) {
        throw new KeyrelayError("HtmlRenderFailed", `keyrelay audit: the HTML report could not be rendered (${(error as Error)?.message ?? String(error)})`,
            { fix: "This is a keyrelay bug: please report it with the --json output", cause: error });
    }
    try {
        fs.writeFileSync(file, html);
    } catch (error) {
        throw new KeyrelayError("HtmlWriteFailed", `keyrelay audit: cannot write --html ${errorLine(option)}: ${(error as Error).message}`,
            { fix: "The findings are above; choose a writable path", cause: error });
    }
}

/** One delivery after the report is printed; a failure is printed and counted, never thrown. */
export async function deliver(context: CliContext, work: () => Promise<void> | void): Promise<boolean> {
    try {
        await work();
        return true;
    } catch (error) {
        context.stderr(`${errorLine((error as Error)?.message ?? String(error))}\n`);
        return false;
    }
}

/** The command's exit code: the findings', unless a delivery failed on an otherwise clean run. */
export function exitCodeAfterDelivery(findingsExitCode: number, allDelivered: boolean): number {
    return allDelivered || findingsExitCode !== 0 ? findingsExitCode : EXIT_ENVIRONMENT;
}
