// lib/origin.ts and lib/pageTrail.ts: what counts as the same origin, and the refusals.
import { strict as assert } from "assert";
import { canonicalOrigin, hostForMessage, isForeignOriginError, requireSameOrigin, sameOrigin } from "../../lib/origin";
import { PageTrail, isRepeatedNextLinkError } from "../../lib/pageTrail";
import { refuseRedirect } from "../../lib/redirects";

describe("lib/origin: canonical origin and sameOrigin", () => {
    it("lower-cases the host, drops the default port, a trailing dot, user-info, path and query", () => {
        assert.equal(canonicalOrigin("https://GRAPH.Microsoft.com:443/v1.0/applications?$top=1"), "https://graph.microsoft.com");
        assert.equal(canonicalOrigin("https://user:pw@graph.microsoft.com./x"), "https://graph.microsoft.com");
        assert.equal(canonicalOrigin("http://127.0.0.1:80/"), "http://127.0.0.1");
    });

    it("decodes percent-encoded and IDNA hosts and IPv4 shorthands before comparing", () => {
        assert.ok(sameOrigin("https://graph.microsoft.com", "https://gr%61ph.microsoft.com/v1.0"));
        assert.ok(sameOrigin("https://xn--bcher-kva.example", "https://BÜCHER.example/"));
        assert.ok(sameOrigin("https://127.0.0.1:8443", "https://127.1:8443/secrets"));
    });

    it("scheme, host and port each make another origin", () => {
        assert.ok(!sameOrigin("https://kv.vault.azure.net", "http://kv.vault.azure.net"));
        assert.ok(!sameOrigin("https://kv.vault.azure.net", "https://kv.vault.azure.net:8443"));
        assert.ok(!sameOrigin("https://kv.vault.azure.net", "https://kv.vault.azure.net.evil.example"));
        assert.ok(!sameOrigin("https://127.0.0.1:1", "https://localhost:1"));
    });

    it("text without an http(s) origin is never the same as anything", () => {
        for (const text of ["", "not a url", "data:text/plain,x", "file:///etc/passwd", "javascript:alert(1)"]) {
            assert.equal(canonicalOrigin(text), undefined, text);
            assert.ok(!sameOrigin(text, text), text);
        }
        assert.equal(hostForMessage("data:x"), "an address that is not an http(s) URL");
    });

    it("the refusal is one line naming both hosts, a KeyrelayError with its own code", () => {
        assert.throws(() => requireSameOrigin("https://graph.microsoft.com", "https://attacker.example:8443/steal?x=1", "the @odata.nextLink", "audit"), (error: unknown) => {
            assert.ok(isForeignOriginError(error));
            const message = (error as Error).message;
            assert.match(message, /^keyrelay audit: refused the @odata\.nextLink from graph\.microsoft\.com to attacker\.example:8443: /);
            assert.doesNotMatch(message, /steal|x=1|\n/);
            return true;
        });
    });
});

describe("lib/pageTrail: next-page links", () => {
    it("follows same-origin links, refuses a foreign one and one that repeats", () => {
        const trail = new PageTrail("https://graph.microsoft.com", "applications", "@odata.nextLink", "audit", "https://graph.microsoft.com/v1.0/applications");
        assert.equal(trail.next("https://graph.microsoft.com/v1.0/applications?$skiptoken=a"), "https://graph.microsoft.com/v1.0/applications?$skiptoken=a");
        assert.throws(() => trail.next("https://graph.microsoft.com/v1.0/applications?$skiptoken=a"), isRepeatedNextLinkError);
        assert.throws(() => trail.next("https://graph.microsoft.com.evil.example/v1.0/applications"), isForeignOriginError);
        assert.equal(trail.next(undefined), undefined);
        assert.equal(trail.next(null), undefined);
    });
});

describe("lib/redirects: no redirect is followed with a credential", () => {
    it("a foreign Location is a ForeignOriginError; a same-origin one is refused too; other statuses pass", () => {
        assert.ok(isForeignOriginError(refuseRedirect("https://hooks.example/x", 307, "https://other.example/y", "audit")));
        assert.ok(isForeignOriginError(refuseRedirect("https://hooks.example/x", 302, "//other.example/y", "audit")));
        const local = refuseRedirect("https://hooks.example/x", 301, "/y", "audit");
        assert.ok(local && !isForeignOriginError(local) && /does not follow/.test(local.message));
        assert.equal(refuseRedirect("https://hooks.example/x", 200, undefined, "audit"), undefined);
        assert.equal(refuseRedirect("https://hooks.example/x", 404, "https://other.example", "audit"), undefined);
    });
});
