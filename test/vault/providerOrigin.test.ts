// The pulumi up provider's own SecretClient carries the same-origin guard the CLI's clients do: a
// request that leaves the vault's origin (a redirect, a URL the vault handed back) is refused before
// the authentication policy could attach a token, and never sent.
import { strict as assert } from "assert";
import { createPipelineRequest } from "@azure/core-rest-pipeline";
import { secretClientOptions } from "../../components/provider/vaultSecretProvider";
import { vaultRetrySettings } from "../../components/provider/vaultRetrySettings";
import { isForeignOriginError } from "../../lib/origin";

describe("the VaultSecret provider's SecretClient: tokens stay at the vault's origin", () => {
    const vaultUrl = "https://kv-platform.vault.azure.net";
    const guard = () => {
        const entry = secretClientOptions(vaultUrl, vaultRetrySettings()).additionalPolicies?.find((p) => p.position === "perCall");
        assert.ok(entry, "a perCall policy runs before the vault's authentication policy");
        return entry.policy;
    };

    it("refuses a request to another host, sending nothing", async () => {
        let sent = 0;
        const request = createPipelineRequest({ url: "https://collector.example.net/secrets/x?api-version=7.6" });
        await assert.rejects(guard().sendRequest(request, async () => { sent++; return { request, status: 200, headers: {} as never }; }),
            (e: unknown) => isForeignOriginError(e) && /kv-platform\.vault\.azure\.net/.test((e as Error).message) && /collector\.example\.net/.test((e as Error).message));
        assert.equal(sent, 0);
    });

    it("passes a request to the vault itself", async () => {
        let sent = 0;
        const request = createPipelineRequest({ url: `${vaultUrl}/secrets/x?api-version=7.6` });
        await guard().sendRequest(request, async () => { sent++; return { request, status: 200, headers: {} as never }; });
        assert.equal(sent, 1);
    });
});
