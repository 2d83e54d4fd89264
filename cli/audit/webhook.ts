// --webhook: the findings as JSON, signed so a receiver can tell the post came from someone who
// holds the shared secret, with a Microsoft Teams summary card in the same body.
//
// Signature (docs/audit.md shows a receiver): X-Keyrelay-Signature: sha256=<hex HMAC-SHA256 of
// "<X-Keyrelay-Timestamp>.<raw body>" keyed with the KEYRELAY_WEBHOOK_SECRET environment variable>.
// The timestamp in the signed string lets a receiver refuse replays of an old post.
import * as crypto from "crypto";
import * as http from "http";
import * as https from "https";
import { DateTime } from "luxon";
import { environmentError, isCliError, usageError } from "../errors";
import { Deadline } from "../../lib/deadline";
import { isKeyrelayError } from "../../lib/errors";
import { refuseRedirect } from "../../lib/redirects";
import { urlForMessage } from "../../lib/terminalText";
import { cardText } from "./cardText";
import { AuditReport, findingPlace } from "./report";

export const WEBHOOK_SECRET_ENV = "KEYRELAY_WEBHOOK_SECRET";
export const SIGNATURE_HEADER = "X-Keyrelay-Signature";
export const TIMESTAMP_HEADER = "X-Keyrelay-Timestamp";
/** Findings listed on the card; the full list is in `keyrelay.findings`. */
const CARD_FINDINGS = 15;

export function signWebhookBody(secret: string, timestamp: string, body: string): string {
    return `sha256=${crypto.createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** What a receiver runs: recompute and compare in constant time. */
export function verifyWebhookSignature(secret: string, timestamp: string, body: string, signature: string): boolean {
    const expected = Buffer.from(signWebhookBody(secret, timestamp, body));
    const given = Buffer.from(signature);
    return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}

/**
 * An Incoming Webhook / Workflows message with one Adaptive Card (the shape Teams documents at
 * https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using),
 * plus the machine-readable findings under `keyrelay`.
 */
export function webhookBody(report: AuditReport): object {
    const s = report.summary;
    const title = report.exitCode === 2 ? "keyrelay audit: critical findings" : report.exitCode === 1 ? "keyrelay audit: warnings" : "keyrelay audit: clean";
    const card = {
        $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
        type: "AdaptiveCard",
        version: "1.4",
        body: [
            { type: "TextBlock", size: "Large", weight: "Bolder", text: title, color: report.exitCode === 2 ? "Attention" : report.exitCode === 1 ? "Warning" : "Good" },
            { type: "TextBlock", wrap: true, text: `${s.apps} apps, ${s.credentials} credentials, ${s.secrets} vault secrets checked at ${report.checkedAt}.` },
            { type: "FactSet", facts: [{ title: "Critical", value: String(s.critical) }, { title: "Warnings", value: String(s.warning) }, ...Object.entries(s.byCode).map(([code, n]) => ({ title: code, value: String(n) }))] },
            ...report.findings.slice(0, CARD_FINDINGS).map((f) => ({
                type: "TextBlock", wrap: true, spacing: "Small",
                text: `**${f.severity}** ${f.code}: ${cardText(f.app?.displayName ?? f.clientId)} (${cardText(findingPlace(f))})`,
            })),
            ...(report.findings.length > CARD_FINDINGS ? [{ type: "TextBlock", isSubtle: true, text: `and ${report.findings.length - CARD_FINDINGS} more` }] : []),
        ],
    };
    return {
        type: "message",
        attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content: card }],
        keyrelay: {
            schema: report.schema, checkedAt: report.checkedAt, graphUrl: report.graphUrl, vaults: report.vaults,
            summary: report.summary, findings: report.findings, exitCode: report.exitCode,
        },
    };
}

export function webhookSecretFrom(env: NodeJS.ProcessEnv): string {
    const secret = env[WEBHOOK_SECRET_ENV];
    if (!secret) {
        throw usageError(`keyrelay audit: --webhook needs a signing secret: set ${WEBHOOK_SECRET_ENV} (the receiver checks the ${SIGNATURE_HEADER} header with it).`);
    }
    return secret;
}

export function parseWebhookUrl(text: string): URL {
    let url: URL | undefined;
    try { url = new URL(text); } catch { url = undefined; }
    if (!url || (url.protocol !== "https:" && !(url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)))) {
        throw usageError(`keyrelay audit: --webhook is ${JSON.stringify(urlForMessage(text))}, not an https URL. Use the receiver's https address (plain http only for localhost).`);
    }
    return url;
}

export async function postWebhook(url: URL, report: AuditReport, secret: string, deadline: Deadline, ca?: string): Promise<number> {
    const body = JSON.stringify(webhookBody(report));
    const timestamp = String(Math.floor(DateTime.utc().toSeconds()));
    const headers = {
        "content-type": "application/json; charset=utf-8",
        "content-length": String(Buffer.byteLength(body)),
        [SIGNATURE_HEADER]: signWebhookBody(secret, timestamp, body),
        [TIMESTAMP_HEADER]: timestamp,
    };
    const transport = url.protocol === "https:" ? https : http;
    // The socket's `timeout` only notices silence; a receiver that drips one byte every few seconds
    // never trips it. One timer bounds the whole exchange (connect, body written, answer read), and
    // the deadline's signal ends it at --timeout.
    const exchangeMs = deadline.requestTimeoutMs();
    const done = deadline.track(url.href);
    let timer: NodeJS.Timeout | undefined;
    const status = await new Promise<number>((resolve, reject) => {
        const request = transport.request(url, { method: "POST", headers, timeout: exchangeMs, signal: deadline.signal, ...(ca && url.protocol === "https:" ? { ca } : {}) }, (response) => {
            response.resume();
            // Never followed: the signature would go with it (lib/redirects.ts).
            const redirect = refuseRedirect(url.toString(), response.statusCode ?? 0, response.headers.location, "audit");
            if (redirect) return reject(redirect);
            response.on("end", () => resolve(response.statusCode ?? 0));
            response.on("error", reject);
        });
        const stop = () => request.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" }));
        timer = setTimeout(stop, exchangeMs);
        request.on("timeout", stop);
        request.on("error", reject);
        request.end(body);
    }).catch((error: { code?: string }) => {
        if (deadline.expired) throw deadline.timeoutError(url.host);
        if (isKeyrelayError(error) || isCliError(error)) throw error;
        throw environmentError(`keyrelay audit: cannot deliver the webhook to ${url.host}${error.code ? ` (${error.code})` : ""}. Check --webhook and your network.`);
    }).finally(() => {
        clearTimeout(timer);
        done();
    });
    if (status < 200 || status >= 300) {
        throw environmentError(`keyrelay audit: the webhook at ${url.host} answered HTTP ${status}. Check that the receiver accepts the post and its signature (${WEBHOOK_SECRET_ENV}).`);
    }
    return status;
}
