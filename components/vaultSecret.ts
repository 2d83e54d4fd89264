import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { VAULT_SECRET_MODULE, VAULT_SECRET_TYPE_NAME } from "./typeTokens";
import { checkVaultSecretInputs, secretOwnership, secretWriterLabel } from "./validate";
import { canonicalVaultUrl } from "./provider/vaultSecretDiff";
import { createVaultSecretProvider } from "./provider/vaultSecretProvider";
import { loadingVaultSecretProvider, providerModuleLocation } from "./provider/vaultSecretProviderLocation";
import { CLIENT_ID_TAG } from "./provider/proveBeforeWrite";
import { CredentialProofArgs, checkProofArgs } from "./proofSettings";
import { deployingClientConfig } from "./deploymentIdentity";

export interface VaultSecretArgs {
    /** Vault URI, https://<name>.vault.azure.net. Changing it replaces the secret. */
    vaultUrl: pulumi.Input<string>;
    /** Secret name, ^[0-9a-zA-Z-]{1,127}$. Changing it replaces the secret. */
    name: pulumi.Input<string>;
    /** The secret value; stored in state as a Pulumi secret. */
    value: pulumi.Input<string>;
    /** RFC 3339 expiry of the version (the credential's end). */
    expiresOn: pulumi.Input<string>;
    /** RFC 3339 activation of the version. */
    notBefore?: pulumi.Input<string>;
    /** Content type of the version; default text/plain. */
    contentType?: pulumi.Input<string>;
    /** Metadata tags; keyrelay adds managed-by=keyrelay. */
    tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Leave the secret in the vault when this resource is deleted; default false (delete removes it only while its newest version is still the one this resource wrote). */
    retainOnDelete?: pulumi.Input<boolean>;
    /**
     * Take over a secret whose newest version another stack wrote (its keyrelay-writer tag names
     * that stack); default false: such a write fails. Set it for the one `pulumi up` that moves the
     * secret to this stack, then remove it.
     */
    adopt?: pulumi.Input<boolean>;
    /**
     * Proof before promote (docs/proof.md): before a new value is written, it must get a client-credentials
     * token from Entra `attempts` times in a row (default 3) within `within` (default PT5M), or nothing is
     * written. On by default when the tags name the app (a `client-id` tag); `false` for a value that is
     * not a client secret, or where the deployment cannot reach Entra's token endpoint.
     */
    proof?: CredentialProofArgs | false;
    /**
     * The rotation schedule of the component that writes this secret (scheduleRecord.ts), kept in
     * state so the next run's check() refuses an undeclared change.
     * @internal
     */
    schedule?: string;
}

/** The proof the provider runs: defaults applied, the tenant resolved; undefined for no proof. */
function proofInput(proof: CredentialProofArgs | false | undefined, tags: VaultSecretArgs["tags"]): pulumi.Input<object> | false | undefined {
    if (proof === false) return false;
    const tagged = tags !== undefined && !pulumi.Output.isInstance(tags) && !(tags instanceof Promise) && CLIENT_ID_TAG in (tags as object);
    if (proof === undefined && !tagged) return undefined;
    const { attempts, within, tenantId, clientId } = proof ?? {};
    return pulumi.output({
        ...(attempts !== undefined ? { attempts } : {}),
        ...(within !== undefined ? { within } : {}),
        tenantId: tenantId ?? deployingClientConfig().tenantId,
        ...(clientId !== undefined ? { clientId } : {}),
    });
}

/** The stack this program deploys: "<organization>/<project>/<stack>", tagged on every version it writes. */
export function writerStack(): string {
    let organization = "";
    try {
        organization = pulumi.getOrganization();
    } catch {
        // Older engines and some test runtimes set no organization; project and stack still tell stacks apart.
    }
    return `${organization}/${pulumi.getProject()}/${pulumi.getStack()}`;
}

/**
 * Who writes a secret: the stack and this resource, "<organization>/<project>/<stack>#<id>", where
 * the id is 8 hex digits of the SHA-256 of the resource's URN. The dynamic provider is not told the
 * URN (@pulumi/pulumi 3.270 cmd/dynamic-provider/index.js calls check(olds, news) and create(props)
 * although the engine's CheckRequest and CreateRequest carry it), so the program passes it as an
 * input. A rename through aliases is an update, whose state names the version it wrote.
 */
