// A local OIDC issuer over HTTPS, as a pipeline has one: OpenID metadata and signing keys (what Entra ID
// fetches to check a federated token), GitHub Actions' ID token request endpoint and Azure DevOps'
// OIDC token endpoint, each answering in its own shape, with short-lived tokens on luxon's clock.
import * as crypto from "crypto";
import * as https from "https";
import { DateTime } from "luxon";
import { listenOnLoopback, trustedTls } from "./tls";

export interface OidcIssuerOptions {
    /** Lifetime of each federated token; default 300 s (GitHub's; Azure DevOps' is about 600). */
    lifetimeSeconds?: number;
    /** The `sub` claim, e.g. GitHub's `repo:contoso/platform:ref:refs/heads/main`. */
    subject?: string;
}

export interface OidcIssuer {
    /** The `iss` claim and the base of the metadata URL. */
    issuer: string;
    subject: string;
    /** GitHub: ACTIONS_ID_TOKEN_REQUEST_URL (the runner's URL already carries an api-version) and its token. */
    githubRequestUrl: string;
    githubRequestToken: string;
    /** Azure DevOps: SYSTEM_OIDCREQUESTURI, SYSTEM_ACCESSTOKEN and the service connection's id. */
    azureDevOpsRequestUrl: string;
    systemAccessToken: string;
    serviceConnectionId: string;
    /** A token signed now, as the endpoints hand them out (audience api://AzureADTokenExchange by default; lifetime the issuer's unless given). */
    mint(audience?: string, lifetimeSeconds?: number): string;
    /** Tokens handed out, by endpoint. */
    readonly issued: { endpoint: "github" | "azure-devops" | "mint"; audience: string; issuedAt: number }[];
    /** Requests refused, with the reason. */
    readonly refused: string[];
    close(): Promise<void>;
}

function base64url(data: Buffer | string): string {
    return Buffer.from(data).toString("base64url");
}

export async function startOidcIssuer(options: OidcIssuerOptions = {}): Promise<OidcIssuer> {
    const tls = await trustedTls();
    const lifetime = options.lifetimeSeconds ?? 300;
    const subject = options.subject ?? "repo:contoso/platform-secrets:ref:refs/heads/main";
    const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const kid = crypto.randomBytes(8).toString("hex");
    const githubRequestToken = `gh-request-${crypto.randomBytes(8).toString("hex")}`;
    const systemAccessToken = `ado-system-${crypto.randomBytes(8).toString("hex")}`;
    const serviceConnectionId = crypto.randomUUID();
    const issued: OidcIssuer["issued"] = [];
    const refused: string[] = [];
    let issuer = "";

    function sign(audience: string, endpoint: OidcIssuer["issued"][number]["endpoint"], lives = lifetime): string {
        const iat = Math.floor(DateTime.now().toSeconds());
        const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid }));
        const payload = base64url(JSON.stringify({ iss: issuer, sub: subject, aud: audience, iat, nbf: iat, exp: iat + lives, jti: crypto.randomUUID() }));
        const signature = crypto.sign("RSA-SHA256", Buffer.from(`${header}.${payload}`), privateKey);
        issued.push({ endpoint, audience, issuedAt: iat });
        return `${header}.${payload}.${base64url(signature)}`;
    }

    const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
        const url = new URL(req.url ?? "/", issuer);
        const send = (status: number, body: object) => {
            res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
            res.end(JSON.stringify(body));
        };
        const refuse = (status: number, reason: string) => { refused.push(reason); send(status, { message: reason }); };
        const bearer = (req.headers.authorization ?? "").replace(/^Bearer /, "");
        if (req.method === "GET" && url.pathname === "/.well-known/openid-configuration") {
            return send(200, { issuer, jwks_uri: `${issuer}/keys`, response_types_supported: ["id_token"], subject_types_supported: ["public"], id_token_signing_alg_values_supported: ["RS256"] });
        }
        if (req.method === "GET" && url.pathname === "/keys") {
            return send(200, { keys: [{ kty: "RSA", use: "sig", alg: "RS256", kid, ...publicKey.export({ format: "jwk" }) }] });
        }
        if (url.pathname === "/github/token") {
            // GitHub: GET ACTIONS_ID_TOKEN_REQUEST_URL&audience=..., Bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN; answer { count, value }
            // (@actions/core lib/oidc-utils: getCall appends `&audience=` to the runner's URL, which carries api-version).
            if (req.method !== "GET") return refuse(405, `github: ${req.method}`);
            if (!/^Bearer /.test(req.headers.authorization ?? "")) return refuse(401, "github: no Authorization: Bearer header");
            if (bearer !== githubRequestToken) return refuse(401, "github: wrong request token");
            if (!url.searchParams.get("api-version")) return refuse(400, "github: no api-version");
            const audience = url.searchParams.get("audience");
            if (!audience) return refuse(400, "github: no audience");
            return send(200, { count: 1, value: sign(audience, "github") });
        }
        if (url.pathname === "/ado/oidctoken") {
            // Azure DevOps: POST SYSTEM_OIDCREQUESTURI?api-version=7.1&serviceConnectionId=..., Authorization: Bearer
            // SYSTEM_ACCESSTOKEN, X-TFS-FedAuthRedirect: Suppress; answer { oidcToken }
            // (node_modules/@azure/identity/dist/commonjs/credentials/azurePipelinesCredential.js, requestOidcToken).
            if (req.method !== "POST") return refuse(405, `azure-devops: ${req.method}`);
            // Without X-TFS-FedAuthRedirect: Suppress the service answers a redirect to its sign-in page
            // ("Prevents the service from responding with a redirect HTTP status code", the same source).
            if ((req.headers["x-tfs-fedauthredirect"] ?? "").toString().toLowerCase() !== "suppress") {
                refused.push("azure-devops: no X-TFS-FedAuthRedirect: Suppress");
                res.writeHead(302, { location: `${issuer}/_signin` });
                return res.end();
            }
            if (!/^Bearer /.test(req.headers.authorization ?? "")) return refuse(401, "azure-devops: no Authorization: Bearer header");
            if (bearer !== systemAccessToken) return refuse(401, "azure-devops: wrong system access token");
            if (url.searchParams.get("api-version") !== "7.1") return refuse(400, `azure-devops: api-version ${url.searchParams.get("api-version") ?? "missing"}, not 7.1`);
            if (url.searchParams.get("serviceConnectionId") !== serviceConnectionId) return refuse(404, "azure-devops: unknown service connection");
            return send(200, { oidcToken: sign("api://AzureADTokenExchange", "azure-devops") });
        }
        return refuse(404, `no route ${req.method} ${url.pathname}`);
    });
    const listening = await listenOnLoopback(server);
    issuer = listening.url;

    return {
        issuer, subject,
        githubRequestUrl: `${issuer}/github/token?api-version=2.0`,
        githubRequestToken,
        azureDevOpsRequestUrl: `${issuer}/ado/oidctoken`,
        systemAccessToken,
        serviceConnectionId,
        mint: (audience = "api://AzureADTokenExchange", lives?: number) => sign(audience, "mint", lives),
        issued, refused,
        close: listening.close,
    };
}
