// One client-credentials token request to an Entra ID token endpoint, shared by `keyrelay verify`
// and the VaultSecret provider's proof. It resolves with Entra's verdict only: the access token is
// dropped the moment it is seen (never returned, logged or stored), and the request body (which
// carries the secret) is never part of an answer or an error.
import * as https from "https";
import { aadstsCodeOf } from "./aadsts";
import { refuseRedirect } from "./redirects";

export type TokenAnswer =
    | { ok: true }
    | { ok: false; status: number; code: number | undefined; description: string | undefined };

/** Per-request limits of the token request: its timeout, and a signal that ends it at once. */
export interface TokenRequestLimits {
    timeoutMs: number;
    signal?: AbortSignal;
    /** The command named in a refusal, e.g. "verify"; default "verify". */
    command?: string;
}

/**
 * POST {authority}/{tenant}/oauth2/v2.0/token with grant_type=client_credentials and a `.default`
 * scope (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow).
 * Rejects only when the endpoint cannot be reached or does not answer in time.
 */
export function requestClientCredentialsToken(authorityHost: string, tenant: string, clientId: string, secret: string, scope: string, ca?: string,
    limits: TokenRequestLimits = { timeoutMs: 30_000 }): Promise<TokenAnswer> {
    const url = new URL(`${authorityHost.replace(/\/+$/, "")}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`);
    const body = new URLSearchParams({ client_id: clientId, client_secret: secret, scope, grant_type: "client_credentials" }).toString();
    return new Promise((resolve, reject) => {
        const request = https.request(url, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) },
            timeout: limits.timeoutMs,
            ...(limits.signal ? { signal: limits.signal } : {}),
            ...(ca ? { ca } : {}),
        }, (response) => {
            // Never followed: the secret is in the body (lib/redirects.ts).
            const redirect = refuseRedirect(url.toString(), response.statusCode ?? 0, response.headers.location, limits.command ?? "verify");
            if (redirect) {
                response.resume();
                return reject(redirect);
            }
            const chunks: Buffer[] = [];
            response.on("data", (c: Buffer) => chunks.push(c));
            response.on("end", () => {
                const text = Buffer.concat(chunks).toString("utf8");
                let parsed: { access_token?: string; error_description?: string } | undefined;
                try { parsed = JSON.parse(text); } catch { parsed = undefined; }
                if (response.statusCode === 200 && parsed?.access_token) return resolve({ ok: true });
                resolve({ ok: false, status: response.statusCode ?? 0, code: aadstsCodeOf(parsed), description: parsed?.error_description ?? text.slice(0, 200) });
            });
            response.on("error", reject);
        });
        request.on("timeout", () => request.destroy(Object.assign(new Error(`no answer in ${limits.timeoutMs / 1000} s`), { code: "ETIMEDOUT" })));
        request.on("error", reject);
        request.end(body);
    });
}
