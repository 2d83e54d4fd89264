// What an Entra token endpoint refusal means for a client secret, and what to do about it.
// Pure: takes the error body (or an SDK error message), returns a diagnosis.

export type TokenRefusalCause = "wrong-value" | "expired" | "app-not-in-tenant" | "tenant-not-found" | "other";

export interface TokenRefusal {
    /** The AADSTS number, when the response carried one. */
    readonly code: number | undefined;
    readonly cause: TokenRefusalCause;
    /** What is wrong, one sentence. */
    readonly problem: string;
    /** What to do, one sentence or two. */
    readonly fix: string;
}

export interface RefusalContext {
    readonly clientId: string;
    readonly tenant: string;
    readonly secretName: string;
}

/** AADSTS codes that mean "the value is not accepted (yet)": worth retrying while a new secret propagates. */
export const PROPAGATION_CODES: readonly number[] = [7000215];

/** The AADSTS number from a token endpoint body (`error_codes`, else the description) or from an error message. */
export function aadstsCodeOf(response: unknown): number | undefined {
    if (typeof response === "string") {
        const match = /AADSTS(\d{5,7})/.exec(response);
        return match ? Number(match[1]) : undefined;
    }
    if (response && typeof response === "object") {
        const body = response as { error_codes?: unknown; error_description?: unknown; message?: unknown };
        if (Array.isArray(body.error_codes) && typeof body.error_codes[0] === "number") return body.error_codes[0];
        for (const text of [body.error_description, body.message]) {
            if (typeof text === "string") {
                const code = aadstsCodeOf(text);
                if (code !== undefined) return code;
            }
        }
    }
    return undefined;
}

export function classifyTokenRefusal(code: number | undefined, context: RefusalContext, description?: string): TokenRefusal {
    const { clientId, tenant, secretName } = context;
    switch (code) {
        case 7000215:
            return {
                code, cause: "wrong-value",
                problem: `Entra rejects the value in "${secretName}" as a client secret of app ${clientId} in tenant ${tenant} (AADSTS7000215: invalid client secret)`,
                fix: "Check that the secret holds the client secret's Value, not its Secret ID (a GUID); that it has no leading or trailing whitespace or newline; "
                    + "and that the client id and tenant are the app's own. A secret only seconds old may not have propagated yet: retry with --wait PT5M.",
            };
        case 7000222:
            return {
                code, cause: "expired",
                problem: `the client secret in "${secretName}" for app ${clientId} has expired (AADSTS7000222)`,
                fix: "The scheduled rotation has not run for too long: run `pulumi up` for the stack now, then look at why the pipeline's daily runs stopped.",
            };
        case 700016:
            return {
                code, cause: "app-not-in-tenant",
                problem: `app ${clientId} is not found in tenant ${tenant} (AADSTS700016)`,
                fix: "Check the client id (the secret's client-id tag, or --client-id) and the tenant (--tenant or AZURE_TENANT_ID); "
                    + "the app may have been deleted, or belong to another tenant.",
            };
        case 90002:
            return {
                code, cause: "tenant-not-found",
                problem: `tenant ${tenant} is not found (AADSTS90002)`,
                fix: "Check --tenant (the directory id GUID or a verified domain) and the authority host: sovereign clouds have their own (AZURE_AUTHORITY_HOST or --authority-host).",
            };
        default:
            return {
                code, cause: "other",
                problem: `Entra refused the token request for app ${clientId}${code !== undefined ? ` (AADSTS${code})` : ""}: ${firstSentence(description)}`,
                fix: code !== undefined
                    ? `Look the code up at https://login.microsoftonline.com/error?code=${code}.`
                    : "Check the authority host and the tenant, and retry.",
            };
    }
}

function firstSentence(text: string | undefined): string {
    if (!text) return "no reason given";
    const line = text.split(/\r?\n/)[0];
    const end = line.indexOf(". ");
    return end >= 0 ? line.slice(0, end + 1) : line;
}
