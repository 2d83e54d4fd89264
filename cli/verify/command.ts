// keyrelay verify: the thin entry. Reading the secret and asking Entra for a token is in verify.ts.
import { CliContext } from "../context";
import { jsonForTerminal } from "../../lib/terminalText";
import { VerifyOptions, formatVerify, runVerify } from "./verify";

export async function verifyCommand(options: VerifyOptions, context: CliContext): Promise<number> {
    const result = await runVerify(options, context);
    context.stdout(options.json ? jsonForTerminal(result) + "\n" : formatVerify(result, context));
    return result.exitCode;
}
