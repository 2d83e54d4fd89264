// keyrelay audit: every credential in the tenant from Microsoft Graph, every vault secret that
// belongs to an app checked against them, findings with fixed codes. See docs/audit.md.
import { DateTime } from "luxon";
import { createAzureCredential } from "../../components/provider/azureCredential";
import { SECRET_NAME_PATTERN } from "../../components/validate";
import { CliContext } from "../context";
import { usageError } from "../errors";
import { urlForMessage, jsonForTerminal } from "../../lib/terminalText";
import { parseWarnDays } from "../status/report";
import { authorityHostOf, parseVaultAddress } from "../vaultAccess";
import { Deadline, parseTimeout } from "../../lib/deadline";
import { judgeAudit } from "./findings";
import { DEFAULT_GRAPH_URL, GraphReader, readTenant } from "./graphReader";
import { parseSignInWindow } from "../../lib/signInMatch";
import { readAppsWithFederatedCredentials, secretlessSection } from "./secretless";
import { signInPart } from "./signInPart";
import { DEFAULT_AUDIT_TIMEOUT } from "./budget";
import { auditChecks } from "./checks";
import { renderAuditHtml } from "./html";
import { auditDocsUrl } from "./docsLink";
import { checkHtmlTarget, deliver, exitCodeAfterDelivery, writeHtmlReport } from "./outputs";
import { AUDIT_SCHEMA, AuditReport, auditExitCode, formatAudit, summarize } from "./report";
import { readVaults } from "./vaultReader";
import { parseWebhookUrl, postWebhook, webhookSecretFrom } from "./webhook";

export interface AuditOptions {
    vault?: string[];
    map?: string[];
    warnDays?: string;
    graphUrl?: string;
    json?: boolean;
    html?: string;
    webhook?: string;
    timeout?: string;
    authorityHost?: string;
    /** ISO-8601 window of sign-in evidence, e.g. P7D (Graph beta sign-in logs; AuditLog.Read.All, Entra ID P1/P2). */
    signIns?: string;
    /** Read each secret's value for the value checks; default: metadata only. */
    readValues?: boolean;
}

export { DEFAULT_AUDIT_TIMEOUT };
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseGraphUrl(text: string | undefined): string {
    if (text === undefined) return DEFAULT_GRAPH_URL;
    let url: URL | undefined;
    try { url = new URL(text); } catch { url = undefined; }
    // The root, or the root with the version audit reads (/v1.0), which it adds itself.
    if (!url || url.protocol !== "https:" || !/^\/?(v1\.0\/?)?$/.test(url.pathname) || url.search) {
        throw usageError(`keyrelay audit: --graph-url is ${JSON.stringify(urlForMessage(text))}, not the https root of a Microsoft Graph endpoint. Use e.g. https://graph.microsoft.com, https://graph.microsoft.us or https://microsoftgraph.chinacloudapi.cn.`);
    }
    return `https://${url.host}`;
}

/** Each national cloud's Graph and its Entra authority (Microsoft Graph national cloud deployments page). */
const SOVEREIGN_AUTHORITIES: Record<string, string> = {
    "graph.microsoft.us": "https://login.microsoftonline.us",
    "dod-graph.microsoft.us": "https://login.microsoftonline.us",
    "microsoftgraph.chinacloudapi.cn": "https://login.chinacloudapi.cn",
};

/** The authority for a national cloud's Graph when neither --authority-host nor AZURE_AUTHORITY_HOST says. */
export function authorityForGraph(graphUrl: string): string | undefined {
    return SOVEREIGN_AUTHORITIES[new URL(graphUrl).hostname];
}

export function parseMap(entries: readonly string[]): Map<string, string> {
    const map = new Map<string, string>();
    for (const entry of entries) {
        const match = /^([^=]+)=(.+)$/.exec(entry.trim());
        if (!match || !SECRET_NAME_PATTERN.test(match[1]) || !GUID.test(match[2])) {
            throw usageError(`keyrelay audit: --map ${JSON.stringify(entry)} is not secret=clientId. Use e.g. --map billing-api-secret=5e5e5e5e-aaaa-4bbb-8ccc-dddddddddddd (a Key Vault secret name, then the app's client id).`);
        }
        map.set(match[1].toLowerCase(), match[2].toLowerCase());
    }
    return map;
}

