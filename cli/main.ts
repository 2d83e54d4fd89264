// The keyrelay command: argument parsing, and the mapping of every failure to one line and an exit code.
// Only commander and the small modules below load at start: each command loads its own modules (the
// Pulumi SDK, the Azure SDK, ts-node) in its action, so --help and usage errors answer at once.
import * as path from "path";
import { Command, CommanderError, Option } from "commander";
import { CliContext, processContext } from "./context";
import { colorWanted } from "./colors";
import { EXIT_OK, EXIT_USAGE, exitCodeOf } from "./errors";
import { isKeyrelayError } from "../lib/errors";
import { errorLine, errorLines } from "../lib/terminalText";
import { DEFAULT_AUDIT_TIMEOUT } from "./audit/budget";

/** Each command's exit codes, shown in its own --help only. */
const exitCodesHelp = (...lines: string[]) => `\nExit codes:\n${lines.map((l) => `  ${l}`).join("\n")}`;
const USAGE_EXIT = "3  bad arguments";
/** The one --timeout grammar (lib/deadline.ts parseTimeout), worded the same in every help. */
const TIMEOUT_HELP = "overall deadline: seconds, or 60s, 5m, PT2M; past it, exit 4 naming the host that did not answer";
const DEFAULT_TIMEOUT = "60s";

/** The package's version, from its package.json (above cli/ in the sources, above dist/cli/ when installed). */
export const KEYRELAY_VERSION: string = require(path.join(__dirname, path.basename(path.dirname(__dirname)) === "dist" ? "../.." : "..", "package.json")).version;

