// The one credential factory: DefaultAzureCredential that honours AZURE_AUTHORITY_HOST and
// turns instance discovery off for hosts that are not Microsoft's, proven against the local
// token server (a private authority: with discovery on, MSAL would ask login.microsoftonline.com).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as https from "https";
import { AzurePipelinesCredential, ClientAssertionCredential, DefaultAzureCredential } from "@azure/identity";
import { DateTime, Settings } from "luxon";
import { azureCredentialRoute, createAzureCredential, isKnownAuthorityHost } from "../../components/provider/azureCredential";
import { OidcIssuer, startOidcIssuer } from "./oidcIssuer";
import { startTokenServer, TokenServer } from "./tokenServer";
import { trustedTls } from "./tls";
import { withEnv } from "./testbed";

describe("createAzureCredential", function () {
    this.timeout(30_000);
    let tokens: TokenServer;
    let ca: string;
    const app = { clientId: "0d7e6b1a-9c4f-4a55-b1de-3c2f7a9e8b10", secret: "test-client-secret-value" };

    before(async () => {
        ca = (await trustedTls()).ca;
        tokens = await startTokenServer({ clients: [{ clientId: app.clientId, secrets: [{ value: app.secret }] }] });
    });
    after(async () => tokens?.close());

    /** The pipeline variables that would pick a federated route, cleared so these tests see only their own. */
    const NO_PIPELINE = { ARM_CLIENT_ID: undefined, ARM_TENANT_ID: undefined, ARM_OIDC_TOKEN_FILE_PATH: undefined, ACTIONS_ID_TOKEN_REQUEST_URL: undefined, ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined, ARM_OIDC_REQUEST_URL: undefined, ARM_OIDC_REQUEST_TOKEN: undefined, SYSTEM_ACCESSTOKEN: undefined, SYSTEM_OIDCREQUESTURI: undefined, ARM_OIDC_TOKEN: undefined, ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID: undefined, ARM_OIDC_AZURE_SERVICE_CONNECTION_ID: undefined, AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: undefined };
    const env = () => ({
        ...NO_PIPELINE, AZURE_TENANT_ID: tokens.tenantId, AZURE_CLIENT_ID: app.clientId, AZURE_CLIENT_SECRET: app.secret, AZURE_AUTHORITY_HOST: tokens.authorityHost,
    });

    it("knows Microsoft's authority hosts and nothing else", () => {
        for (const host of ["https://login.microsoftonline.com", "https://login.microsoftonline.us/", "https://login.chinacloudapi.cn", "https://LOGIN.MICROSOFTONLINE.COM"]) {
            assert.equal(isKnownAuthorityHost(host), true, host);
        }
        for (const host of ["https://adfs.local.azurestack.external/adfs", "https://127.0.0.1:8443", "https://login.microsoftonline.com.evil.example", "not a url"]) {
            assert.equal(isKnownAuthorityHost(host), false, host);
        }
    });

    it("from the environment: AZURE_AUTHORITY_HOST points it at a private authority, which issues the vault token", async () => {
        const credential = withEnv(env(), () => createAzureCredential({ tlsOptions: { ca } }));
        const token = await credential.getToken("https://vault.azure.net/.default");
        assert.ok(token?.token);
        const claims = tokens.verifyAccessToken(token!.token, "https://vault.azure.net");
        assert.equal(claims.appid, app.clientId);
        assert.equal(tokens.tokenRequests.at(-1)?.outcome, "issued");
    });

    it("control: the same credential with instance discovery left on cannot use the private authority", async () => {
        const credential = withEnv(env(), () => new DefaultAzureCredential({ authorityHost: tokens.authorityHost, tlsOptions: { ca } } as ConstructorParameters<typeof DefaultAzureCredential>[0]));
        await assert.rejects(credential.getToken("https://vault.azure.net/.default"), /endpoints_resolution_error|authentication failed/);
    });

    it("an explicit authorityHost wins over the environment", async () => {
        const credential = withEnv({ ...env(), AZURE_AUTHORITY_HOST: "https://login.microsoftonline.com" }, () =>
            createAzureCredential({ authorityHost: tokens.authorityHost, tlsOptions: { ca } }));
        const before = tokens.tokenRequests.length;
        await credential.getToken("https://vault.azure.net/.default");
        assert.equal(tokens.tokenRequests.length, before + 1);
    });

    it("an expired client secret surfaces Entra's AADSTS7000222, without the secret", async () => {
        tokens.registerClient({ clientId: "5c1b2a3d-0000-4000-8000-000000000222", secrets: [{ value: "expired-secret-value", expiresAt: Date.parse("2020-01-01T00:00:00Z") }] });
        const credential = withEnv({ ...env(), AZURE_CLIENT_ID: "5c1b2a3d-0000-4000-8000-000000000222", AZURE_CLIENT_SECRET: "expired-secret-value" },
            () => createAzureCredential({ tlsOptions: { ca } }));
        await assert.rejects(credential.getToken("https://vault.azure.net/.default"), (e: Error) => {
            assert.match(e.message, /AADSTS7000222/);
            assert.ok(!e.message.includes("expired-secret-value"));
            return true;
        });
    });

    describe("federated sign-in from the pipeline's variables, a fresh federated token each time", () => {
        let issuer: OidcIssuer;
        let federatedTokens: TokenServer;
        const pipelineApp = { clientId: "7a0c3f52-1b9e-4d3a-8e6f-0a1b2c3d4e5f" };
        const tokenFile = path.join(os.tmpdir(), `keyrelay-oidc-${process.pid}.jwt`);

        before(async () => {
            issuer = await startOidcIssuer({ lifetimeSeconds: 300 });
            // Access tokens under MSAL's 300 s renewal offset: every getToken goes to the token endpoint.
            federatedTokens = await startTokenServer({ expiresInSeconds: 60 });
            federatedTokens.registerClient({ clientId: pipelineApp.clientId, secrets: [], federated: [{ issuer: issuer.issuer, subject: issuer.subject }] });
        });
        after(async () => {
            Settings.now = () => Date.now();
            fs.rmSync(tokenFile, { force: true });
            await issuer?.close();
            await federatedTokens?.close();
        });
        afterEach(() => { Settings.now = () => Date.now(); });

        const base = () => ({ ARM_CLIENT_ID: pipelineApp.clientId, ARM_TENANT_ID: federatedTokens.tenantId, AZURE_AUTHORITY_HOST: federatedTokens.authorityHost });
        const routes = () => ({
            "token-file": { ...base(), ARM_OIDC_TOKEN_FILE_PATH: tokenFile },
            github: { ...base(), ACTIONS_ID_TOKEN_REQUEST_URL: issuer.githubRequestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.githubRequestToken },
            "azure-devops": { ...base(), ARM_OIDC_REQUEST_URL: issuer.azureDevOpsRequestUrl, SYSTEM_ACCESSTOKEN: issuer.systemAccessToken, ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID: issuer.serviceConnectionId },
        });

        it("picks the route from the variables, the ARM_* ones first, DefaultAzureCredential without them", () => {
            const r = routes();
            assert.deepEqual(azureCredentialRoute(r["token-file"]), { kind: "federated", tenantId: federatedTokens.tenantId, clientId: pipelineApp.clientId, source: { kind: "token-file", path: tokenFile } });
            assert.equal((azureCredentialRoute(r.github) as any).source.kind, "github");
            assert.equal((azureCredentialRoute(r["azure-devops"]) as any).source.kind, "azure-devops");
            assert.equal((azureCredentialRoute({ ...r.github, ...r["token-file"] }) as any).source.kind, "token-file");
            assert.equal((azureCredentialRoute({ AZURE_CLIENT_ID: "c", AZURE_TENANT_ID: "t", ACTIONS_ID_TOKEN_REQUEST_URL: "https://x", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "y" }) as any).source.kind, "github");
            assert.deepEqual(azureCredentialRoute({ ACTIONS_ID_TOKEN_REQUEST_URL: "https://x", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "y" }), { kind: "default" }, "no client id: nothing to federate");
            assert.deepEqual((azureCredentialRoute({ ...base(), ARM_OIDC_TOKEN: "handed-over-once" }) as any).source, { kind: "handed-over", token: "handed-over-once" });
            assert.equal((azureCredentialRoute({ ...r.github, ARM_OIDC_TOKEN: "handed-over-once" }) as any).source.kind, "github", "a route that fetches fresh tokens wins over ARM_OIDC_TOKEN");
            assert.equal((azureCredentialRoute({ ...r["azure-devops"], ARM_OIDC_TOKEN: "handed-over-once" }) as any).source.kind, "azure-devops");
            assert.throws(() => azureCredentialRoute({ ...base(), ARM_OIDC_REQUEST_URL: "https://x", SYSTEM_ACCESSTOKEN: "y" }), /ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID/);
            // The provider's variables with the platform's as fallbacks: SYSTEM_OIDCREQUESTURI alone, ARM_OIDC_REQUEST_TOKEN for the system token.
            assert.deepEqual((azureCredentialRoute({ ...base(), SYSTEM_OIDCREQUESTURI: "https://dev.example/oidctoken", ARM_OIDC_REQUEST_TOKEN: "sys", ARM_OIDC_AZURE_SERVICE_CONNECTION_ID: "sc" }) as any).source,
                { kind: "azure-devops", requestUrl: "https://dev.example/oidctoken", systemAccessToken: "sys", serviceConnectionId: "sc" });
            assert.throws(() => azureCredentialRoute({ ...base(), SYSTEM_OIDCREQUESTURI: "https://dev.example/oidctoken", ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID: "sc" }), /SYSTEM_ACCESSTOKEN.*System\.AccessToken/);
        });

        for (const route of ["token-file", "github", "azure-devops"] as const) {
            it(`${route}: the federated token signs in and the token endpoint issues the vault token`, async () => {
                fs.writeFileSync(tokenFile, issuer.mint());
                const issuedBefore = issuer.issued.length;
                const credential = createAzureCredential({ env: routes()[route], tlsOptions: { ca } });
                assert.ok(credential instanceof ClientAssertionCredential, "ARM_OIDC_REQUEST_URL apart from SYSTEM_OIDCREQUESTURI: keyrelay's own request");
                const token = await credential.getToken("https://vault.azure.net/.default");
                const claims = federatedTokens.verifyAccessToken(token!.token, "https://vault.azure.net");
                assert.equal(claims.appid, pipelineApp.clientId);
                assert.equal(federatedTokens.tokenRequests.at(-1)?.outcome, "issued");
                if (route !== "token-file") assert.equal(issuer.issued.at(-1)?.endpoint, route, "the token came from the pipeline's endpoint");
                if (route !== "token-file") assert.ok(issuer.issued.length > issuedBefore, "a token was asked for");
                assert.deepEqual(issuer.refused, []);
            });
        }

        it("Azure DevOps in its own pipeline (SYSTEM_OIDCREQUESTURI set): AzurePipelinesCredential posts the exact request and signs in", async () => {
            const ado = { ...base(), SYSTEM_OIDCREQUESTURI: issuer.azureDevOpsRequestUrl, SYSTEM_ACCESSTOKEN: issuer.systemAccessToken, ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID: issuer.serviceConnectionId };
            const credential = withEnv(ado, () => createAzureCredential({ env: ado, tlsOptions: { ca } }));
            assert.ok(credential instanceof AzurePipelinesCredential);
            const token = await credential.getToken("https://vault.azure.net/.default");
            assert.equal(federatedTokens.verifyAccessToken(token!.token, "https://vault.azure.net").appid, pipelineApp.clientId);
            assert.equal(issuer.issued.at(-1)?.endpoint, "azure-devops");
            assert.deepEqual(issuer.refused, []);
        });

        /** One raw request to the issuer, to prove it refuses what a platform would refuse. */
        const raw = (url: string, method: string, headers: Record<string, string>) => new Promise<number>((resolve, reject) => {
            const request = https.request(url, { method, headers, ca }, (response) => { response.resume(); resolve(response.statusCode ?? 0); });
            request.on("error", reject);
            request.end();
        });

        it("the issuer refuses each platform's request without its method, headers or query", async () => {
            const ado = `${issuer.azureDevOpsRequestUrl}?api-version=7.1&serviceConnectionId=${issuer.serviceConnectionId}`;
            const adoHeaders = { authorization: `Bearer ${issuer.systemAccessToken}`, "x-tfs-fedauthredirect": "Suppress", "content-type": "application/json" };
            assert.equal(await raw(ado, "POST", adoHeaders), 200, "control: the full request");
            const { "x-tfs-fedauthredirect": _omit, ...noSuppress } = adoHeaders;
            assert.equal(await raw(ado, "POST", noSuppress), 302);
            assert.equal(await raw(ado, "GET", adoHeaders), 405);
            assert.equal(await raw(ado.replace("7.1", "7.0"), "POST", adoHeaders), 400);
            assert.equal(await raw(issuer.azureDevOpsRequestUrl, "POST", adoHeaders), 400);
            assert.equal(await raw(ado, "POST", { ...adoHeaders, authorization: "" }), 401);
            const gh = `${issuer.githubRequestUrl}&audience=api://AzureADTokenExchange`;
            assert.equal(await raw(gh, "GET", { authorization: `Bearer ${issuer.githubRequestToken}` }), 200, "control: the full request");
            assert.equal(await raw(gh, "POST", { authorization: `Bearer ${issuer.githubRequestToken}` }), 405);
            assert.equal(await raw(gh, "GET", {}), 401);
            assert.equal(await raw(issuer.githubRequestUrl, "GET", { authorization: `Bearer ${issuer.githubRequestToken}` }), 400);
            assert.equal(await raw(gh.replace("api-version=2.0&", ""), "GET", { authorization: `Bearer ${issuer.githubRequestToken}` }), 400);
            assert.equal(issuer.refused.length, 9);
            issuer.refused.splice(0);
        });

        it("ARM_OIDC_TOKEN (Pulumi ESC, Deployments): signs in, logs how long the one token lives, and names it when Entra refuses it as expired", async () => {
            const start = DateTime.now().toMillis();
            Settings.now = () => start;
            const lines: string[] = [];
            const handedOver = issuer.mint("api://AzureADTokenExchange", 3600);
            const credential = createAzureCredential({ env: { ...base(), ARM_OIDC_TOKEN: handedOver }, tlsOptions: { ca }, log: (line) => lines.push(line) });
            const token = await credential.getToken("https://vault.azure.net/.default");
            assert.equal(federatedTokens.verifyAccessToken(token!.token, "https://vault.azure.net").appid, pipelineApp.clientId);
            assert.equal(lines.length, 1);
            assert.match(lines[0], /ARM_OIDC_TOKEN.*lives 60 min, expires at .*\(60 min left\).*AADSTS700024/);
            assert.ok(!lines[0].includes(handedOver.split(".")[1]), "the token itself is never logged");
            Settings.now = () => start + 90 * 60_000;
            await assert.rejects(credential.getToken("https://vault.azure.net/.default"), (e: Error & { code?: string }) => {
                assert.equal(e.code, "HandedOverTokenExpired");
                assert.match(e.message, /refused ARM_OIDC_TOKEN as expired \(AADSTS700024\).*60 min after it was issued/);
                assert.match(e.message, /Open the ESC environment again/);
                return true;
            });
            assert.equal(lines.length, 1, "the note is printed once");
        });

        it("a pipeline token from another subject is refused with AADSTS70021, and nothing else is tried", async () => {
            const other = await startOidcIssuer({ subject: "repo:contoso/other:ref:refs/heads/main" });
            try {
                const credential = createAzureCredential({ env: { ...base(), ACTIONS_ID_TOKEN_REQUEST_URL: other.githubRequestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: other.githubRequestToken }, tlsOptions: { ca } });
                await assert.rejects(credential.getToken("https://vault.azure.net/.default"), /AADSTS70021/);
            } finally {
                await other.close();
            }
        });

        for (const route of ["github", "azure-devops", "token-file"] as const) {
            it(`${route}: the first federated token expires mid-run; the next Entra token request gets a fresh one`, async () => {
                const start = DateTime.now().toMillis();
                Settings.now = () => start;
                fs.writeFileSync(tokenFile, issuer.mint());
                const credential = createAzureCredential({ env: routes()[route], tlsOptions: { ca } });
                const first = await credential.getToken("https://vault.azure.net/.default");
                assert.ok(first?.token);
                const handedOver = route === "token-file" ? fs.readFileSync(tokenFile, "utf8") : issuer.mint();
                // A long `pulumi up`: 20 minutes later the first federated token (300 s) is long expired, past the skew.
                Settings.now = () => start + 20 * 60_000;
                if (route === "token-file") fs.writeFileSync(tokenFile, issuer.mint()); // the platform refreshes the file
                const second = await credential.getToken("https://vault.azure.net/.default");
                assert.equal(federatedTokens.verifyAccessToken(second!.token, "https://vault.azure.net").appid, pipelineApp.clientId);
                // Control: the token handed over once, as ARM_OIDC_TOKEN is, is refused at the same moment.
                const once = new ClientAssertionCredential(federatedTokens.tenantId, pipelineApp.clientId, async () => handedOver,
                    { authorityHost: federatedTokens.authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca } } as any);
                await assert.rejects(once.getToken("https://vault.azure.net/.default"), /AADSTS700024/);
            });
        }
    });
});