export function writerOf(name: string, parent: pulumi.Resource | undefined): Promise<string> {
    const stack = writerStack();
    // A plain promise of the parent's URN, not the Output: an input that depends on a component
    // makes the SDK wait for all of that component's children, this VaultSecret among them.
    const parentUrn = parent ? new Promise<string>((resolve) => parent.urn.apply((urn) => { resolve(urn); return urn; })) : Promise.resolve(undefined);
    return parentUrn.then((parentUrnText) => {
        // As pulumi.createUrn spells it (@pulumi/pulumi resource.js): the parent's type chain, then ours.
        const chain = parentUrnText ? `${parentUrnText.substring(0, parentUrnText.lastIndexOf("::"))}$` : undefined;
        const prefix = chain && !chain.endsWith("::pulumi:pulumi:Stack$") ? chain : `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::`;
        const urn = `${prefix}${VAULT_SECRET_URN_TYPE}::${name}`;
        return `${stack}#${createHash("sha256").update(urn).digest("hex").slice(0, 8)}`;
    });
}

/** The type in a VaultSecret's URN (test/vault/providerHost.ts VAULT_SECRET_TYPE). */
const VAULT_SECRET_URN_TYPE = `pulumi-nodejs:dynamic/${VAULT_SECRET_MODULE}:${VAULT_SECRET_TYPE_NAME}`;

/**
 * One provider object for every VaultSecret: Pulumi serializes it once per process and reuses the text.
 * It is a loader of a few hundred bytes; the provider's code is loaded where it runs.
 */
const vaultSecretProvider = loadingVaultSecretProvider(providerModuleLocation(), createVaultSecretProvider());

/**
 * A Key Vault secret written through @azure/keyvault-secrets; every change of value, expiry or tags is a new version.
 *
 * @example
 * ```ts
 * import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
 * import { VaultSecret } from "keyrelay";
 *
 * new VaultSecret("partner-api-key", {
 *     vaultUrl: "https://kv-platform.vault.azure.net",
 *     name: "partner-api-key",
 *     value: new pulumi.Config().requireSecret("partnerApiKey"),
 *     expiresOn: "2027-06-30T00:00:00Z",
 * });
 * ```
 */
export class VaultSecret extends pulumi.dynamic.Resource {
    declare public readonly vaultUrl: pulumi.Output<string>;
    declare public readonly name: pulumi.Output<string>;
    declare public readonly expiresOn: pulumi.Output<string>;
    declare public readonly tags: pulumi.Output<Record<string, string>>;
    declare public readonly versionId: pulumi.Output<string>;
    declare public readonly version: pulumi.Output<string>;
    /** Versionless URI: consumers always read the newest version. */
    declare public readonly secretUri: pulumi.Output<string>;

    constructor(name: string, args: VaultSecretArgs, opts?: pulumi.CustomResourceOptions) {
        const resource = `VaultSecret "${name}"`;
        checkVaultSecretInputs(resource, args ?? {}, (value) => pulumi.Output.isInstance(value) || value instanceof Promise);
        checkProofArgs(resource, args?.proof, "proof", (value) => pulumi.Output.isInstance(value) || value instanceof Promise);
        const vaultUrl = typeof args.vaultUrl === "string" ? canonicalVaultUrl(args.vaultUrl) : args.vaultUrl;
        let value = args.value;
        if (typeof vaultUrl === "string" && typeof args.name === "string") {
            const ownership = secretOwnership(pulumi.runtime.getMonitor() as object | undefined);
            const secretName = args.name;
            ownership.claim(vaultUrl, secretName, secretWriterLabel(opts?.parent, resource), "name");
            // Nothing is written until the program has declared every writer: a later one of the same secret fails this one too.
            value = pulumi.output(args.value).apply(async (v) => {
                await ownership.afterDeclarations(vaultUrl, secretName);
                return v;
            });
        }
        super(
            vaultSecretProvider,
            name,
            { versionId: undefined, version: undefined, secretUri: undefined, ...args, vaultUrl, writer: writerOf(name, opts?.parent), value: pulumi.secret(value), proof: proofInput(args.proof, args.tags) },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["value"] }),
            VAULT_SECRET_MODULE,
            VAULT_SECRET_TYPE_NAME,
        );
    }
}