class ProgressBar {
    private graphObjects = 0;
    private vault = { read: 0, toRead: 0, listed: 0 };
    constructor(private readonly context: CliContext) {}
    graph(items: number) {
        this.graphObjects += items;
        this.draw(`Graph: ${this.graphObjects} objects read`);
    }
    vaults(event: { listed: number; read: number; toRead: number }) {
        this.vault = event;
        const width = 24;
        const filled = event.toRead === 0 ? 0 : Math.round((event.read / event.toRead) * width);
        this.draw(`[${"#".repeat(filled)}${".".repeat(width - filled)}] vault: ${event.listed} listed, ${event.read}/${event.toRead} secrets checked`);
    }
    private draw(text: string) {
        if (this.context.isTTY) this.context.stderr(`\r${text.padEnd(72)}`);
    }
    end() {
        if (this.context.isTTY) this.context.stderr("\n");
    }
}

/** The one deadline of an audit run (--timeout): Graph, every vault, the token endpoint and the webhook count against it. */
export function auditDeadline(options: AuditOptions): Deadline {
    return new Deadline(parseTimeout(options.timeout ?? DEFAULT_AUDIT_TIMEOUT, "audit"), "audit", new URL(parseGraphUrl(options.graphUrl)).host);
}

export async function runAudit(options: AuditOptions, context: CliContext, deadline = auditDeadline(options)): Promise<AuditReport> {
    const warnDays = parseWarnDays(options.warnDays);
    const graphUrl = parseGraphUrl(options.graphUrl);
    const vaults = (options.vault ?? []).map((v) => parseVaultAddress(v).url);
    const map = parseMap(options.map ?? []);
    if (map.size > 0 && vaults.length === 0) throw usageError("keyrelay audit: --map needs at least one --vault to look the secrets up in.");
    const authorityHost = authorityHostOf(options.authorityHost, context) ?? authorityForGraph(graphUrl);
    if (options.webhook !== undefined) {
        parseWebhookUrl(options.webhook);
        webhookSecretFrom(context.env);
    }
    const tlsCa = context.tlsCa;
    if (options.signIns !== undefined) {
        try { parseSignInWindow(options.signIns); } catch (error) { throw usageError((error as Error).message); }
    }

    const progress = new ProgressBar(context);
    try {
        return await deadline.run(() => auditWithin(deadline, progress, { context, warnDays, graphUrl, vaults, map, authorityHost, tlsCa, signIns: options.signIns, readValues: options.readValues === true }));
    } finally {
        progress.end();
    }
}

interface AuditInputs {
    context: CliContext;
    warnDays: number;
    graphUrl: string;
    vaults: string[];
    map: Map<string, string>;
    authorityHost: string | undefined;
    tlsCa: string | undefined;
    signIns: string | undefined;
    readValues: boolean;
}

