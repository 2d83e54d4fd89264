// A vault behind a firewall or a private endpoint, as hosted runners and Pulumi Deployments meet
// it: 403 ForbiddenByFirewall / ForbiddenByConnection. The provider, status, verify and audit report
// it as a network problem naming the vault and what the runner needs, never as a missing role.
import { strict as assert } from "assert";
import { runCli } from "../../cli/main";
import { EXIT_ENVIRONMENT } from "../../cli/errors";
import { createVaultSecretProvider } from "../../components/provider/vaultSecretProvider";
import { vaultRetrySettings } from "../../components/provider/vaultRetrySettings";
import { isVaultError } from "../../lib/errors";
import { startAuditBed } from "../graph/auditBed";
import { cleanTenant } from "../graph/tenants";
import { capturedContext, signInOperator } from "../cli/fixtures";
import { startVaultTestbed, VaultTestbed } from "./testbed";

const FAST = vaultRetrySettings(0.001);

describe("a locked-down vault (firewall, private endpoint)", function () {
    this.timeout(60_000);
    let bed: VaultTestbed;

    before(async () => { bed = await startVaultTestbed(); });
    after(async () => bed?.close());
    afterEach(() => bed.vault.setNetwork({ mode: "open" }));

    const inputs = () => ({
        vaultUrl: bed.vault.url, name: "billing-api-client-secret", value: "fw~value-that-must-never-be-printed", expiresOn: "2027-03-01T00:00:00Z",
        contentType: "text/plain", tags: { app: "billing-api", "client-id": "11111111-2222-3333-4444-555555555555" },
    });

    it("the provider: a firewall refusal names the vault, the runner's address and the three ways in, and no role", async () => {
        bed.vault.setNetwork({ mode: "firewall", allowedAddresses: ["10.0.0.4"] });
        const provider = createVaultSecretProvider({ clientFor: bed.clientFactory(), settings: FAST, pacers: new Map() });
        await assert.rejects(provider.create(inputs()), (e: Error) => {
            assert.ok(isVaultError(e));
            assert.equal(e.innerCode, "ForbiddenByFirewall");
            assert.equal(e.status, 403);
            assert.match(e.message, /cannot write secret "billing-api-client-secret" in https:\/\/127\.0\.0\.1:\d+: the vault 127 \(https:\/\/127\.0\.0\.1:\d+\) refused this runner's network address from 127\.0\.0\.1 \(HTTP 403 ForbiddenByFirewall\)/);
            assert.match(e.message, /network problem, not a missing role/);
            assert.match(e.message, /self-hosted runner.*firewall rule \(az keyvault network-rule add --name 127 --ip-address 127\.0\.0\.1;.*private endpoint/);
            assert.doesNotMatch(e.message, /Secrets Officer/);
            assert.ok(!e.message.includes("value-that-must-never-be-printed"));
            return true;
        });
        assert.equal(bed.vault.secret("billing-api-client-secret"), undefined);
        // Control: the same runner's address allowed, the write goes through.
        bed.vault.setNetwork({ mode: "firewall", allowedAddresses: ["127.0.0.1"] });
        await provider.create(inputs());
        assert.equal(bed.vault.latest("billing-api-client-secret")?.value, inputs().value);
    });

    it("the provider: public access disabled asks for the private endpoint and its DNS zone", async () => {
        bed.vault.setNetwork({ mode: "private-link" });
        const provider = createVaultSecretProvider({ clientFor: bed.clientFactory(), settings: FAST, pacers: new Map() });
        await assert.rejects(provider.create({ ...inputs(), name: "other-client-secret" }), (e: Error) => {
            assert.match(e.message, /public network access disabled .*ForbiddenByConnection.*not a missing role.*private endpoint to 127 .*privatelink\.vaultcore\.azure\.net/);
            return true;
        });
    });

    it("status and verify: one line naming the vault and the network, exit 4", async () => {
        bed.vault.writeOutOfBand("billing-api-client-secret", "fw~x", { tags: { "managed-by": "keyrelay", app: "billing-api", "client-id": "c" } });
        bed.vault.setNetwork({ mode: "firewall" });
        const { restore } = signInOperator(bed.tokens);
        try {
            for (const args of [["status", "--vault", bed.vault.url], ["verify", "--vault", bed.vault.url, "--tenant", bed.tokens.tenantId, "--secret", "billing-api-client-secret"]]) {
                const context = await capturedContext();
                const code = await runCli([...args, "--authority-host", bed.tokens.authorityHost], context);
                const err = context.err.join("");
                assert.equal(code, EXIT_ENVIRONMENT, `${args[0]}: ${err}${context.out.join("")}`);
                assert.match(err, /the vault 127 \(https:\/\/127\.0\.0\.1:\d+\) refused this runner's network address from 127\.0\.0\.1 \(HTTP 403 ForbiddenByFirewall\).*not a missing role/, `${args[0]}: ${err}`);
                assert.doesNotMatch(err, /role on the vault/, args[0]);
            }
        } finally {
            restore();
        }
    });

    it("audit: the same network line, not a missing role", async () => {
        const audit = await startAuditBed(cleanTenant);
        try {
            audit.vault.setNetwork({ mode: "firewall" });
            const { code, err } = await audit.run(["--vault", audit.vault.url]);
            assert.equal(code, EXIT_ENVIRONMENT, err);
            assert.match(err, /cannot list secrets: the vault 127 .*ForbiddenByFirewall.*not a missing role.*self-hosted runner/);
        } finally {
            await audit.close();
        }
    });
});
