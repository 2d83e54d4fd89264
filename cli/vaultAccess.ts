// Reaching a vault from the command: URL checks, the SecretClient, and one-line errors for
// the ways a vault call fails (unreachable, no permission, no credential).
import type { SecretClient } from "@azure/keyvault-secrets";
import { createAzureCredential } from "../components/provider/azureCredential";
import { isLoopbackHost } from "../lib/network";
import { VAULT_DNS_SUFFIXES, checkVaultUrl } from "../components/validate";
import { retryAfterCapPolicy } from "../components/provider/vaultPipelinePolicies";
import { THROTTLE_BUDGET_ADVICE } from "../components/provider/vaultRetrySettings";
import { CliContext } from "./context";
import { Deadline, errorCode, isUnresolvedError } from "../lib/deadline";
import { VaultAction, VaultError } from "../lib/errors";
import { CliError, EXIT_ENVIRONMENT, environmentError, usageError } from "./errors";
import { isForeignOriginError } from "../lib/origin";
import { sameOriginPolicy } from "../lib/originPolicy";
import { isRepeatedNextLinkError } from "../lib/pageTrail";
import { networkRefusalAdvice, vaultRefusalOf, vaultRefusalPolicy } from "../lib/vaultRefusal";

/** Longest wait a Retry-After may ask the command for, in ms. */
export const MAX_RETRY_AFTER_MS = 60_000;

export interface VaultAddress {
    url: string;
    /** A loopback stand-in (local tests): the challenge's resource is not checked against the host. */
    isLoopback: boolean;
    /** The Key Vault resource of the vault's cloud, e.g. https://vault.azure.net. */
    resource: string;
}

/** Accepts a real vault URL, or an https loopback URL for a local stand-in. */
export function parseVaultAddress(text: string, option = "--vault"): VaultAddress {
    let parsed: URL | undefined;
    try { parsed = new URL(text); } catch { parsed = undefined; }
    if (parsed && parsed.protocol === "https:" && isLoopbackHost(parsed.hostname) && (parsed.pathname === "/" || parsed.pathname === "")) {
        return { url: `https://${parsed.host}`, isLoopback: true, resource: "https://vault.azure.net" };
    }
    try {
        const url = checkVaultUrl(text, "command line", option);
        const suffix = VAULT_DNS_SUFFIXES.find((s) => new URL(url).hostname.endsWith(`.${s}`))!;
        return { url, isLoopback: false, resource: `https://${suffix}` };
    } catch (error) {
        // checkVaultUrl's InputError (lib/errors.ts, or the older one in components/schedule.ts): by name, either copy.
        if (error instanceof Error && error.name === "InputError") throw usageError(error.message);
        throw error;
    }
}

export function createSecretClient(address: VaultAddress, context: CliContext, authorityHost: string | undefined, deadline?: Deadline): SecretClient {
    const { SecretClient: Client } = require("@azure/keyvault-secrets") as typeof import("@azure/keyvault-secrets");
    const tlsOptions = context.tlsCa ? { ca: context.tlsCa } : undefined;
    const bounded = deadline ? [{ policy: deadline.policy(), position: "perRetry" as const }] : [];
    const credential = createAzureCredential({ authorityHost, tlsOptions, additionalPolicies: bounded });
    return new Client(address.url, credential, {
        disableChallengeResourceVerification: address.isLoopback,
        retryOptions: { maxRetries: 3, retryDelayInMs: context.retryBaseDelayMs ?? 1000, maxRetryDelayInMs: 8 * (context.retryBaseDelayMs ?? 1000) },
        // perCall: before the vault's authentication policy attaches a token (lib/originPolicy.ts).
        additionalPolicies: [{ policy: sameOriginPolicy(address.url, deadline?.command ?? ""), position: "perCall" }, ...bounded, { policy: retryAfterCapPolicy(context.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS), position: "perRetry" },
            { policy: vaultRefusalPolicy() as never, position: "perRetry" }],
        ...(tlsOptions ? { tlsOptions } : {}),
    });
}

/** A failure the deadline explains: a host that did not answer, or a host name that does not resolve. */
export function deadlineError(deadline: Deadline, vaultUrl: string, authorityHost: string | undefined): CliError | undefined {
    const authority = authorityHost ? new URL(authorityHost).hostname : undefined;
    if (authority && deadline.unresolved.has(authority)) {
        return environmentError(`keyrelay ${deadline.command}: the authority host ${authority} does not resolve (DNS lookup failed). `
            + "Check --authority-host / AZURE_AUTHORITY_HOST (each cloud has its own, e.g. login.microsoftonline.com) and your DNS.");
    }
    const vaultHost = new URL(vaultUrl).hostname;
    if (deadline.unresolved.has(vaultHost)) {
        return environmentError(`keyrelay ${deadline.command}: the vault host ${vaultHost} does not resolve (DNS lookup failed). Check --vault (the vault's name) and your DNS or private endpoint.`);
    }
    const [unresolved] = deadline.unresolved;
    if (unresolved) return environmentError(`keyrelay ${deadline.command}: the host ${unresolved} does not resolve (DNS lookup failed). Check your network and DNS.`);
    if (deadline.timedOutHost) {
        return environmentError(`keyrelay ${deadline.command}: ${deadline.timedOutHost} did not answer a request within ${Math.round(deadline.requestTimeoutMs() / 1000) || 1} s, through every retry. `
            + "Check that host, your network, proxy and firewall.");
    }
    return undefined;
}