async function auditWithin(deadline: Deadline, progress: ProgressBar, { context, warnDays, graphUrl, vaults, map, authorityHost, tlsCa, signIns, readValues }: AuditInputs): Promise<AuditReport> {
    const credential = createAzureCredential({
        authorityHost, additionalPolicies: [{ policy: deadline.policy(), position: "perRetry" }],
        ...(tlsCa ? { tlsOptions: { ca: tlsCa } } : {}),
    });
    const now = DateTime.utc();
    const tenant = await readTenant({
        graphUrl, credential, deadline, tlsCa, onPage: (_c, n) => progress.graph(n), identifyTenant: true,
        authorityHost: authorityHost ?? "https://login.microsoftonline.com",
    });
    const keyIds = new Map<string, string[]>();
    for (const app of tenant.apps) {
        const key = app.appId.toLowerCase();
        keyIds.set(key, [...(keyIds.get(key) ?? []), ...app.passwordCredentials.map((p) => p.keyId), ...app.keyCredentials.map((k) => k.keyId)]);
    }
    const vaultPart = vaults.length > 0
        ? await readVaults({ vaults, map, authorityHost, deadline, readValues, keyIdsOf: (clientId) => keyIds.get(clientId.toLowerCase()) ?? [], onProgress: (e) => progress.vaults(e) }, context)
        : { secrets: [], requests: [], notes: [] };
    const judgement = judgeAudit({ apps: tenant.apps, policies: tenant.policies, secrets: vaultPart.secrets, now, warnDays, checkLifetime: !tenant.policySkipped });
    const extra = await secretlessAndSignIns(signIns, tenant.apps, judgement, {
        graphUrl, credential, deadline, tlsCa, authorityHost: authorityHost ?? "https://login.microsoftonline.com", onPage: (_c, n) => progress.graph(n),
    }, now);
    judgement.findings.push(...extra.findings);
    const findings = judgement.findings;
    return {
        schema: AUDIT_SCHEMA,
        checkedAt: now.toISO({ suppressMilliseconds: true })!,
        graphUrl,
        ...(tenant.tenant ? { tenant: tenant.tenant } : {}),
        vaults,
        warnDays,
        checks: auditChecks({ readValues, vaults: vaults.length, policySkipped: tenant.policySkipped }),
        credentials: judgement.credentials,
        secrets: judgement.secrets,
        findings,
        policy: { tenantDefault: tenant.policies.tenantDefault ?? null, appManagementPolicies: tenant.policies.appPolicies },
        summary: summarize(judgement, tenant.apps.filter((a) => a.kind === "application").length, tenant.apps.filter((a) => a.kind === "servicePrincipal").length),
        requests: { graph: tenant.requests + extra.requests, graphPages: { ...tenant.pages, ...extra.pages }, graphThrottled: tenant.throttled + extra.throttled, vaults: vaultPart.requests },
        notes: [...tenant.notes, ...vaultPart.notes, ...extra.notes],
        secretless: extra.secretless,
        signIns: extra.signIns,
        exitCode: auditExitCode(findings),
    };
}

export async function auditCommand(options: AuditOptions, context: CliContext): Promise<number> {
    const deadline = auditDeadline(options);
    try {
        return await auditAndReport(options, context, deadline);
    } finally {
        deadline.dispose();
    }
}

/** The secretless counts and, with --sign-ins, the sign-in findings: one more reader, its own requests. */
async function secretlessAndSignIns(window: string | undefined, apps: Parameters<typeof secretlessSection>[0], judgement: ReturnType<typeof judgeAudit>,
    readOptions: ConstructorParameters<typeof GraphReader>[0], now: DateTime) {
    const reader = new GraphReader(readOptions);
    const notes: string[] = [];
    try {
        let secretless = null;
        try {
            secretless = secretlessSection(apps, await readAppsWithFederatedCredentials(reader, readOptions.graphUrl));
        } catch (error) {
            const status = (error as { status?: number }).status ?? 0;
            if (status < 400 || status >= 500) throw error;
            notes.push(`Graph answered neither federatedIdentityCredentials/$count nor $expand=federatedIdentityCredentials (HTTP ${status}): the secretless section is left out.`);
        }
        const part = await signInPart(window, judgement.credentials, judgement.secrets, { graphUrl: readOptions.graphUrl, get: (url) => reader.get(url) }, now);
        return { secretless, signIns: part.signIns, findings: part.findings, notes: [...notes, ...part.notes], requests: reader.requests, pages: reader.pages, throttled: reader.throttled };
    } finally {
        reader.close();
    }
}

async function auditAndReport(options: AuditOptions, context: CliContext, deadline: Deadline): Promise<number> {
    // Checked before the audit: a path that cannot be written fails now, not after minutes of reading.
    const htmlFile = options.html !== undefined ? checkHtmlTarget(options.html, context) : undefined;
    const report = await runAudit(options, context, deadline);
    context.stdout(options.json ? jsonForTerminal(report) + "\n" : formatAudit(report, context));
    let delivered = true;
    if (htmlFile !== undefined) {
        delivered = await deliver(context, () => {
            writeHtmlReport(report, htmlFile, options.html!, (r) => renderAuditHtml(r, { docsUrl: auditDocsUrl() }));
            if (!options.json) context.stdout(`HTML report: ${htmlFile}\n`);
        }) && delivered;
    }
    if (options.webhook) {
        delivered = await deliver(context, async () => {
            await postWebhook(parseWebhookUrl(options.webhook!), report, webhookSecretFrom(context.env), deadline, context.tlsCa);
            if (!options.json) context.stdout(`Findings posted to ${new URL(options.webhook!).host}, signed.\n`);
        }) && delivered;
    }
    return exitCodeAfterDelivery(report.exitCode, delivered);
}
