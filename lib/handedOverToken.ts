// ARM_OIDC_TOKEN: one federated token handed over when the run starts (Pulumi ESC's azure-login
// exports it, Pulumi Deployments sets it), with no way to ask for another. Its own `exp` claim says
// how long it lives (ESC's OIDC tokens live one hour by default and at most one hour:
// https://www.pulumi.com/docs/esc/providers/login/oidc/), so keyrelay reads the claim instead of
// assuming, says so once when it signs in, and names the cause when Entra refuses it as expired.
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { DateTime } from "luxon";
import { KeyrelayError } from "./errors";

export interface TokenLifetime {
    issuedAt?: DateTime;
    expiresAt?: DateTime;
}

/** The token's iat/exp claims (the signature is Entra's to check); nothing of the token itself. */
export function tokenLifetime(token: string): TokenLifetime {
    try {
        const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { iat?: unknown; exp?: unknown };
        const at = (seconds: unknown) => (typeof seconds === "number" && Number.isFinite(seconds) ? DateTime.fromSeconds(seconds, { zone: "utc" }) : undefined);
        return { issuedAt: at(claims.iat), expiresAt: at(claims.exp) };
    } catch {
        return {};
    }
}

const minutes = (from: DateTime, to: DateTime) => Math.round(to.diff(from, "minutes").minutes);
const clock = (at: DateTime) => at.toUTC().toISO({ suppressMilliseconds: true });

/** The line a run prints when it signs in with ARM_OIDC_TOKEN. */
export function handedOverTokenNote(lifetime: TokenLifetime): string {
    const { issuedAt, expiresAt } = lifetime;
    const lives = issuedAt && expiresAt ? `it lives ${minutes(issuedAt, expiresAt)} min` : "its lifetime is unknown (no iat/exp claim)";
    const left = expiresAt ? `, expires at ${clock(expiresAt)} (${Math.max(0, minutes(DateTime.now(), expiresAt))} min left)` : "";
    return `keyrelay: signing in with ARM_OIDC_TOKEN, one federated token handed over by Pulumi ESC or Pulumi Deployments and never renewed: ${lives}${left}. `
        + "A run that needs a new Entra token after that fails with AADSTS700024.";
}

/** AADSTS700024: "Client assertion is not within its valid time range" (the federated token has expired). */
export const EXPIRED_ASSERTION = /AADSTS700024/;

/** The credential, with its first sign-in logged and an expired ARM_OIDC_TOKEN named as the cause. */
export function handedOverTokenCredential(credential: TokenCredential, token: string, log: (line: string) => void): TokenCredential {
    const lifetime = tokenLifetime(token);
    let noted = false;
    return {
        async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
            if (!noted) { noted = true; log(handedOverTokenNote(lifetime)); }
            try {
                return await credential.getToken(scopes, options);
            } catch (error) {
                if (!(error instanceof Error) || !EXPIRED_ASSERTION.test(error.message)) throw error;
                const { issuedAt, expiresAt } = lifetime;
                const when = expiresAt ? ` at ${clock(expiresAt)}${issuedAt ? `, ${minutes(issuedAt, expiresAt)} min after it was issued` : ""}` : "";
                throw new KeyrelayError("HandedOverTokenExpired",
                    `keyrelay: Entra ID refused ARM_OIDC_TOKEN as expired (AADSTS700024): it is one token handed over by Pulumi ESC or Pulumi Deployments when the run started, and it expired${when}`,
                    { fix: "Open the ESC environment again just before the run, keep runs shorter than the token's lifetime, or give the run a route that fetches fresh tokens (ARM_OIDC_TOKEN_FILE_PATH, GitHub's ACTIONS_ID_TOKEN_REQUEST_*, or an Azure DevOps service connection)", cause: error });
            }
        },
    };
}