export function buildProgram(context: CliContext, onResult: (code: number) => void): Command {
    const program = new Command("keyrelay")
        .description("Plan, check and verify Entra ID client secrets that keyrelay rotates into Azure Key Vault.")
        .showHelpAfterError(false)
        .version(KEYRELAY_VERSION, "-V, --version", "print keyrelay's version")
        .option("--no-color", "no colours (also when NO_COLOR is set, or output is not a terminal)")
        .exitOverride()
        .configureOutput({ writeOut: (s) => context.stdout(s), writeErr: (s) => context.stderr(s) });

    program.command("plan")
        .description("Time-travel preview of the rotation schedule (no Azure, no Pulumi CLI): runs the program under Pulumi's mock runtime and derives every day something changes from the components' schedule. A PLAN, not a deployment.")
        .option("-C, --cwd <folder>", "run as if started in this folder, as pulumi --cwd: Pulumi.yaml is searched from there upward, and its main: names the program")
        .addOption(new Option("--program <folder>", "old name of --cwd").hideHelp())
        .option("-s, --stack <name>", "stack whose Pulumi.<name>.yaml is used (default: PULUMI_STACK, else the only Pulumi.<stack>.yaml)")
        .option("--from <date>", "first simulated day, ISO date or date-time (default: now)")
        .option("--horizon <duration>", "how far ahead to simulate, ISO-8601 duration", "P2Y")
        .option("--svg <file>", "write the timeline picture (SVG) to this file; nothing is written without it")
        .option("--simulate", "run the program on every day something changes (engine-playing simulation) instead of deriving those days from the schedule")
        .option("--daily", "run the program on every day (implies --simulate), for programs with time-dependent resources of their own")
        .option("--json", "print the plan as JSON (schema keyrelay-plan/1, schemas/keyrelay-plan-1.schema.json)")
        .addHelpText("after", exitCodesHelp("0  planned; no mandatory policy violation", "2  a mandatory policy failed, or the program does not compile or fails", USAGE_EXIT))
        .action(async (options) => {
            (await import("./plan/options")).checkPlanOptions(options);
            const { planCommand } = await import("./plan/command");
            onResult(await planCommand(options, context));
        });

    program.command("status")
        .description("Lists the secrets keyrelay manages in a vault with expiry, days left, next rotation and a verdict. Reads the listing only, never a value.")
        .requiredOption("--vault <url>", "vault URL, https://<name>.vault.azure.net")
        .option("--warn-days <days>", "near expiry under this many days", "30")
        .addOption(new Option("--authority-host <url>", "Entra authority host (default: AZURE_AUTHORITY_HOST, else public cloud)"))
        .option("--json", "print the status as JSON (schema keyrelay-status/1)")
        .option("--timeout <duration>", TIMEOUT_HELP, DEFAULT_TIMEOUT)
        .addHelpText("after", exitCodesHelp("0  every secret ok", "1  a rotation is due, or a secret cannot be judged", "2  a secret is near expiry or expired", USAGE_EXIT,
            "4  vault or token endpoint unreachable, access denied, or no keyrelay secret in the vault"))
        .action(async (options) => {
            const { statusCommand } = await import("./status/command");
            onResult(await statusCommand(options, context));
        });

    program.command("verify")
        .description("Reads the newest version of a secret and asks Entra ID for a token with it; prints OK with a 3-character hint, or the AADSTS cause and its fix.")
        .requiredOption("--vault <url>", "vault URL, https://<name>.vault.azure.net")
        .requiredOption("--secret <name>", "secret name in the vault")
        .option("--tenant <id>", "tenant id or domain (default: AZURE_TENANT_ID)")
        .option("--client-id <id>", "application (client) id (default: the secret's client-id tag)")
        .option("--wait <duration>", "retry AADSTS7000215 while the version is younger than this (propagation), ISO-8601, at most P1D; bounded by --timeout", "PT5M")
        .option("--authority-host <url>", "Entra authority host (default: AZURE_AUTHORITY_HOST, else https://login.microsoftonline.com)")
        .option("--attempts <n>", "consecutive successful token requests needed before the secret counts as good (Entra replicas)", "3")
        .option("--json", "print the result as JSON (schema keyrelay-verify/1)")
        .option("--timeout <duration>", TIMEOUT_HELP, DEFAULT_TIMEOUT)
        .addHelpText("after", exitCodesHelp("0  Entra issued tokens with the secret", "2  Entra refused the secret (the AADSTS cause and its fix are printed)", USAGE_EXIT,
            "4  vault or token endpoint unreachable, or access denied"))
        .action(async (options) => {
            const { verifyCommand } = await import("./verify/command");
            onResult(await verifyCommand(options, context));
        });

    program.command("doctor")
        .description("Before any pulumi up: whether the tenant's app management policies and the deployer's ownership allow rotating the declared fleet")
        .option("-C, --cwd <dir>", "run as if started in this folder: its Pulumi project, as for plan")
        .addOption(new Option("--program <dir>", "alias of --cwd").hideHelp())
        .option("-s, --stack <name>", "the stack whose Pulumi.<stack>.yaml is read, as for plan (default: PULUMI_STACK, else the only one)")
        .option("--graph-url <url>", "Microsoft Graph root for sovereign clouds", "https://graph.microsoft.com")
        .option("--authority-host <url>", "Entra authority host (default: AZURE_AUTHORITY_HOST, else public cloud)")
        .option("--timeout <duration>", TIMEOUT_HELP, DEFAULT_TIMEOUT)
        .option("--json", "print the report as JSON (schema keyrelay-doctor/1)")
        .action(async (options) => {
            onResult(await (await import("./doctor/command")).doctorCommand(options, context));
        });

    const collect = (value: string, previous: string[] = []) => [...previous, value];
    program.command("audit")
        .description("Every credential in the tenant (Microsoft Graph) and every Key Vault secret that belongs to an app, checked against them: findings with fixed codes. Never prints a value; at most Entra's 3-character hint.")
        .option("--vault <url>", "vault to check, https://<name>.vault.azure.net (repeat for more)", collect)
        .option("--map <secret=clientId>", "tie a secret without a client-id tag to an app (repeat for more)", collect)
        .option("--warn-days <days>", "credential-expiring under this many days", "30")
        .option("--graph-url <url>", "Microsoft Graph root for sovereign clouds; the token scope is <url>/.default", "https://graph.microsoft.com")
        .option("--authority-host <url>", "Entra authority host (default: AZURE_AUTHORITY_HOST, else public cloud)")
        .option("--timeout <duration>", TIMEOUT_HELP, DEFAULT_AUDIT_TIMEOUT)
        .option("--read-values", "also read each secret's value (needs Key Vault Secrets User): hint match, Secret ID stored as the value, whitespace")
        .option("--json", "print the report as JSON (schema keyrelay-audit/1, docs/audit.md)")
        .option("--html <file>", "also write a self-contained HTML report")
        .option("--webhook <url>", "POST the findings, signed with HMAC-SHA256 (KEYRELAY_WEBHOOK_SECRET), with a Teams card")
        .option("--sign-ins <window>", "check each credential against its service principal sign-ins in this window, e.g. P7D (Graph beta; AuditLog.Read.All, Entra ID P1/P2)")
        .addHelpText("after", exitCodesHelp("0  no findings", "1  warnings only", "2  a critical finding", USAGE_EXIT,
            "4  Graph, a vault, the token endpoint or the webhook unreachable, or access denied"))
        .action(async (options) => {
            const { auditCommand } = await import("./audit/command");
            onResult(await auditCommand({ ...options, vault: options.vault ?? [], map: options.map ?? [] }, context));
        });
    // Commander's own messages ("error: unknown option ...") carry the one prefix: keyrelay <command>: ...
    for (const command of [program, ...program.commands]) {
        command.configureOutput({
            writeOut: (text) => context.stdout(text),
            writeErr: (text) => context.stderr(text),
            outputError: (text, write) => write(withPrefix(text.replace(/^error: /, ""), command === program ? undefined : command.name())),
        });
    }
    return program;
}

