// lib/network.ts: the one loopback check and the one list of "host does not resolve" codes.
import { strict as assert } from "assert";
import { isLoopbackHost, isLoopbackUrl, isUnresolvedError } from "../lib/network";

describe("lib/network", () => {
    it("loopback: localhost, 127.0.0.0/8 and ::1 (with or without URL's brackets), nothing else", () => {
        for (const host of ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]"]) assert.equal(isLoopbackHost(host), true, host);
        for (const host of ["kv-x.vault.azure.net", "128.0.0.1", "127.0.0.1.evil.example", "localhost.evil.example", "::2", ""]) assert.equal(isLoopbackHost(host), false, host);
        assert.equal(isLoopbackUrl("https://127.0.0.1:8443"), true);
        assert.equal(isLoopbackUrl("https://[::1]:8443/"), true);
        assert.equal(isLoopbackUrl("https://kv-x.vault.azure.net"), false);
        assert.equal(isLoopbackUrl("not a url"), false);
    });

    it("a name that does not resolve: the resolver's codes, on the error or on its cause", () => {
        for (const code of ["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_NODATA"]) {
            assert.equal(isUnresolvedError(Object.assign(new Error("x"), { code })), true, code);
            assert.equal(isUnresolvedError(Object.assign(new Error("x"), { cause: { code } })), true, `cause ${code}`);
        }
        for (const code of ["ECONNREFUSED", "ETIMEDOUT", undefined]) assert.equal(isUnresolvedError(Object.assign(new Error("x"), { code })), false, String(code));
        assert.equal(isUnresolvedError(undefined), false);
    });
});
