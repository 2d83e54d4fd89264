// keyrelay's one error family. Every failure keyrelay raises on purpose is a KeyrelayError with a
// stable `code` and a `fix` a person can act on, so callers branch on fields (isKeyrelayError,
// error.code) and never parse a message. Modelled on @azure/core-rest-pipeline's RestError +
// isRestError. The CLI wraps one of these in a CliError (cli/errors.ts) to give it an exit code.

export interface KeyrelayErrorOptions {
    /** What to do about it, one sentence; appended to the message. */
    readonly fix?: string;
    /** The error this one explains, kept for debugging (never printed with secret values). */
    readonly cause?: unknown;
}

/** Base of every error keyrelay raises on purpose. */
export class KeyrelayError extends Error {
    /** Stable, machine-readable kind, e.g. "InvalidInput", "VaultRequestFailed". */
    readonly code: string;
    /** What the user should do; already part of `message`. */
    readonly fix: string | undefined;

    constructor(code: string, problem: string, options: KeyrelayErrorOptions = {}) {
        super(options.fix ? `${problem}. ${options.fix}` : problem);
        // Set by hand, not through Error's options: a user's program compiled for an older lib
        // (ES2020, Pulumi's default target) type-checks these sources too.
        if (options.cause !== undefined) Object.defineProperty(this, "cause", { value: options.cause, writable: true, configurable: true });
        this.name = "KeyrelayError";
        this.code = code;
        this.fix = options.fix;
    }
}

/**
 * True for any KeyrelayError, also one thrown by another copy of this module (the dynamic provider
 * host and `keyrelay plan` load keyrelay's modules afresh), so it checks shape, not the prototype.
 */
export function isKeyrelayError(error: unknown): error is KeyrelayError {
    return error instanceof Error && typeof (error as KeyrelayError).code === "string" && "fix" in error;
}

/** A problem with one input of one resource, found before anything is created. */
export class InputError extends KeyrelayError {
    constructor(
        readonly resource: string,
        readonly field: string,
        problem: string,
        fix: string,
    ) {
        super("InvalidInput", `keyrelay: ${resource}: ${field} ${problem}`, { fix });
        this.name = "InputError";
    }
}

export function isInputError(error: unknown): error is InputError {
    return isKeyrelayError(error) && error.code === "InvalidInput"
        && typeof (error as InputError).resource === "string" && typeof (error as InputError).field === "string";
}

/** What a Key Vault request was doing when it failed. */
export type VaultAction = "get" | "set" | "update" | "list" | "delete" | "purge" | "recover" | "sign-in";

export interface VaultErrorDetails {
    readonly action: VaultAction;
    /** The secret's name, when the request named one. */
    readonly secret?: string;
    readonly vaultUrl: string;
    /** HTTP status, when the vault answered. */
    readonly status?: number;
    /** Key Vault's error code (`error.code`), e.g. "Forbidden", "SecretNotFound", "Throttled". */
    readonly serviceCode?: string;
    /** Key Vault's inner error code (`error.innererror.code`), e.g. "ForbiddenByFirewall", "ObjectIsDeletedButRecoverable". */
    readonly innerCode?: string;
}

/** A Key Vault request that failed, with the fields a caller needs to decide what to say. */
export class VaultError extends KeyrelayError implements VaultErrorDetails {
    readonly action: VaultAction;
    readonly secret: string | undefined;
    readonly vaultUrl: string;
    readonly status: number | undefined;
    readonly serviceCode: string | undefined;
    readonly innerCode: string | undefined;

    constructor(details: VaultErrorDetails, problem: string, options: KeyrelayErrorOptions = {}) {
        super("VaultRequestFailed", problem, options);
        this.name = "VaultError";
        this.action = details.action;
        this.secret = details.secret;
        this.vaultUrl = details.vaultUrl;
        this.status = details.status;
        this.serviceCode = details.serviceCode;
        this.innerCode = details.innerCode;
    }
}

export function isVaultError(error: unknown): error is VaultError {
    return isKeyrelayError(error) && error.code === "VaultRequestFailed" && typeof (error as VaultError).vaultUrl === "string";
}

export interface GraphErrorDetails {
    /** The request, e.g. "GET /v1.0/applications". */
    readonly request: string;
    readonly graphUrl: string;
    readonly status?: number;
    /** Graph's `error.code`, e.g. "Authorization_RequestDenied". */
    readonly serviceCode?: string;
}

/** A Microsoft Graph request that failed. */
export class GraphError extends KeyrelayError implements GraphErrorDetails {
    readonly request: string;
    readonly graphUrl: string;
    readonly status: number | undefined;
    readonly serviceCode: string | undefined;

    constructor(details: GraphErrorDetails, problem: string, options: KeyrelayErrorOptions = {}) {
        super("GraphRequestFailed", problem, options);
        this.name = "GraphError";
        this.request = details.request;
        this.graphUrl = details.graphUrl;
        this.status = details.status;
        this.serviceCode = details.serviceCode;
    }
}

export function isGraphError(error: unknown): error is GraphError {
    return isKeyrelayError(error) && error.code === "GraphRequestFailed" && typeof (error as GraphError).graphUrl === "string";
}

export interface CredentialProofDetails {
    readonly vaultUrl: string;
    readonly secret: string;
    readonly clientId: string;
    readonly tenantId: string;
    /** The AADSTS code of Entra's last refusal, when it gave one. */
    readonly aadstsCode?: number;
    /** Token requests made, and how many succeeded in a row at the end. */
    readonly requests: number;
    readonly successesInRow: number;
}

/**
 * A new credential that did not prove itself at Entra's token endpoint within its budget, so
 * Key Vault was not written (docs/proof.md). Carries no secret and no token.
 */
export class CredentialProofError extends KeyrelayError implements CredentialProofDetails {
    readonly vaultUrl: string;
    readonly secret: string;
    readonly clientId: string;
    readonly tenantId: string;
    readonly aadstsCode: number | undefined;
    readonly requests: number;
    readonly successesInRow: number;

    constructor(details: CredentialProofDetails, problem: string, options: KeyrelayErrorOptions = {}) {
        super("CredentialNotProven", problem, options);
        this.name = "CredentialProofError";
        this.vaultUrl = details.vaultUrl;
        this.secret = details.secret;
        this.clientId = details.clientId;
        this.tenantId = details.tenantId;
        this.aadstsCode = details.aadstsCode;
        this.requests = details.requests;
        this.successesInRow = details.successesInRow;
    }
}

export function isCredentialProofError(error: unknown): error is CredentialProofError {
    return isKeyrelayError(error) && error.code === "CredentialNotProven" && typeof (error as CredentialProofError).clientId === "string";
}
