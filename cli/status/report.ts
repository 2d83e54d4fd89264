// keyrelay status: one pass over the vault's secret listing; every verdict comes from the
// listing's tags and attributes, so no secret is read.
import { DateTime } from "luxon";
import { CliContext } from "../context";
import { Deadline, isDeadlineError, parseTimeout } from "../../lib/deadline";
import { environmentError, isCliError, usageError } from "../errors";
import { formatTable } from "../table";
import { Severity, paint } from "../colors";
import { DEFAULT_WARN_DAYS, SecretStatus, countByVerdict, isManagedByKeyrelay, judgeSecret, statusExitCode } from "./verdicts";
import { authorityHostOf, createSecretClient, deadlineError, parseVaultAddress, vaultCallError } from "../vaultAccess";

export interface StatusOptions {
    vault: string;
    warnDays?: string;
    json?: boolean;
    authorityHost?: string;
    /** Overall deadline in seconds; default 60. */
    timeout?: string;
}

export const STATUS_SCHEMA = "keyrelay-status/1";

export interface StatusReport {
    /** The JSON shape's name and version: schemas/keyrelay-status-1.schema.json. */
    schema: typeof STATUS_SCHEMA;
    vault: string;
    checkedAt: string;
    warnDays: number;
    secrets: SecretStatus[];
    counts: ReturnType<typeof countByVerdict>;
    /** Secrets in the vault that keyrelay does not manage (no managed-by tag). */
    otherSecrets: number;
    /** List pages fetched: the only data-plane reads a status makes. */
    pages: number;
    exitCode: number;
}

export function parseWarnDays(text: string | undefined): number {
    if (text === undefined) return DEFAULT_WARN_DAYS;
    const days = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(days) || days > 730) {
        throw usageError(`keyrelay status: --warn-days is ${JSON.stringify(text)}, not a whole number of days. Use a number from 0 to 730, e.g. --warn-days 30.`);
    }
    return days;
}

export async function collectStatus(options: StatusOptions, context: CliContext): Promise<StatusReport> {
    const warnDays = parseWarnDays(options.warnDays);
    const timeoutMs = parseTimeout(options.timeout, "status");
    const address = parseVaultAddress(options.vault);
    const authorityHost = authorityHostOf(options.authorityHost, context);
    const deadline = new Deadline(timeoutMs, "status", new URL(address.url).host);
    const client = createSecretClient(address, context, authorityHost, deadline);
    const now = DateTime.utc();
    const secrets: SecretStatus[] = [];
    let otherSecrets = 0;
    let pages = 0;
    try {
        await deadline.run(async () => {
            const listing = client.listPropertiesOfSecrets({ abortSignal: deadline.signal }).byPage({ maxPageSize: 25 });
            for await (const page of listing) {
                pages++;
                for (const properties of page) {
                    if (isManagedByKeyrelay(properties)) secrets.push(judgeSecret(properties, now, warnDays));
                    else otherSecrets++;
                }
                if (context.isTTY) context.stderr(`\rscanning ${address.url}: ${secrets.length + otherSecrets} secrets, ${pages} pages`);
            }
        });
    } catch (error) {
        if (context.isTTY) context.stderr("\n");
        if (isCliError(error) || isDeadlineError(error)) throw error;
        throw deadlineError(deadline, address.url, authorityHost) ?? vaultCallError(error, "list secrets", address.url, "Key Vault Reader");
    } finally {
        deadline.dispose();
        if (context.isTTY && pages > 0) context.stderr("\n");
    }
    if (secrets.length === 0) {
        throw environmentError(`keyrelay status: no secrets managed by keyrelay in ${address.url} (${otherSecrets} other secrets, none tagged managed-by=keyrelay). `
            + "Check --vault, or deploy a stack that writes to this vault first.");
    }
    secrets.sort((a, b) => (a.daysLeft ?? -Infinity) - (b.daysLeft ?? -Infinity) || a.secret.localeCompare(b.secret));
    return {
        schema: STATUS_SCHEMA,
        vault: address.url,
        checkedAt: now.toISO({ suppressMilliseconds: true })!,
        warnDays,
        secrets,
        counts: countByVerdict(secrets),
        otherSecrets,
        pages,
        exitCode: statusExitCode(secrets),
    };
}

const VERDICT_SEVERITY: Record<SecretStatus["verdict"], Severity> = { "ok": "ok", "due": "warning", "missing": "warning", "near expiry": "critical", "expired": "critical" };

export function formatStatus(report: StatusReport, colors: Pick<CliContext, "color"> = {}): string {
    const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : "-");
    const table = formatTable(
        ["secret", "app", "client id", "expires", "days left", "next rotation", "verdict"],
        report.secrets.map((s) => [s.secret, s.app ?? "-", s.clientId ?? "-", day(s.endDateTime), s.daysLeft === undefined ? "-" : String(s.daysLeft), day(s.nextRotation), paint(colors, VERDICT_SEVERITY[s.verdict], s.verdict)]),
    );
    const reasons = report.secrets.filter((s) => s.reason).map((s) => `${s.secret}: ${s.verdict}: ${s.reason}`);
    const counts = Object.entries(report.counts).filter(([, n]) => n > 0).map(([v, n]) => `${n} ${v}`).join(", ");
    return [
        `keyrelay status of ${report.vault} at ${report.checkedAt} (warn under ${report.warnDays} days)`,
        "",
        table,
        "",
        ...(reasons.length > 0 ? [...reasons, ""] : []),
        `${report.secrets.length} keyrelay secrets: ${counts}. ${report.otherSecrets} other secrets ignored. ${report.pages} list pages read.`,
    ].join("\n") + "\n";
}
