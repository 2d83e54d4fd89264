import { strict as assert } from "assert";
import { aadstsCodeOf, classifyTokenRefusal } from "../../../lib/aadsts";
import { valueHint, valueNotes } from "../../../policies/lib/hygieneProblems";

const context = { clientId: "11111111-2222-3333-4444-555555555555", tenant: "contoso.onmicrosoft.com", secretName: "billing-client-secret" };

describe("lib/aadsts", () => {
    it("reads the code from error_codes first, then from the description, then from a message", () => {
        assert.equal(aadstsCodeOf({ error: "invalid_client", error_codes: [7000222], error_description: "AADSTS7000215: x" }), 7000222);
        assert.equal(aadstsCodeOf({ error: "invalid_client", error_description: "AADSTS700016: Application with identifier 'x' was not found" }), 700016);
        assert.equal(aadstsCodeOf({ message: "AuthenticationRequiredError: invalid_client: AADSTS90002: Tenant 'x' not found." }), 90002);
        assert.equal(aadstsCodeOf("ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret provided."), 7000215);
        assert.equal(aadstsCodeOf({ error: "server_error" }), undefined);
        assert.equal(aadstsCodeOf(undefined), undefined);
    });

    const expected: Array<[number, string, RegExp, RegExp]> = [
        [7000215, "wrong-value", /"billing-client-secret".*AADSTS7000215/, /Secret ID.*whitespace.*tenant.*--wait/s],
        [7000222, "expired", /expired \(AADSTS7000222\)/, /pulumi up/],
        [700016, "app-not-in-tenant", /11111111-2222-3333-4444-555555555555 is not found in tenant contoso\.onmicrosoft\.com/, /client-id tag.*--tenant/s],
        [90002, "tenant-not-found", /tenant contoso\.onmicrosoft\.com is not found \(AADSTS90002\)/, /authority host/],
    ];
    for (const [code, cause, problem, fix] of expected) {
        it(`classifies AADSTS${code} as ${cause} with its fix`, () => {
            const refusal = classifyTokenRefusal(code, context);
            assert.equal(refusal.cause, cause);
            assert.equal(refusal.code, code);
            assert.match(refusal.problem, problem);
            assert.match(refusal.fix, fix);
        });
    }

    it("keeps an unknown code and the first sentence of its description", () => {
        const refusal = classifyTokenRefusal(50058, context, "AADSTS50058: A silent sign-in request was sent. Trace ID: abc\nmore");
        assert.equal(refusal.cause, "other");
        assert.match(refusal.problem, /AADSTS50058.*A silent sign-in request was sent\.$/);
        assert.doesNotMatch(refusal.problem, /Trace ID/);
        assert.match(refusal.fix, /error\?code=50058/);
    });

    it("warns about a Secret ID, whitespace or an empty value without showing the value", () => {
        const keyId = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
        const guidWarnings = valueNotes(keyId);
        assert.equal(guidWarnings.length, 1);
        assert.match(guidWarnings[0], /Secret ID/);
        assert.ok(!guidWarnings[0].includes(keyId.slice(0, 8)));
        assert.match(valueNotes("abc~defghijklmnop ")[0], /whitespace/);
        assert.match(valueNotes("abc~defghijklmnop\n")[0], /line break/);
        assert.match(valueNotes("")[0], /empty/);
        assert.deepEqual(valueNotes("Xy7Q~abcdefghijklmnopqrstuvwxyz0123456789"), []);
    });

    it("shows three characters of a secret and no more", () => {
        assert.equal(valueHint("Xy7Q~abcdefghijklmnop"), "Xy7…");
    });
});
