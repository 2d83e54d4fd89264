// The keyrelay command: argument parsing, and the mapping of every failure to one line and an exit code.
import { Command, CommanderError, Option } from "commander";
import { CliContext, processContext } from "./context";
import { EXIT_ENVIRONMENT, EXIT_OK, EXIT_USAGE, isCliError } from "./exitCodes";

const EXIT_CODES_HELP = `
Exit codes:
  0  all ok
  1  warnings: a rotation is due, or a secret cannot be judged (status)
  2  near expiry or expired (status); token refused (verify); a mandatory policy failed (plan)
  3  bad arguments
  4  vault or token endpoint unreachable, access denied, nothing to check`;

export function buildProgram(context: CliContext, onResult: (code: number) => void): Command {
    const program = new Command("keyrelay")
        .description("Plan, check and verify Entra ID client secrets that keyrelay rotates into Azure Key Vault.")
        .addHelpText("after", EXIT_CODES_HELP)
        .showHelpAfterError(false)
        .exitOverride()
        .configureOutput({ writeOut: (s) => context.stdout(s), writeErr: (s) => context.stderr(s) });

    program.command("plan")
        .description("Time-travel preview of the rotation schedule (no Azure, no Pulumi CLI): runs the program under Pulumi's mock runtime and derives every day something changes from the components' schedule. A PLAN, not a deployment.")
        .option("--program <dir>", "Pulumi program directory (holds index.ts and Pulumi.<stack>.yaml)", undefined)
        .option("--stack <name>", "stack whose config file Pulumi.<name>.yaml is used", "example")
        .option("--from <date>", "first simulated day, ISO date or date-time (default: now)")
        .option("--horizon <duration>", "how far ahead to simulate, ISO-8601 duration", "P2Y")
        .option("--svg <file>", "where to write the timeline picture", "keyrelay-plan.svg")
        .option("--simulate", "run the program on every day something changes (engine-playing simulation) instead of deriving those days from the schedule")
        .option("--daily", "run the program on every day (implies --simulate), for programs with time-dependent resources of their own")
        .option("--json", "print the plan as JSON")
        .addHelpText("after", EXIT_CODES_HELP)
        .action(async (options) => {
            const { planCommand } = await import("./plan");
            onResult(await planCommand(options, context));
        });

    program.command("status")
        .description("Lists the secrets keyrelay manages in a vault with expiry, days left, next rotation and a verdict. Reads the listing only, never a value.")
        .requiredOption("--vault <url>", "vault URL, https://<name>.vault.azure.net")
        .option("--warn-days <days>", "near expiry under this many days", "30")
        .addOption(new Option("--authority-host <url>", "Entra authority host (default: AZURE_AUTHORITY_HOST, else public cloud)"))
        .option("--json", "print the status as JSON")
        .addHelpText("after", EXIT_CODES_HELP)
        .action(async (options) => {
            const { statusCommand } = await import("./status");
            onResult(await statusCommand(options, context));
        });

    program.command("verify")
        .description("Reads the newest version of a secret and asks Entra ID for a token with it; prints OK with a 3-character hint, or the AADSTS cause and its fix.")
        .requiredOption("--vault <url>", "vault URL, https://<name>.vault.azure.net")
        .requiredOption("--secret <name>", "secret name in the vault")
        .option("--tenant <id>", "tenant id or domain (default: AZURE_TENANT_ID)")
        .option("--client-id <id>", "application (client) id (default: the secret's client-id tag)")
        .option("--wait <duration>", "retry AADSTS7000215 while the version is younger than this (propagation), ISO-8601", "PT5M")
        .option("--authority-host <url>", "Entra authority host (default: AZURE_AUTHORITY_HOST, else https://login.microsoftonline.com)")
        .option("--json", "print the result as JSON")
        .addHelpText("after", EXIT_CODES_HELP)
        .action(async (options) => {
            const { verifyCommand } = await import("./verify");
            onResult(await verifyCommand(options, context));
        });
    return program;
}

/** Runs the command line `argv` (without node and script) and returns the exit code; never throws. */
export async function runCli(argv: string[], context: CliContext = processContext()): Promise<number> {
    let exitCode = EXIT_OK;
    const program = buildProgram(context, (code) => { exitCode = code; });
    try {
        await program.parseAsync(argv, { from: "user" });
        return exitCode;
    } catch (error) {
        if (error instanceof CommanderError) {
            // Commander has printed its own one-line message (or the help).
            return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
        }
        if (isCliError(error)) {
            context.stderr(`${error.message}\n`);
            return error.exitCode;
        }
        const message = error instanceof Error ? error.message.split(/\r?\n/)[0] : String(error);
        context.stderr(`keyrelay: ${message}\n`);
        return EXIT_ENVIRONMENT;
    }
}

if (require.main === module) {
    runCli(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
