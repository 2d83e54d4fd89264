// Bearer tokens go only where they were meant to: a Graph, a vault, a token endpoint or a webhook
// receiver that points keyrelay at another origin (a nextLink, a redirect) is refused with one line
// naming both hosts, exit 4, and the other origin (a second loopback server on another port)
// records that nothing reached it. A nextLink that repeats ends the listing instead of looping.
import { strict as assert } from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import * as https from "https";
import { runCli } from "../../cli/main";
import { requestClientCredentialsToken } from "../../cli/verify/verify";
import { isForeignOriginError } from "../../lib/origin";
import { listenOnLoopback, trustedTls } from "../vault/tls";
import { EXIT_ENVIRONMENT } from "../../cli/errors";
import { AuditBed, startAuditBed } from "../graph/auditBed";
import { cleanTenant } from "../graph/tenants";
import { ForeignOrigin, startForeignOrigin } from "../vault/foreignOrigin";
import { capturedContext } from "./fixtures";

const host = (url: string) => new URL(url).host;

function assertRefused(result: { code: number; err: string }, from: string, foreign: ForeignOrigin) {
    assert.equal(result.code, EXIT_ENVIRONMENT, result.err);
    const lines = result.err.trim().split("\n");
    assert.equal(lines.length, 1, result.err);
    assert.match(lines[0], new RegExp(`refused .* from ${host(from).replace(/\./g, "\\.")} to ${foreign.host.replace(/\./g, "\\.")}`));
    assert.deepEqual(foreign.requests.filter((r) => r.authorization), [], "no Authorization header reached the foreign origin");
    assert.deepEqual(foreign.requests, [], "nothing at all reached the foreign origin");
}

describe("token origin: nothing leaves the origin a command was pointed at", function () {
    this.timeout(60_000);
    let bed: AuditBed;
    let foreign: ForeignOrigin;
    beforeEach(async () => { foreign = await startForeignOrigin(); });
    afterEach(async () => {
        await bed?.close();
        await foreign.close();
    });

    const foreignPage = (path: string) => () => `${foreign.url}${path}?$skiptoken=stolen`;

    describe("audit, Microsoft Graph", () => {
        beforeEach(async () => { bed = await startAuditBed(cleanTenant); });

        it("refuses a foreign @odata.nextLink of the applications list", async () => {
            bed.graph.rewriteNextLink({ pathPrefix: "/v1.0/applications", when: (u) => !u.searchParams.has("$filter") && !u.searchParams.has("$expand"), to: foreignPage("/v1.0/applications") });
            assertRefused(await bed.run(["--json"]), bed.graph.url, foreign);
        });

        it("refuses a foreign @odata.nextLink of the service principals list", async () => {
            bed.graph.rewriteNextLink({ pathPrefix: "/v1.0/servicePrincipals", to: foreignPage("/v1.0/servicePrincipals") });
            assertRefused(await bed.run([]), bed.graph.url, foreign);
        });

        it("refuses a foreign @odata.nextLink of the app management policies", async () => {
            bed.graph.rewriteNextLink({ pathPrefix: "/v1.0/policies/appManagementPolicies", to: foreignPage("/v1.0/policies/appManagementPolicies") });
            assertRefused(await bed.run([]), bed.graph.url, foreign);
        });

        it("refuses a foreign redirect from Graph, and follows no redirect at all", async () => {
            bed.graph.redirect({ pathPrefix: "/v1.0/servicePrincipals", location: `${foreign.url}/v1.0/servicePrincipals`, status: 307 });
            assertRefused(await bed.run([]), bed.graph.url, foreign);
        });

        it("a link that names Graph's own host another way (127.1, percent-encoded) is followed: canonical form, not text", async () => {
            const graphPort = new URL(bed.graph.url).port;
            let spelled = 0;
            bed.graph.rewriteNextLink({ pathPrefix: "/v1.0/servicePrincipals", to: (_link, requestUrl) => {
                if (new URL(requestUrl).searchParams.has("$skiptoken")) return undefined;
                spelled++;
                const next = new URL(requestUrl);
                next.searchParams.set("$skiptoken", "MA");
                return next.toString().replace(`//127.0.0.1:${graphPort}`, `//%31%32%37.1:${graphPort}`);
            } });
            const result = await bed.run(["--json"]);
            assert.equal(result.code, 0, result.err);
            assert.equal(spelled, 1);
            assert.equal(bed.graph.requests.filter((r) => r.path === "/v1.0/servicePrincipals").length, 2, "the second page was read");
        });

        it("ends a listing whose @odata.nextLink repeats an earlier page, after two pages, with exit 4", async () => {
            bed.graph.rewriteNextLink({ pathPrefix: "/v1.0/servicePrincipals", to: (_link, requestUrl) => {
                const url = new URL(requestUrl);
                // Page 1 points to page 2, page 2 points back to page 1.
                if (url.searchParams.has("$skiptoken")) { url.searchParams.delete("$skiptoken"); return url.toString(); }
                url.searchParams.set("$skiptoken", "MQ"); return url.toString();
            } });
            const started = Date.now();
            const result = await bed.run(["--timeout", "30s"]);
            assert.equal(result.code, EXIT_ENVIRONMENT, result.err);
            assert.match(result.err, /listing of servicePrincipals .* pointed back to a page it had already returned/);
            assert.ok(Date.now() - started < 10_000, "ended at once, not at the deadline");
            const pages = bed.graph.requests.filter((r) => r.path === "/v1.0/servicePrincipals").length;
            assert.ok(pages <= 3, `${pages} pages read`);
        });
    });

    describe("audit, the $expand fallback (a Graph without advanced queries)", () => {
        beforeEach(async () => { bed = await startAuditBed(cleanTenant, { b2c: true }); });

        it("refuses a foreign @odata.nextLink of the $expand=owners listing", async () => {
            bed.graph.rewriteNextLink({ pathPrefix: "/v1.0/applications", when: (u) => u.searchParams.has("$expand"), to: foreignPage("/v1.0/applications") });
            assertRefused(await bed.run([]), bed.graph.url, foreign);
            assert.ok(bed.graph.requests.some((r) => "$expand" in r.query), "the fallback ran");
        });
    });

    describe("Key Vault listings (audit and status)", () => {
        beforeEach(async () => { bed = await startAuditBed(cleanTenant); });

        it("audit refuses a vault's foreign nextLink before the SDK attaches the Key Vault token", async () => {
            bed.vault.rewriteNextLink(() => `${foreign.url}/secrets?api-version=7.6&$skiptoken=1&maxresults=25`);
            assertRefused(await bed.run(["--vault", bed.vault.url]), bed.vault.url, foreign);
        });

        it("status refuses a vault's foreign nextLink the same way", async () => {
            bed.vault.rewriteNextLink(() => `${foreign.url}/secrets?api-version=7.6&$skiptoken=1&maxresults=25`);
            const context = await capturedContext();
            const code = await runCli(["status", "--vault", bed.vault.url, "--authority-host", bed.tokenServer.authorityHost], context);
            assertRefused({ code, err: context.err.join("") }, bed.vault.url, foreign);
        });

        it("status ends a vault listing whose nextLink repeats, long before --timeout", async () => {
            bed.vault.rewriteNextLink((_link, requestUrl) => {
                const url = new URL(requestUrl);
                url.searchParams.set("$skiptoken", "0");
                return url.toString();
            });
            const context = await capturedContext();
            const started = Date.now();
            const code = await runCli(["status", "--vault", bed.vault.url, "--authority-host", bed.tokenServer.authorityHost, "--timeout", "30"], context);
            const err = context.err.join("");
            assert.equal(code, EXIT_ENVIRONMENT, err);
            assert.match(err, /listing of secrets in 127\.0\.0\.1:\d+ pointed back to a page/);
            assert.ok(Date.now() - started < 10_000);
            assert.ok(bed.vault.requests.filter((r) => r.path === "/secrets").length <= 4);
        });

        it("audit ends a vault listing whose nextLink repeats", async () => {
            bed.vault.rewriteNextLink((_link, requestUrl) => {
                const url = new URL(requestUrl);
                url.searchParams.set("$skiptoken", "0");
                return url.toString();
            });
            const result = await bed.run(["--vault", bed.vault.url, "--timeout", "30s"]);
            assert.equal(result.code, EXIT_ENVIRONMENT, result.err);
            assert.match(result.err, /pointed back to a page/);
        });
    });
});