/** `message` with the one prefix `keyrelay <command>: ` (or `keyrelay: ` outside a command), given once. */
export function withPrefix(message: string, command: string | undefined): string {
    const prefix = command ? `keyrelay ${command}: ` : "keyrelay: ";
    return prefix + message.replace(/^keyrelay(?: [a-z]+)?: /, "");
}

/** The command `argv` names, when its first word is one. */
function commandOf(argv: readonly string[]): string | undefined {
    return ["plan", "status", "verify", "audit"].find((name) => argv.find((a) => !a.startsWith("-")) === name);
}

/** True when `--json` is among the options (before a `--`): errors then also go to stdout as JSON. */
export function wantsJson(argv: readonly string[]): boolean {
    const end = argv.indexOf("--");
    return (end < 0 ? argv : argv.slice(0, end)).includes("--json");
}

/** Runs the command line `argv` (without node and script) and returns the exit code; never throws. */
export async function runCli(argv: string[], context: CliContext = processContext()): Promise<number> {
    let exitCode = EXIT_OK;
    // -v has long printed the version; -V is the flag most CLIs (and commander) use.
    if (argv.length === 1 && argv[0] === "-v") argv = ["--version"];
    const command = commandOf(argv);
    const color = colorWanted(argv, context);
    const program = buildProgram({ ...context, color }, (code) => { exitCode = code; });
    const fail = (message: string, code: number, printed: boolean): number => {
        // Error text may quote a service (Graph's messages echo input): one clean line (lib/terminalText.ts).
        // plan talks to no service; its compile errors are one line per diagnostic of the user's program.
        const prefixed = withPrefix(message, command);
        const line = argv[0] === "plan" ? errorLines(prefixed) : errorLine(prefixed);
        if (!printed) context.stderr(`${line}\n`);
        if (wantsJson(argv)) context.stdout(JSON.stringify({ error: line, exitCode: code }) + "\n");
        return code;
    };
    try {
        await program.parseAsync(argv, { from: "user" });
        return exitCode;
    } catch (error) {
        if (error instanceof CommanderError) {
            // Commander has printed its own one-line message (or the help, or the version).
            if (error.exitCode === 0) return EXIT_OK;
            return fail(error.message.replace(/^error: /, ""), EXIT_USAGE, true);
        }
        // The one place a failure becomes an exit: CliError, any KeyrelayError by its kind, anything else 4.
        if (isKeyrelayError(error) || error instanceof Error && error.name === "CliError") return fail(error.message, exitCodeOf(error), false);
        const message = error instanceof Error ? error.message.split(/\r?\n/)[0] : String(error);
        return fail(message, exitCodeOf(error), false);
    }
}

if (require.main === module) {
    runCli(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
