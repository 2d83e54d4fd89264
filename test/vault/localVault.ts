// A local Key Vault secrets data plane over HTTPS, faithful to what keyrelay and the
// Azure SDK use: the bearer challenge, tokens from the local token server, RBAC per
// identity, versions, attributes in Unix seconds, tags, PATCH, paged lists, soft delete
// with recover and purge, documented error bodies, and injectable faults and rate limits.
import * as crypto from "crypto";
import * as https from "https";
import type { IncomingMessage, ServerResponse } from "http";
import { DateTime } from "luxon";
import { listenOnLoopback, trustedTls } from "./tls";
import type { AccessTokenClaims, TokenServer } from "./tokenServer";

export const SUPPORTED_API_VERSIONS = ["7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01", "2026-04-01"];
export const KEY_VAULT_RESOURCE = "https://vault.azure.net";

export type VaultAction = "getSecret" | "readMetadata" | "setSecret" | "update" | "delete" | "recover" | "purge";
const ALL_ACTIONS: VaultAction[] = ["getSecret", "readMetadata", "setSecret", "update", "delete", "recover", "purge"];
/** Built-in roles by name, as their data actions. */
export const VAULT_ROLES: Record<string, VaultAction[]> = {
    "Key Vault Secrets Officer": ALL_ACTIONS,
    "Key Vault Secrets User": ["getSecret", "readMetadata"],
    // Data action Microsoft.KeyVault/vaults/secrets/readMetadata/action only: lists and reads a secret's
    // attributes, never its value (Built-in roles: Key Vault Reader, learn.microsoft.com/azure/role-based-access-control/built-in-roles/security#key-vault-reader).
    "Key Vault Reader": ["readMetadata"],
};

export interface SecretVersion {
    version: string;
    value: string;
    contentType?: string;
    tags?: Record<string, string>;
    enabled: boolean;
    /** Unix seconds. */
    nbf?: number;
    exp?: number;
    created: number;
    updated: number;
}

export interface StoredSecret {
    /** Name as first written (lookups ignore case, as Key Vault's do). */
    name: string;
    /** Oldest first. */
    versions: SecretVersion[];
}

interface DeletedSecret {
    secret: StoredSecret;
    deletedDate: number;
    scheduledPurgeDate: number;
    /** Epoch ms from which GET /deletedsecrets/{name} finds it (deletion is asynchronous). */
    visibleFrom: number;
}

export type FaultKind =
    | { kind: "throttle"; retryAfterSeconds?: number }
    | { kind: "status"; status: number; code?: string; message?: string }
    /** Drop the connection without an answer; `afterApply` first performs the request. */
    | { kind: "reset"; afterApply?: boolean }
    | { kind: "delay"; ms: number };

export interface VaultFault {
    fault: FaultKind;
    /** Only requests with this method (PUT, GET, ...); default any. */
    method?: string;
    /** Only requests whose path starts with this (for example /secrets/app-secret); default any. */
    pathPrefix?: string;
    /** How many matching requests it hits; default 1; Infinity for all. */
    count?: number;
}

export interface RateLimit {
    /** Accepted requests allowed in any window. */
    requests: number;
    /** Window length; default 10,000 ms (Key Vault's limits are per 10 seconds). */
    windowMs?: number;
    /** Send Retry-After (seconds until a slot frees) with the 429; default false: a bare 429, as seen in production. */
    retryAfter?: boolean;
    /**
     * Only requests with these methods count and may be throttled; default all. Key Vault counts
     * secret creates (a PUT of a new version) apart from other transactions: 300 against 4,000 per
     * 10 s (https://learn.microsoft.com/azure/key-vault/general/service-limits; /work/shared/REFERENCE.md).
     */
    methods?: string[];
}

export interface LocalVaultOptions {
    tokenServer: TokenServer;
    /** Object ids and their roles; identities not listed get `defaultRole`. */
    roles?: Record<string, VaultAction[]>;
    /** Default: Key Vault Secrets Officer, so any token from the token server may write. */
    defaultRole?: VaultAction[];
    rateLimit?: RateLimit;
    /** Delay before a deletion shows in deletedsecrets; default 0. */
    deleteDelayMs?: number;
    recoverableDays?: number;
}

export interface VaultRequest {
    method: string;
    path: string;
    status: number | "reset";
    oid?: string;
    at: number;
}

