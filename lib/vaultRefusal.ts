// Why a vault said 403, from its error body, so a network refusal is never reported as a missing
// role. Key Vault answers 403 `Forbidden` for all of these and tells them apart by the inner code:
// - `ForbiddenByFirewall`: "Client address is not authorized and caller is not a trusted service.
//   \r\nClient address: <ip>\r\nCaller: ...\r\nVault: <name>;location=<region>" (the firewall admits
//   only listed networks; hashicorp/terraform-provider-azurerm issue 4553, and the Key Vault CSI
//   provider's troubleshooting page https://azure.github.io/secrets-store-csi-driver-provider-azure/docs/troubleshooting/);
// - `ForbiddenByConnection`: "Public network access is disabled and request is not from a trusted
//   service nor via an approved private link." (private endpoint only; same troubleshooting page);
// - `ForbiddenByRbac`, or none: the caller lacks the data role.

export type VaultRefusal =
    | { kind: "firewall"; clientAddress?: string }
    | { kind: "private-link" }
    | { kind: "role" };

interface RestErrorShape {
    statusCode?: number;
    message?: string;
    request?: object;
    details?: { error?: { innerError?: { code?: string }; innererror?: { code?: string } } };
}

interface RefusalBody { innerCode?: string; message?: string }

/**
 * 403 bodies by request. A listing's error (the SDK's paging helper, createRestError in
 * @typespec/ts-http-runtime client/restError.js) keeps only `error.code` ("Forbidden"), dropping the
 * inner code and message, so vaultRefusalPolicy keeps them here for vaultRefusalOf to find.
 */
const refusalBodies = new WeakMap<object, RefusalBody>();

/** A pipeline policy (add it perRetry) that remembers each 403 answer's inner code and message. */
export function vaultRefusalPolicy(): { name: string; sendRequest(request: object & { url: string }, next: (request: never) => Promise<{ status: number; bodyAsText?: string | null }>): Promise<unknown> } {
    return {
        name: "keyrelayVaultRefusal",
        async sendRequest(request, next) {
            const response = await next(request as never);
            if (response.status === 403 && response.bodyAsText) {
                try {
                    const error = (JSON.parse(response.bodyAsText) as { error?: { message?: string; innererror?: { code?: string }; innerError?: { code?: string } } }).error;
                    refusalBodies.set(request, { innerCode: error?.innererror?.code ?? error?.innerError?.code, message: error?.message });
                } catch { /* not JSON: nothing to remember */ }
            }
            return response;
        },
    };
}

/** The inner error code of a Key Vault error body, as @azure/keyvault-secrets exposes it. */
export function vaultInnerCode(error: unknown): string | undefined {
    const shape = error as RestErrorShape | undefined;
    const details = shape?.details;
    return details?.error?.innerError?.code ?? details?.error?.innererror?.code ?? (shape?.request ? refusalBodies.get(shape.request)?.innerCode : undefined);
}

/** What a 403 from a vault means; undefined when the error is not a 403. */
export function vaultRefusalOf(error: unknown): VaultRefusal | undefined {
    if ((error as RestErrorShape | undefined)?.statusCode !== 403) return undefined;
    const inner = vaultInnerCode(error);
    if (inner === "ForbiddenByFirewall") {
        // Only an address-shaped token is kept: the message is the service's text, shown to a person.
        const shape = error as RestErrorShape;
        const message = `${shape.message ?? ""}\n${(shape.request ? refusalBodies.get(shape.request)?.message : undefined) ?? ""}`;
        const address = /Client address: ([0-9A-Fa-f:.]{2,45})(?:\s|$)/.exec(message)?.[1];
        return { kind: "firewall", ...(address ? { clientAddress: address } : {}) };
    }
    if (inner === "ForbiddenByConnection") return { kind: "private-link" };
    return { kind: "role" };
}

export function vaultNameOf(vaultUrl: string): string {
    try {
        return new URL(vaultUrl).hostname.split(".")[0];
    } catch {
        return vaultUrl;
    }
}

/** The problem and the fix for a vault that refused the caller's network, naming the vault and what the runner needs. */
export function networkRefusalAdvice(vaultUrl: string, refusal: Exclude<VaultRefusal, { kind: "role" }>): { problem: string; fix: string } {
    const name = vaultNameOf(vaultUrl);
    const where = refusal.kind === "firewall" && refusal.clientAddress ? ` from ${refusal.clientAddress}` : "";
    const problem = refusal.kind === "firewall"
        ? `the vault ${name} (${vaultUrl}) refused this runner's network address${where} (HTTP 403 ForbiddenByFirewall): its firewall admits only listed networks. This is a network problem, not a missing role`
        : `the vault ${name} (${vaultUrl}) has public network access disabled and this runner did not come through its private endpoint (HTTP 403 ForbiddenByConnection). This is a network problem, not a missing role`;
    const rule = refusal.kind === "firewall" && refusal.clientAddress
        ? `az keyvault network-rule add --name ${name} --ip-address ${refusal.clientAddress}`
        : `az keyvault network-rule add --name ${name} --ip-address <runner address>`;
    const fix = refusal.kind === "firewall"
        ? `Run keyrelay and pulumi up from a runner inside a network the vault admits (a self-hosted runner or agent in its virtual network), add the runner's outbound address as a firewall rule (${rule}; hosted runners change address), or reach the vault through a private endpoint from the runner's network`
        : `Run keyrelay and pulumi up from a runner in a virtual network with a private endpoint to ${name} (and a private DNS zone privatelink.vaultcore.azure.net that resolves it), or enable public access for selected networks and add the runner's address`;
    return { problem, fix };
}

/** The purge advice's second half: what to do when the vault has purge protection on. */
export const PURGE_PROTECTION_ADVICE = "if the vault has purge protection on, purge is refused (403: Operation \"purge\" is not allowed because purge protection is enabled), "
    + "so recover the secret instead, or choose another secret name until the retention period has passed";
