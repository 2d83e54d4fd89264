// The evidence gate's reads from Microsoft Graph, signed in as the deployment (createAzureCredential):
// - GET /v1.0/applications/{object id}?$select=passwordCredentials: each password's keyId and displayName
//   (https://learn.microsoft.com/graph/api/application-get; Application.ReadWrite.OwnedBy reads apps it owns,
//   which the deploying principal does: see RotatedAppRegistration's owners);
// - the beta sign-in logs through lib/signIns.ts (AuditLog.Read.All, Entra ID P1/P2).
// Every request goes to the Graph origin only (a link elsewhere is refused before a token is attached)
// and the whole read is bounded by one Deadline.
import * as https from "https";
import type { TokenCredential } from "@azure/core-auth";
import { Deadline, DEFAULT_TIMEOUT_SECONDS } from "../../lib/deadline";
import { requireSameOrigin } from "../../lib/origin";
import { SignInSource } from "../../lib/signIns";
import { createAzureCredential } from "./azureCredential";

export interface ApplicationPasswordView {
    keyId: string;
    displayName: string | null;
}

export interface RetirementEvidenceSource extends SignInSource {
    /** The application's password credentials (metadata only: Graph never returns a value here). */
    passwords(applicationObjectId: string): Promise<ApplicationPasswordView[]>;
    /** Aborted when the gate's deadline passes. */
    readonly deadline: Deadline;
}

export interface RetirementGraphOptions {
    credential?: TokenCredential;
    /** The whole gate's time for one application, ms; default 60 s. */
    timeoutMs?: number;
    /** A private CA for Graph's certificate (a local stand-in). */
    tlsCa?: string;
}

/** A source reading the real (or a stand-in) Graph at `graphUrl`, an origin such as https://graph.microsoft.com. */
export function retirementGraph(graphUrl: string, options: RetirementGraphOptions = {}): RetirementEvidenceSource {
    const deadline = new Deadline(options.timeoutMs ?? DEFAULT_TIMEOUT_SECONDS * 1000, "retire gate", new URL(graphUrl).host);
    const credential = options.credential ?? createAzureCredential(options.tlsCa ? { tlsOptions: { ca: options.tlsCa } } : {});
    const agent = new https.Agent({ keepAlive: false, ...(options.tlsCa ? { ca: options.tlsCa } : {}) });
    async function get<T>(url: string): Promise<T> {
        // Before the token: a link from Graph may name any host.
        requireSameOrigin(graphUrl, url, "a link", "retire gate");
        const token = await withDeadline(credential.getToken(`${graphUrl}/.default`, { abortSignal: deadline.signal }), deadline, "the token endpoint");
        if (!token) throw new Error("no token for Microsoft Graph");
        const answer = await withDeadline(send(url, token.token, agent, deadline), deadline, new URL(url).host);
        if (answer.status < 200 || answer.status >= 300) {
            let code = "";
            try { code = (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code ?? ""; } catch { code = ""; }
            throw Object.assign(new Error(`Graph answered HTTP ${answer.status}${code ? ` ${code}` : ""}`), { status: answer.status });
        }
        return JSON.parse(answer.body) as T;
    }
    return {
        graphUrl,
        deadline,
        get,
        async passwords(applicationObjectId) {
            const url = `${graphUrl}/v1.0/applications/${encodeURIComponent(applicationObjectId)}?$select=passwordCredentials`;
            const app = await get<{ passwordCredentials?: { keyId?: string; displayName?: string | null }[] }>(url);
            return (app.passwordCredentials ?? []).filter((p) => typeof p.keyId === "string").map((p) => ({ keyId: p.keyId!, displayName: p.displayName ?? null }));
        },
    };
}

/** Rejects when the deadline passes first, naming what was waited on. */
function withDeadline<T>(work: Promise<T>, deadline: Deadline, waitingOn: string): Promise<T> {
    if (deadline.expired) return Promise.reject(deadline.timeoutError(waitingOn));
    return new Promise<T>((resolve, reject) => {
        const onAbort = () => reject(deadline.timeoutError(waitingOn));
        deadline.signal.addEventListener("abort", onAbort, { once: true });
        work.then(resolve, reject).finally(() => deadline.signal.removeEventListener("abort", onAbort));
    });
}

function send(url: string, bearer: string, agent: https.Agent, deadline: Deadline): Promise<{ status: number; body: string }> {
    const done = deadline.track(url);
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
        const timeoutMs = deadline.requestTimeoutMs();
        const request = https.get(url, { agent, headers: { authorization: `Bearer ${bearer}`, accept: "application/json" }, timeout: timeoutMs, signal: deadline.signal }, (response) => {
            const chunks: Buffer[] = [];
            response.on("data", (c: Buffer) => chunks.push(c));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
            response.on("error", reject);
        });
        request.on("timeout", () => request.destroy(Object.assign(new Error(`no answer from ${new URL(url).host} in ${timeoutMs} ms`), { code: "ETIMEDOUT" })));
        request.on("error", reject);
    }).finally(done);
}