export interface LocalVault {
    /** https://127.0.0.1:PORT */
    url: string;
    secret(name: string): StoredSecret | undefined;
    latest(name: string): SecretVersion | undefined;
    isDeleted(name: string): boolean;
    /** Someone edits the secret outside keyrelay (the portal): a new version. */
    writeOutOfBand(name: string, value: string, attributes?: { exp?: number; enabled?: boolean; tags?: Record<string, string> }): SecretVersion;
    /** Someone soft-deletes the secret outside keyrelay. */
    deleteOutOfBand(name: string): void;
    setVersionEnabled(name: string, version: string, enabled: boolean): void;
    grant(objectId: string, actions: VaultAction[]): void;
    inject(fault: VaultFault): void;
    clearFaults(): void;
    setRateLimit(limit: RateLimit | undefined): void;
    readonly requests: VaultRequest[];
    close(): Promise<void>;
}

const NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/;
const MAX_VALUE_BYTES = 25 * 1024;
/** At most 15 tags per secret (https://learn.microsoft.com/azure/key-vault/general/service-limits; /work/shared/REFERENCE.md). */
const MAX_TAGS = 15;

class VaultHttpError extends Error {
    constructor(readonly status: number, readonly code: string, message: string, readonly innerCode?: string, readonly headers: Record<string, string> = {}) {
        super(message);
    }
}

function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}

const nowSeconds = () => Math.floor(DateTime.now().toSeconds());

