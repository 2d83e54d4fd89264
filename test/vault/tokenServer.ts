// A local Entra ID token endpoint over HTTPS: OpenID metadata, signing keys and the
// client-credentials grant, with registered apps, their secrets (validity windows,
// propagation delay) and AADSTS error bodies in the shape Entra ID sends them.
import * as crypto from "crypto";
import * as https from "https";
import { DateTime } from "luxon";
import { listenOnLoopback, trustedTls } from "./tls";

export interface ClientSecretEntry {
    value: string;
    /** Epoch ms; default: valid from the start. */
    startsAt?: number;
    /** Epoch ms; after it the token endpoint answers AADSTS7000222. */
    expiresAt?: number;
    /** Epoch ms before which a new secret is still rejected (Entra ID's propagation delay). */
    acceptedFrom?: number;
}

/** A federated identity credential on the app: tokens of this issuer and subject stand in for a secret. */
export interface FederatedCredentialEntry {
    issuer: string;
    subject: string;
    /** Default api://AzureADTokenExchange, the audience Entra ID's docs prescribe. */
    audience?: string;
}

export interface RegisteredClient {
    clientId: string;
    /** The service principal's object id: the `oid` claim the vault authorizes. Default: a random GUID. */
    objectId?: string;
    secrets: ClientSecretEntry[];
    federated?: FederatedCredentialEntry[];
}

/** An error the next token requests for a client get instead of the normal answer. */
export interface InjectedTokenError {
    status: number;
    error: string;
    /** AADSTS code, for example 7000215. */
    code: number;
    description: string;
}

export interface TokenServerOptions {
    /** Tenant id in the authority path; default a fixed GUID. */
    tenantId?: string;
    clients?: RegisteredClient[];
    /** Lifetime of issued tokens in seconds; default 3599. */
    expiresInSeconds?: number;
}

export interface AccessTokenClaims {
    aud: string;
    iss: string;
    tid: string;
    appid: string;
    oid: string;
    iat: number;
    nbf: number;
    exp: number;
}

export interface TokenServer {
    /** Authority host, https://127.0.0.1:PORT: AZURE_AUTHORITY_HOST for the clients. */
    authorityHost: string;
    tenantId: string;
    registerClient(client: RegisteredClient): RegisteredClient & { objectId: string };
    /** The next `count` token requests of `clientId` (any client when omitted) fail with `error`. */
    injectError(error: InjectedTokenError, options?: { clientId?: string; count?: number }): void;
    /** Checks signature, issuer, audience and lifetime; throws a reason on failure. */
    verifyAccessToken(token: string, audience: string): AccessTokenClaims;
    /** Token requests seen, by client id, with the outcome (no secrets recorded). */
    readonly tokenRequests: { clientId: string; scope: string; outcome: "issued" | string }[];
    close(): Promise<void>;
}

export const DEFAULT_TEST_TENANT_ID = "72f988bf-0000-4000-8000-00000000cafe";

function base64url(data: Buffer | string): string {
    return Buffer.from(data).toString("base64url");
}

export function aadstsError(status: number, error: string, code: number, description: string): InjectedTokenError {
    return { status, error, code, description };
}

/** Entra ID's answers for a bad client id or secret, as documented. */
export const AADSTS = {
    invalidSecret: (appId: string) => aadstsError(401, "invalid_client", 7000215,
        `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${appId}'.`),
    expiredSecret: (appId: string) => aadstsError(401, "invalid_client", 7000222,
        `AADSTS7000222: The provided client secret keys for app '${appId}' are expired. Visit the Azure portal to create new keys for your app.`),
    appNotFound: (appId: string, tenantId: string) => aadstsError(400, "unauthorized_client", 700016,
        `AADSTS700016: Application with identifier '${appId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`),
};

/** Client assertions signed by an external issuer (RFC 7523 jwt-bearer client authentication). */
const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** Entra ID validates tokens with Microsoft.IdentityModel, whose default clock skew is 300 s (TokenValidationParameters.DefaultClockSkew). */
export const ASSERTION_CLOCK_SKEW_SECONDS = 300;

function httpsJson(url: string, ca: string): Promise<any> {
    return new Promise((resolve, reject) => {
        https.get(url, { ca, timeout: 10_000 }, (res) => {
            let body = "";
            res.on("data", (c) => { body += c; });
            res.on("end", () => { try { resolve(JSON.parse(body)); } catch (e) { reject(e); } });
        }).on("error", reject);
    });
}

function readBody(req: import("http").IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}

