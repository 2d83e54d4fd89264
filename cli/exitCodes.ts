// The keyrelay command's exit codes, in one place so docs/operations.md and the code agree.

export const EXIT_OK = 0;
/** status: a rotation is due or a secret cannot be judged; nothing breaks yet. */
export const EXIT_WARNING = 1;
/** status: a secret is near expiry or expired; verify: the token endpoint refused the secret; plan: a mandatory policy failed. */
export const EXIT_CRITICAL = 2;
/** Bad arguments or options. */
export const EXIT_USAGE = 3;
/** The vault or token endpoint is unreachable, access is denied, or there is nothing to check. */
export const EXIT_ENVIRONMENT = 4;

/** A failure the command reports as one line on stderr before exiting with `exitCode`. */
export class CliError extends Error {
    constructor(message: string, readonly exitCode: number) {
        super(message);
        this.name = "CliError";
    }
}

export function usageError(message: string): CliError {
    return new CliError(message, EXIT_USAGE);
}

export function environmentError(message: string): CliError {
    return new CliError(message, EXIT_ENVIRONMENT);
}

/** True for a CliError, also one from a fresh copy of this module (plan re-requires the program's directory). */
export function isCliError(error: unknown): error is CliError {
    return error instanceof Error && error.name === "CliError" && typeof (error as CliError).exitCode === "number";
}