export async function startLocalVault(options: LocalVaultOptions): Promise<LocalVault> {
    const tls = await trustedTls();
    const { tokenServer } = options;
    const recoverableDays = options.recoverableDays ?? 90;
    const roles = new Map<string, VaultAction[]>(Object.entries(options.roles ?? {}));
    const defaultRole = options.defaultRole ?? VAULT_ROLES["Key Vault Secrets Officer"];
    const secrets = new Map<string, StoredSecret>();
    const deleted = new Map<string, DeletedSecret>();
    const faults: (VaultFault & { remaining: number })[] = [];
    const requests: VaultRequest[] = [];
    const acceptedAt: number[] = [];
    let rateLimit = options.rateLimit;
    let base = "";

    const attributesOf = (v: SecretVersion) => ({
        enabled: v.enabled,
        ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
        ...(v.exp !== undefined ? { exp: v.exp } : {}),
        created: v.created, updated: v.updated, recoverableDays, recoveryLevel: "Recoverable+Purgeable",
    });
    const bundle = (s: StoredSecret, v: SecretVersion, withValue: boolean) => ({
        ...(withValue ? { value: v.value } : {}),
        id: `${base}/secrets/${s.name}/${v.version}`,
        ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
        ...(v.tags ? { tags: v.tags } : {}),
        attributes: attributesOf(v),
    });
    const deletedBundle = (d: DeletedSecret, withValue: boolean) => ({
        ...bundle(d.secret, d.secret.versions[d.secret.versions.length - 1], withValue),
        recoveryId: `${base}/deletedsecrets/${d.secret.name}`,
        deletedDate: d.deletedDate,
        scheduledPurgeDate: d.scheduledPurgeDate,
    });

    const notFound = (name: string, version?: string) => new VaultHttpError(404, "SecretNotFound",
        `A secret with (name/id) ${name}${version ? `/${version}` : ""} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);

    function findVersion(name: string, version: string | undefined): { s: StoredSecret; v: SecretVersion } {
        const s = secrets.get(name.toLowerCase());
        if (!s) throw notFound(name, version);
        const v = version ? s.versions.find((x) => x.version === version.toLowerCase()) : s.versions[s.versions.length - 1];
        if (!v) throw notFound(name, version);
        return { s, v };
    }

    function writeVersion(name: string, input: { value: string; contentType?: string; tags?: Record<string, string>; enabled?: boolean; nbf?: number; exp?: number }): { s: StoredSecret; v: SecretVersion } {
        if (deleted.has(name.toLowerCase())) {
            throw new VaultHttpError(409, "Conflict",
                `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
                "ObjectIsDeletedButRecoverable");
        }
        const now = nowSeconds();
        const s = secrets.get(name.toLowerCase()) ?? { name, versions: [] };
        secrets.set(name.toLowerCase(), s);
        const v: SecretVersion = {
            version: crypto.randomBytes(16).toString("hex"), value: input.value, contentType: input.contentType, tags: input.tags,
            enabled: input.enabled ?? true, nbf: input.nbf, exp: input.exp, created: now, updated: now,
        };
        s.versions.push(v);
        return { s, v };
    }

    function authorize(req: IncomingMessage): AccessTokenClaims {
        const header = req.headers.authorization;
        const challenge = `Bearer authorization="https://login.windows.net/${tokenServer.tenantId}", resource="${KEY_VAULT_RESOURCE}"`;
        if (!header || !/^Bearer /i.test(header)) {
            throw new VaultHttpError(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", undefined, { "WWW-Authenticate": challenge });
        }
        try {
            return tokenServer.verifyAccessToken(header.slice("Bearer ".length).trim(), KEY_VAULT_RESOURCE);
        } catch (e) {
            throw new VaultHttpError(401, "Unauthorized", `AKV10022: Invalid audience, issuer or signature: ${(e as Error).message}.`, undefined, { "WWW-Authenticate": challenge });
        }
    }

    function requireAction(claims: AccessTokenClaims, action: VaultAction, name: string) {
        const allowed = roles.get(claims.oid) ?? defaultRole;
        if (!allowed.includes(action)) {
            throw new VaultHttpError(403, "Forbidden",
                `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=${claims.appid};oid=${claims.oid};iss=${claims.iss}\r\nAction: 'Microsoft.KeyVault/vaults/secrets/${action}/action'\r\nResource: '/secrets/${name.toLowerCase()}'\r\nAssignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC'\r\nVault: local;location=local`,
                "ForbiddenByRbac");
        }
    }

    function throttleIfOverLimit(method: string) {
        if (!rateLimit) return;
        if (rateLimit.methods && !rateLimit.methods.includes(method)) return;
        const windowMs = rateLimit.windowMs ?? 10_000;
        const now = DateTime.now().toMillis();
        while (acceptedAt.length > 0 && acceptedAt[0] <= now - windowMs) acceptedAt.shift();
        if (acceptedAt.length >= rateLimit.requests) {
            const freeInMs = acceptedAt[acceptedAt.length - rateLimit.requests] + windowMs - now;
            throw throttled(rateLimit.retryAfter ? Math.max(1, Math.ceil(freeInMs / 1000)) : undefined);
        }
        acceptedAt.push(now);
    }

    const throttled = (retryAfterSeconds?: number) => new VaultHttpError(429, "Throttled",
        "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached", undefined,
        retryAfterSeconds !== undefined ? { "Retry-After": String(retryAfterSeconds) } : {});

    function takeFault(method: string, path: string): FaultKind | undefined {
        const f = faults.find((x) => x.remaining > 0 && (!x.method || x.method === method) && (!x.pathPrefix || path.toLowerCase().startsWith(x.pathPrefix.toLowerCase())));
        if (!f) return undefined;
        f.remaining -= 1;
        return f.fault;
    }

    function page<T>(items: T[], url: URL, path: string): { value: T[]; nextLink: string | null } {
        const maxRaw = url.searchParams.get("maxresults");
        const max = maxRaw === null ? 25 : Number(maxRaw);
        if (!Number.isInteger(max) || max < 1 || max > 25) {
            throw new VaultHttpError(400, "BadParameter", "maxresults must be between 1 and 25.");
        }
        const skip = Number(url.searchParams.get("$skiptoken") ?? "0");
        const value = items.slice(skip, skip + max);
        const next = skip + max < items.length
            ? `${base}${path}?api-version=${url.searchParams.get("api-version")}&$skiptoken=${skip + max}&maxresults=${max}`
            : null;
        return { value, nextLink: next };
    }

    function parseSetBody(raw: string, name: string) {
        let body: { value?: unknown; contentType?: unknown; tags?: unknown; attributes?: { enabled?: unknown; nbf?: unknown; exp?: unknown } };
        try {
            body = JSON.parse(raw);
        } catch {
            throw new VaultHttpError(400, "BadParameter", "The request body is not valid JSON.");
        }
        if (!NAME_PATTERN.test(name)) throw new VaultHttpError(400, "BadParameter", `The secret name '${name}' is invalid. Secret names must match ^[0-9a-zA-Z-]{1,127}$.`);
        if (typeof body.value !== "string") throw new VaultHttpError(400, "BadParameter", "Property 'value' is required.");
        if (Buffer.byteLength(body.value) > MAX_VALUE_BYTES) throw new VaultHttpError(400, "BadParameter", "The secret value exceeds 25 KB.");
        if (body.tags && typeof body.tags === "object" && Object.keys(body.tags).length > MAX_TAGS) {
            throw new VaultHttpError(400, "BadParameter", `A secret can have at most ${MAX_TAGS} tags.`);
        }
        return body as { value: string; contentType?: string; tags?: Record<string, string>; attributes?: { enabled?: boolean; nbf?: number; exp?: number } };
    }

    async function route(req: IncomingMessage, url: URL, claims: AccessTokenClaims): Promise<{ status: number; body?: object } | undefined> {
        const method = req.method ?? "GET";
        const seg = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
        const raw = await readBody(req);
        if (seg[0] === "secrets" && seg.length === 1 && method === "GET") {
            requireAction(claims, "readMetadata", "");
            const items = [...secrets.values()].map((s) => {
                const v = s.versions[s.versions.length - 1];
                const { value: _omit, ...rest } = bundle(s, v, false) as { value?: string };
                return { ...rest, id: `${base}/secrets/${s.name}` };
            });
            return { status: 200, body: page(items, url, "/secrets") };
        }
        if (seg[0] === "secrets" && seg.length >= 2) {
            const name = seg[1];
            const sub = seg[2];
            if (method === "PUT" && seg.length === 2) {
                requireAction(claims, "setSecret", name);
                const body = parseSetBody(raw, name);
                const { s, v } = writeVersion(name, {
                    value: body.value, contentType: body.contentType, tags: body.tags,
                    enabled: body.attributes?.enabled, nbf: body.attributes?.nbf, exp: body.attributes?.exp,
                });
                return { status: 200, body: bundle(s, v, true) };
            }
            if (method === "GET" && sub === "versions") {
                requireAction(claims, "readMetadata", name);
                const s = secrets.get(name.toLowerCase());
                if (!s) throw notFound(name);
                return { status: 200, body: page(s.versions.map((v) => bundle(s, v, false)), url, `/secrets/${s.name}/versions`) };
            }
            if (method === "GET") {
                requireAction(claims, "getSecret", name);
                const { s, v } = findVersion(name, sub || undefined);
                if (!v.enabled) throw new VaultHttpError(403, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled");
                return { status: 200, body: bundle(s, v, true) };
            }
            if (method === "PATCH") {
                requireAction(claims, "update", name);
                const { s, v } = findVersion(name, sub || undefined);
                const body = JSON.parse(raw || "{}") as { contentType?: string; tags?: Record<string, string>; attributes?: { enabled?: boolean; nbf?: number; exp?: number } };
                if (body.contentType !== undefined) v.contentType = body.contentType;
                if (body.tags !== undefined) v.tags = body.tags;
                if (body.attributes?.enabled !== undefined) v.enabled = body.attributes.enabled;
                if (body.attributes?.nbf !== undefined) v.nbf = body.attributes.nbf;
                if (body.attributes?.exp !== undefined) v.exp = body.attributes.exp;
                v.updated = nowSeconds();
                return { status: 200, body: bundle(s, v, false) };
            }
            if (method === "DELETE" && seg.length === 2) {
                requireAction(claims, "delete", name);
                const s = secrets.get(name.toLowerCase());
                if (!s) throw notFound(name);
                const d = softDelete(s);
                return { status: 200, body: deletedBundle(d, false) };
            }
        }
        if (seg[0] === "deletedsecrets") {
            const name = seg[1];
            const d = name ? deleted.get(name.toLowerCase()) : undefined;
            const visible = d !== undefined && d.visibleFrom <= DateTime.now().toMillis();
            const deletedNotFound = () => new VaultHttpError(404, "SecretNotFound", `Deleted Secret not found: ${name}`);
            if (method === "GET" && seg.length === 1) {
                requireAction(claims, "readMetadata", "");
                const items = [...deleted.values()].filter((x) => x.visibleFrom <= DateTime.now().toMillis()).map((x) => {
                    const b = deletedBundle(x, false);
                    return { ...b, id: `${base}/secrets/${x.secret.name}` };
                });
                return { status: 200, body: page(items, url, "/deletedsecrets") };
            }
            if (method === "GET" && seg.length === 2) {
                requireAction(claims, "readMetadata", name);
                if (!visible) throw deletedNotFound();
                return { status: 200, body: deletedBundle(d!, false) };
            }
            if (method === "DELETE" && seg.length === 2) {
                requireAction(claims, "purge", name);
                if (!visible) throw deletedNotFound();
                deleted.delete(name.toLowerCase());
                return { status: 204 };
            }
            if (method === "POST" && seg.length === 3 && seg[2] === "recover") {
                requireAction(claims, "recover", name);
                if (!visible) throw deletedNotFound();
                deleted.delete(name.toLowerCase());
                secrets.set(name.toLowerCase(), d!.secret);
                const latest = d!.secret.versions[d!.secret.versions.length - 1];
                return { status: 200, body: bundle(d!.secret, latest, false) };
            }
        }
        return undefined;
    }

    function softDelete(s: StoredSecret): DeletedSecret {
        const now = nowSeconds();
        secrets.delete(s.name.toLowerCase());
        const d: DeletedSecret = {
            secret: s, deletedDate: now, scheduledPurgeDate: now + recoverableDays * 86400,
            visibleFrom: DateTime.now().toMillis() + (options.deleteDelayMs ?? 0),
        };
        deleted.set(s.name.toLowerCase(), d);
        return d;
    }

    async function handle(req: IncomingMessage, res: ServerResponse) {
        const url = new URL(req.url ?? "/", base);
        const method = req.method ?? "GET";
        const log: VaultRequest = { method, path: url.pathname, status: 0, at: DateTime.now().toMillis() };
        requests.push(log);
        const send = (status: number, body?: object, headers: Record<string, string> = {}) => {
            log.status = status;
            res.writeHead(status, { ...(body ? { "content-type": "application/json; charset=utf-8" } : {}), ...headers });
            res.end(body ? JSON.stringify(body) : undefined);
        };
        try {
            const apiVersion = url.searchParams.get("api-version");
            if (!apiVersion || !SUPPORTED_API_VERSIONS.includes(apiVersion)) {
                throw new VaultHttpError(400, "BadParameter", `The specified version (${apiVersion ?? ""}) is not recognized. Consider using the latest supported version (7.6).`);
            }
            const claims = authorize(req);
            log.oid = claims.oid;
            const fault = takeFault(method, url.pathname);
            if (fault?.kind === "delay") await new Promise((r) => setTimeout(r, fault.ms));
            if (fault?.kind === "throttle") throw throttled(fault.retryAfterSeconds);
            if (fault?.kind === "status") throw new VaultHttpError(fault.status, fault.code ?? "ServiceUnavailable", fault.message ?? "The service is temporarily unavailable.");
            if (fault?.kind === "reset" && !fault.afterApply) {
                log.status = "reset";
                req.socket.destroy();
                return;
            }
            throttleIfOverLimit(method);
            const result = await route(req, url, claims);
            if (fault?.kind === "reset") {
                log.status = "reset";
                req.socket.destroy();
                return;
            }
            if (!result) throw new VaultHttpError(400, "BadParameter", `Unsupported operation ${method} ${url.pathname}.`);
            send(result.status, result.body);
        } catch (e) {
            if (e instanceof VaultHttpError) {
                send(e.status, { error: { code: e.code, message: e.message, ...(e.innerCode ? { innererror: { code: e.innerCode } } : {}) } }, e.headers);
            } else {
                send(500, { error: { code: "InternalServerError", message: (e as Error).message } });
            }
        }
    }

    const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => void handle(req, res));
    const listening = await listenOnLoopback(server);
    base = listening.url;

    return {
        url: base,
        secret: (name) => secrets.get(name.toLowerCase()),
        latest: (name) => {
            const s = secrets.get(name.toLowerCase());
            return s?.versions[s.versions.length - 1];
        },
        isDeleted: (name) => deleted.has(name.toLowerCase()),
        writeOutOfBand: (name, value, attributes = {}) => writeVersion(name, { value, ...attributes }).v,
        deleteOutOfBand: (name) => {
            const s = secrets.get(name.toLowerCase());
            if (!s) throw new Error(`no secret ${name}`);
            softDelete(s);
        },
        setVersionEnabled: (name, version, enabled) => {
            findVersion(name, version).v.enabled = enabled;
        },
        grant: (objectId, actions) => void roles.set(objectId, actions),
        inject: (fault) => void faults.push({ ...fault, remaining: fault.count ?? 1 }),
        clearFaults: () => void faults.splice(0, faults.length),
        setRateLimit: (limit) => {
            rateLimit = limit;
            acceptedAt.splice(0, acceptedAt.length);
        },
        requests,
        close: listening.close,
    };
}
