// The vault side of audit: one list pass per vault, then one read of each secret that belongs to
// an app (a client-id tag, or --map). Each value goes straight into secretValueFacts and is
// dropped; nothing but its facts leaves this module.
import type { SecretProperties } from "@azure/keyvault-secrets";
import { CliContext } from "../context";
import { isManagedByKeyrelay } from "../status/verdicts";
import { createSecretClient, parseVaultAddress, vaultCallError } from "../vaultAccess";
import { Deadline } from "../../lib/deadline";
import { SecretReading } from "./findings";
import { secretValueFacts } from "./valueFacts";
import { KEY_ID_TAG } from "./metadataMatch";

/** Key Vault's largest page for a secret listing ("maxresults ... Maximum 25": Get Secrets, Key Vault REST API). */
const LIST_PAGE_SIZE = 25;
/** Reads in flight per vault: far below Key Vault's 4,000 GET transactions per 10 s per vault (service limits page). */
const READ_CONCURRENCY = 8;

export interface VaultReadOptions {
    vaults: string[];
    /** secret name → client id, from --map. */
    map: Map<string, string>;
    authorityHost: string | undefined;
    deadline: Deadline;
    /** Key ids of the app with this client id (lower case), for spotting a Secret ID stored as the value. */
    keyIdsOf: (clientId: string) => string[];
    /** Read each secret's value for the value checks (--read-values); otherwise metadata only. */
    readValues?: boolean;
    onProgress?: (event: { vault: string; listed: number; read: number; toRead: number }) => void;
}

export interface VaultReadResult {
    secrets: SecretReading[];
    /** Per vault: list pages and secret reads. */
    requests: { vault: string; listPages: number; reads: number; listed: number }[];
    /** Secrets skipped, and why (disabled, --map name not found). */
    notes: string[];
}

export async function readVaults(options: VaultReadOptions, context: CliContext): Promise<VaultReadResult> {
    const result: VaultReadResult = { secrets: [], requests: [], notes: [] };
    const mappedSeen = new Set<string>();
    for (const vault of options.vaults) {
        const address = parseVaultAddress(vault);
        const { deadline } = options;
        // The deadline's pipeline policy bounds every request, the later list pages included.
        const client = createSecretClient(address, context, options.authorityHost, deadline);
        const counts = { vault: address.url, listPages: 0, reads: 0, listed: 0 };
        result.requests.push(counts);
        const owned: { properties: SecretProperties; clientId: string; source: "tag" | "map" }[] = [];
        try {
            const pages = client.listPropertiesOfSecrets({ abortSignal: deadline.signal, requestOptions: { timeout: deadline.requestTimeoutMs() } }).byPage({ maxPageSize: LIST_PAGE_SIZE });
            for await (const page of pages) {
                counts.listPages++;
                for (const properties of page) {
                    counts.listed++;
                    const mapped = options.map.get(properties.name.toLowerCase());
                    if (mapped) mappedSeen.add(properties.name.toLowerCase());
                    const clientId = mapped ?? properties.tags?.["client-id"];
                    if (!clientId) continue;
                    if (properties.enabled === false) {
                        result.notes.push(`${address.url}/secrets/${properties.name}: its newest version is disabled, so nothing can read it; not checked.`);
                        continue;
                    }
                    owned.push({ properties, clientId, source: mapped ? "map" : "tag" });
                }
                options.onProgress?.({ vault: address.url, listed: counts.listed, read: 0, toRead: owned.length });
            }
        } catch (error) {
            if (deadline.expired) throw deadline.timeoutError(new URL(address.url).host);
            throw vaultCallError(error, "list secrets", address.url, "Key Vault Secrets User");
        }
        if (!options.readValues) {
            result.secrets.push(...owned.map((item) => ({
                vault: address.url, name: item.properties.name, clientId: item.clientId, source: item.source,
                expiresOn: item.properties.expiresOn, managedByKeyrelay: isManagedByKeyrelay(item.properties), keyIdTag: item.properties.tags?.[KEY_ID_TAG],
            })));
            continue;
        }
        let next = 0;
        const worker = async () => {
            while (next < owned.length) {
                const item = owned[next++];
                let value: string;
                try {
                    const secret = await client.getSecret(item.properties.name, { abortSignal: deadline.signal, requestOptions: { timeout: deadline.requestTimeoutMs() } });
                    value = secret.value ?? "";
                } catch (error) {
                    if (deadline.expired) throw deadline.timeoutError(new URL(address.url).host);
                    throw vaultCallError(error, `read secret "${item.properties.name}"`, address.url, "Key Vault Secrets User");
                }
                counts.reads++;
                result.secrets.push({
                    vault: address.url, name: item.properties.name, clientId: item.clientId, source: item.source,
                    expiresOn: item.properties.expiresOn, managedByKeyrelay: isManagedByKeyrelay(item.properties),
                    facts: secretValueFacts(value, options.keyIdsOf(item.clientId)), keyIdTag: item.properties.tags?.[KEY_ID_TAG],
                });
                options.onProgress?.({ vault: address.url, listed: counts.listed, read: counts.reads, toRead: owned.length });
            }
        };
        await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, owned.length) }, worker));
    }
    for (const name of options.map.keys()) {
        if (!mappedSeen.has(name)) result.notes.push(`--map ${name}: no secret of that name in ${options.vaults.length === 1 ? "the vault" : "any --vault"}.`);
    }
    result.secrets.sort((a, b) => a.vault.localeCompare(b.vault) || a.name.localeCompare(b.name));
    return result;
}