describe("token origin: the token endpoint and the webhook", function () {
    this.timeout(60_000);
    let foreign: ForeignOrigin;
    let bed: AuditBed;
    before(async () => {
        foreign = await startForeignOrigin();
        bed = await startAuditBed(cleanTenant);
    });
    after(async () => {
        await bed?.close();
        await foreign?.close();
    });

    async function redirectingServer(location: string): Promise<{ url: string; hits: number; close(): Promise<void> }> {
        const state = { hits: 0 };
        const server = http.createServer((req, res) => {
            state.hits++;
            req.resume();
            req.on("end", () => { res.writeHead(307, { location }); res.end(); });
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return {
            url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?code=sig-in-query`,
            get hits() { return state.hits; },
            close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
        };
    }

    it("audit --webhook does not follow a redirect to another origin with its signature", async () => {
        const receiver = await redirectingServer(`${foreign.url}/collect`);
        try {
            const result = await bed.run(["--webhook", receiver.url], { KEYRELAY_WEBHOOK_SECRET: "whsec-0123456789" });
            assert.equal(receiver.hits, 1);
            assert.equal(result.code, EXIT_ENVIRONMENT, result.err);
            assert.match(result.err, new RegExp(`refused a redirect from 127\\.0\\.0\\.1:\\d+ to ${foreign.host.replace(/\./g, "\\.")}`));
            assert.deepEqual(foreign.requests, []);
            assert.doesNotMatch(result.err, /sig-in-query/);
        } finally {
            await receiver.close();
        }
    });

    it("verify's token request does not follow the token endpoint's redirect to another origin with the secret", async () => {
        const tls = await trustedTls();
        const state = { hits: 0 };
        const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
            state.hits++;
            req.resume();
            req.on("end", () => { res.writeHead(307, { location: `${foreign.url}/tenant/oauth2/v2.0/token` }); res.end(); });
        });
        const authority = await listenOnLoopback(server);
        try {
            await assert.rejects(
                requestClientCredentialsToken(authority.url, "tenant", "5e5e5e5e-aaaa-4bbb-8ccc-dddddddddddd", "red~a-client-secret-value-0123456789", "https://vault.azure.net/.default", tls.ca),
                (error: unknown) => isForeignOriginError(error) && new RegExp(`from ${host(authority.url).replace(/\./g, "\\.")} to ${foreign.host.replace(/\./g, "\\.")}`).test((error as Error).message));
            assert.equal(state.hits, 1);
            assert.deepEqual(foreign.requests, []);
        } finally {
            await authority.close();
        }
    });
});
