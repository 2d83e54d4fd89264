// What a command needs from its surroundings; tests pass their own.

export interface CliContext {
    stdout(text: string): void;
    stderr(text: string): void;
    /** True when stdout is a terminal: progress indicators only then. */
    isTTY: boolean;
    /** Colour severities (cli/colors.ts): stdout a terminal, no NO_COLOR, no --no-color. Set by runCli. */
    color?: boolean;
    /** True when stderr is a terminal: progress and colours there only then. */
    stderrIsTTY?: boolean;
    env: NodeJS.ProcessEnv;
    /** Extra CA certificates (PEM) for the vault and token endpoint; default: NODE_EXTRA_CA_CERTS does it. */
    tlsCa?: string;
    /** Base delay of SDK and verify retries, in ms; default 1000 (Azure's own). Tests make it short. */
    retryBaseDelayMs?: number;
    /** Longest Retry-After wait, in ms; default 60,000. Tests make it short. */
    maxRetryAfterMs?: number;
    /** Working directory for relative paths; default process.cwd(). */
    cwd?: string;
}

export function processContext(): CliContext {
    return {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
        isTTY: process.stdout.isTTY === true,
        stderrIsTTY: process.stderr.isTTY === true,
        env: process.env,
    };
}
