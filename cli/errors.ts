// The keyrelay command's exit codes, and the one place a failure becomes one: a CliError wraps a
// KeyrelayError (lib/errors.ts) with the code the command exits with; any other KeyrelayError gets
// the code of its kind (exitCodeOf), so modules below the CLI never pick an exit code themselves.
import { KeyrelayError, isKeyrelayError } from "../lib/errors";

export const EXIT_OK = 0;
/** status: a rotation is due or a secret cannot be judged; nothing breaks yet. */
export const EXIT_WARNING = 1;
/** status: a secret is near expiry or expired; verify: the token endpoint refused the secret; plan: a mandatory policy failed. */
export const EXIT_CRITICAL = 2;
/** Bad arguments or options. */
export const EXIT_USAGE = 3;
/** The vault, Graph, token endpoint or webhook is unreachable or too slow, access is denied, or there is nothing to check. */
export const EXIT_ENVIRONMENT = 4;

/** Error codes of KeyrelayErrors that are the user's input, not the environment. */
const USAGE_CODES = ["InvalidInput", "InvalidOption"];

/** A failure the command reports as one line on stderr before exiting with `exitCode`. */
export class CliError extends Error {
    constructor(readonly reason: KeyrelayError, readonly exitCode: number) {
        super(reason.message, { cause: reason });
        this.name = "CliError";
    }
}

/** A usage error (exit 3): `message` says what is wrong and how to fix it. */
export function usageError(message: string): CliError {
    return new CliError(new KeyrelayError("InvalidOption", message), EXIT_USAGE);
}

/** An environment error (exit 4): something keyrelay talks to failed, or there is nothing to check. */
export function environmentError(message: string, code = "Unavailable"): CliError {
    return new CliError(new KeyrelayError(code, message), EXIT_ENVIRONMENT);
}

/** True for a CliError, also one from a fresh copy of this module (plan re-requires the program's directory). */
export function isCliError(error: unknown): error is CliError {
    return error instanceof Error && error.name === "CliError" && typeof (error as CliError).exitCode === "number";
}

/** The exit code of any failure: a CliError's own, a usage code for bad input, else the environment's. */
export function exitCodeOf(error: unknown): number {
    if (isCliError(error)) return error.exitCode;
    if (isKeyrelayError(error) && USAGE_CODES.includes(error.code)) return EXIT_USAGE;
    return EXIT_ENVIRONMENT;
}