const UNREACHABLE_CODES = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET", "EHOSTUNREACH", "CERT_HAS_EXPIRED", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"];

/** A failed vault call as a VaultError (fields, not a message to parse), given the environment's exit code. */
function vaultFailure(error: unknown, action: string, vaultUrl: string, message: string): CliError {
    const e = error as { statusCode?: number; code?: string; details?: { error?: { innererror?: { code?: string } } } } | undefined;
    const details = {
        action: (action.startsWith("list") ? "list" : "get") as VaultAction, vaultUrl,
        status: e?.statusCode, serviceCode: e?.code, innerCode: e?.details?.error?.innererror?.code,
    };
    return new CliError(new VaultError(details, message, { cause: error }), EXIT_ENVIRONMENT);
}

/** One line for a failed vault call; `role` is the least role that allows `action`. */
export function vaultCallError(error: unknown, action: string, vaultUrl: string, role: string): CliError {
    if (isForeignOriginError(error) || isRepeatedNextLinkError(error)) return environmentError(error.message);
    const e = error as { statusCode?: number; code?: string; name?: string; message?: string; details?: { error?: { innererror?: { code?: string } } } };
    const code = e?.code;
    const message = (e?.message ?? String(error)).split(/\r?\n/)[0];
    const refusal = vaultRefusalOf(error);
    if (refusal && refusal.kind !== "role") {
        const { problem, fix } = networkRefusalAdvice(vaultUrl, refusal);
        return environmentError(`keyrelay: cannot ${action}: ${problem}. ${fix}.`);
    }
    if (e?.statusCode === 403) {
        return vaultFailure(error, action, vaultUrl, `keyrelay: access denied to ${action} in ${vaultUrl} (403 Forbidden). Give the identity you signed in with the "${role}" role on the vault.`);
    }
    if (e?.statusCode === 429) {
        return vaultFailure(error, action, vaultUrl, `keyrelay: cannot ${action} in ${vaultUrl}: the vault kept answering 429 (throttled) through the bounded retries. ${THROTTLE_BUDGET_ADVICE.replace(" (pulumi up --parallel)", "")}`);
    }
    if (e?.statusCode === 401) {
        return vaultFailure(error, action, vaultUrl, `keyrelay: the vault ${vaultUrl} did not accept the token (401): ${message}. Check that you are signed in to the vault's tenant.`);
    }
    if (e?.name === "AuthenticationError" || e?.name === "CredentialUnavailableError" || e?.name === "AggregateAuthenticationError") {
        return vaultFailure(error, action, vaultUrl, `keyrelay: cannot get a token to ${action} in ${vaultUrl}: ${message}. Sign in with \`az login\`, or set AZURE_CLIENT_ID and AZURE_TENANT_ID for workload identity.`);
    }
    if (isUnresolvedError(error)) {
        return vaultFailure(error, action, vaultUrl, `keyrelay: the vault host ${new URL(vaultUrl).hostname} does not resolve (${errorCode(error)}). Check the vault's name, and your DNS or private endpoint.`);
    }
    if ((code && UNREACHABLE_CODES.includes(code)) || e?.name === "RestError" && e?.statusCode === undefined) {
        return vaultFailure(error, action, vaultUrl, `keyrelay: cannot reach the vault at ${vaultUrl}${code ? ` (${code})` : ""}. Check the URL, your network, and the vault's firewall or private endpoint.`);
    }
    return vaultFailure(error, action, vaultUrl, `keyrelay: cannot ${action} in ${vaultUrl}${e?.statusCode ? ` (HTTP ${e.statusCode}${code ? ` ${code}` : ""})` : ""}: ${message}`);
}

export function authorityHostOf(option: string | undefined, context: CliContext): string | undefined {
    const host = option ?? context.env.AZURE_AUTHORITY_HOST;
    if (host === undefined) return undefined;
    let parsed: URL | undefined;
    try { parsed = new URL(host); } catch { parsed = undefined; }
    if (!parsed || parsed.protocol !== "https:") {
        throw usageError(`keyrelay: authority host ${JSON.stringify(host)} (--authority-host or AZURE_AUTHORITY_HOST) is not an https URL. Use https://login.microsoftonline.com, or your cloud's.`);
    }
    return `${parsed.protocol}//${parsed.host}`;
}