export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
    const tls = await trustedTls();
    const tenantId = options.tenantId ?? DEFAULT_TEST_TENANT_ID;
    const expiresIn = options.expiresInSeconds ?? 3599;
    const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const kid = crypto.randomBytes(8).toString("hex");
    const clients = new Map<string, RegisteredClient & { objectId: string }>();
    const injected: { error: InjectedTokenError; clientId?: string; remaining: number }[] = [];
    const tokenRequests: TokenServer["tokenRequests"] = [];
    let authorityHost = "";
    const issuer = () => `${authorityHost}/${tenantId}/v2.0`;

    function registerClient(client: RegisteredClient) {
        const entry = { ...client, objectId: client.objectId ?? crypto.randomUUID() };
        clients.set(client.clientId, entry);
        return entry;
    }
    (options.clients ?? []).forEach(registerClient);

    function signToken(claims: AccessTokenClaims): string {
        const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid }));
        const payload = base64url(JSON.stringify(claims));
        const signature = crypto.sign("RSA-SHA256", Buffer.from(`${header}.${payload}`), privateKey);
        return `${header}.${payload}.${base64url(signature)}`;
    }

    function verifyAccessToken(token: string, audience: string): AccessTokenClaims {
        const parts = token.split(".");
        if (parts.length !== 3) throw new Error("malformed token");
        const ok = crypto.verify("RSA-SHA256", Buffer.from(`${parts[0]}.${parts[1]}`), publicKey, Buffer.from(parts[2], "base64url"));
        if (!ok) throw new Error("signature not from the token server's key");
        const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as AccessTokenClaims;
        const now = Math.floor(DateTime.now().toSeconds());
        if (claims.iss !== issuer()) throw new Error(`issuer ${claims.iss} is not ${issuer()}`);
        if (claims.aud.replace(/\/+$/, "") !== audience.replace(/\/+$/, "")) throw new Error(`audience ${claims.aud} is not ${audience}`);
        if (claims.exp <= now) throw new Error("token expired");
        if (claims.nbf > now + 300) throw new Error("token not yet valid");
        return claims;
    }

    function takeInjected(clientId: string): InjectedTokenError | undefined {
        const i = injected.findIndex((e) => e.remaining > 0 && (e.clientId === undefined || e.clientId === clientId));
        if (i < 0) return undefined;
        injected[i].remaining -= 1;
        return injected[i].error;
    }

    /** The issuer's signing keys, found as Entra ID finds them: its OpenID metadata, then jwks_uri. */
    async function issuerKey(issuerUrl: string, kid: string): Promise<crypto.KeyObject | undefined> {
        const metadata = await httpsJson(`${issuerUrl.replace(/\/+$/, "")}/.well-known/openid-configuration`, tls.ca);
        const jwks = await httpsJson(metadata.jwks_uri, tls.ca);
        const jwk = (jwks.keys as Array<{ kid: string }>).find((k) => k.kid === kid);
        return jwk ? crypto.createPublicKey({ key: jwk as crypto.JsonWebKey, format: "jwk" }) : undefined;
    }

    /** Why a federated client assertion is refused, in Entra ID's words, or undefined when it is good. */
    async function assertionProblem(client: RegisteredClient, assertion: string): Promise<InjectedTokenError | undefined> {
        const parts = assertion.split(".");
        let header: { kid?: string }; let claims: { iss?: string; sub?: string; aud?: string; nbf?: number; exp?: number };
        try {
            header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
            claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
        } catch {
            return aadstsError(400, "invalid_request", 50027, "AADSTS50027: JWT token is invalid or malformed.");
        }
        const match = (client.federated ?? []).find((f) => f.issuer === claims.iss && f.subject === claims.sub && (f.audience ?? "api://AzureADTokenExchange") === claims.aud);
        if (!match) {
            return aadstsError(400, "invalid_request", 70021, `AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '${claims.iss}'. Assertion Subject: '${claims.sub}'. Assertion Audience: '${claims.aud}'.`);
        }
        const key = await issuerKey(match.issuer, header.kid ?? "").catch(() => undefined);
        if (!key || !crypto.verify("RSA-SHA256", Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2] ?? "", "base64url"))) {
            return aadstsError(401, "invalid_client", 700027, "AADSTS700027: Client assertion failed signature validation.");
        }
        const now = Math.floor(DateTime.now().toSeconds());
        if ((claims.exp ?? 0) + ASSERTION_CLOCK_SKEW_SECONDS <= now || (claims.nbf ?? 0) - ASSERTION_CLOCK_SKEW_SECONDS > now) {
            return aadstsError(400, "invalid_client", 700024, `AADSTS700024: Client assertion is not within its valid time range. Current time: ${DateTime.fromSeconds(now, { zone: "utc" }).toISO()}, assertion valid from ${DateTime.fromSeconds(claims.nbf ?? 0, { zone: "utc" }).toISO()}, expiry time of assertion ${DateTime.fromSeconds(claims.exp ?? 0, { zone: "utc" }).toISO()}.`);
        }
        return undefined;
    }

    async function tokenOutcome(form: URLSearchParams): Promise<{ status: number; body: object; outcome: string }> {
        const clientId = form.get("client_id") ?? "";
        const secret = form.get("client_secret") ?? "";
        const scope = form.get("scope") ?? "";
        const fail = (e: InjectedTokenError) => ({
            status: e.status,
            outcome: `AADSTS${e.code}`,
            body: {
                error: e.error, error_description: `${e.description}\r\nTrace ID: ${crypto.randomUUID()}\r\nCorrelation ID: ${crypto.randomUUID()}\r\nTimestamp: ${DateTime.utc().toFormat("yyyy-MM-dd HH:mm:ss'Z'")}`,
                error_codes: [e.code], timestamp: DateTime.utc().toFormat("yyyy-MM-dd HH:mm:ss'Z'"),
                trace_id: crypto.randomUUID(), correlation_id: crypto.randomUUID(), error_uri: `${authorityHost}/error?code=${e.code}`,
            },
        });
        if (form.get("grant_type") !== "client_credentials") {
            return fail(aadstsError(400, "unsupported_grant_type", 70003, "AADSTS70003: The app requested an unsupported grant type."));
        }
        const forced = takeInjected(clientId);
        if (forced) return fail(forced);
        const client = clients.get(clientId);
        if (!client) return fail(AADSTS.appNotFound(clientId, tenantId));
        const now = DateTime.now().toMillis();
        const assertionType = form.get("client_assertion_type");
        if (assertionType !== null) {
            if (assertionType !== JWT_BEARER_ASSERTION) return fail(aadstsError(400, "invalid_request", 700026, `AADSTS700026: Client assertion type ${assertionType} is not supported.`));
            const problem = await assertionProblem(client, form.get("client_assertion") ?? "");
            if (problem) return fail(problem);
        }
        if (assertionType === null) {
            const matching = client.secrets.filter((s) => s.value === secret);
            if (matching.length === 0 || matching.every((s) => (s.acceptedFrom ?? 0) > now || (s.startsAt ?? 0) > now)) {
                return fail(AADSTS.invalidSecret(clientId));
            }
            if (matching.every((s) => s.expiresAt !== undefined && s.expiresAt <= now)) return fail(AADSTS.expiredSecret(clientId));
        }
        if (!scope.endsWith("/.default")) {
            return fail(aadstsError(400, "invalid_scope", 1002012, `AADSTS1002012: The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`));
        }
        const iat = Math.floor(now / 1000);
        const access_token = signToken({
            aud: scope.slice(0, -"/.default".length), iss: issuer(), tid: tenantId, appid: clientId, oid: client.objectId,
            iat, nbf: iat, exp: iat + expiresIn,
        });
        return { status: 200, outcome: "issued", body: { token_type: "Bearer", expires_in: expiresIn, ext_expires_in: expiresIn, access_token } };
    }

    const server = https.createServer({ key: tls.key, cert: tls.cert }, async (req, res) => {
        const url = new URL(req.url ?? "/", authorityHost);
        const send = (status: number, body: object) => {
            res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
            res.end(JSON.stringify(body));
        };
        const segments = url.pathname.split("/").filter(Boolean);
        const tenant = segments[0];
        const rest = segments.slice(1).join("/");
        if (tenant !== tenantId && tenant !== "organizations" && tenant !== "common") {
            return send(400, { error: "invalid_tenant", error_description: `AADSTS90002: Tenant '${tenant}' not found.`, error_codes: [90002] });
        }
        if (req.method === "GET" && rest === "v2.0/.well-known/openid-configuration") {
            return send(200, {
                issuer: issuer(),
                token_endpoint: `${authorityHost}/${tenantId}/oauth2/v2.0/token`,
                authorization_endpoint: `${authorityHost}/${tenantId}/oauth2/v2.0/authorize`,
                jwks_uri: `${authorityHost}/${tenantId}/discovery/v2.0/keys`,
                end_session_endpoint: `${authorityHost}/${tenantId}/oauth2/v2.0/logout`,
                response_types_supported: ["code", "id_token", "token"],
                subject_types_supported: ["pairwise"],
                id_token_signing_alg_values_supported: ["RS256"],
                token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic", "private_key_jwt"],
                tenant_region_scope: "WW",
            });
        }
        if (req.method === "GET" && rest === "discovery/v2.0/keys") {
            return send(200, { keys: [{ kty: "RSA", use: "sig", kid, ...publicKey.export({ format: "jwk" }) }] });
        }
        if (req.method === "POST" && rest === "oauth2/v2.0/token") {
            const form = new URLSearchParams(await readBody(req));
            const result = await tokenOutcome(form);
            tokenRequests.push({ clientId: form.get("client_id") ?? "", scope: form.get("scope") ?? "", outcome: result.outcome });
            return send(result.status, result.body);
        }
        return send(404, { error: "not_found", error_description: `no route ${req.method} ${url.pathname}` });
    });
    const listening = await listenOnLoopback(server);
    authorityHost = listening.url;

    return {
        authorityHost,
        tenantId,
        registerClient,
        injectError(error, opts = {}) {
            injected.push({ error, clientId: opts.clientId, remaining: opts.count ?? 1 });
        },
        verifyAccessToken,
        tokenRequests,
        close: listening.close,
    };
}
