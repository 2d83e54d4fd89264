// The one credential factory: DefaultAzureCredential that honours AZURE_AUTHORITY_HOST and
// turns instance discovery off for hosts that are not Microsoft's, proven against the local
// token server (a private authority: with discovery on, MSAL would ask login.microsoftonline.com).
import { strict as assert } from "assert";
import { DefaultAzureCredential } from "@azure/identity";
import { createAzureCredential, isKnownAuthorityHost } from "../../components/azureCredential";
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

    const env = () => ({
        AZURE_TENANT_ID: tokens.tenantId, AZURE_CLIENT_ID: app.clientId, AZURE_CLIENT_SECRET: app.secret, AZURE_AUTHORITY_HOST: tokens.authorityHost,
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
});
