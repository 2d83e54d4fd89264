import * as pulumi from "@pulumi/pulumi";
import { TYPE_TOKENS } from "./typeTokens";
import * as eventgrid from "@pulumi/azure-native/eventgrid";
import { InputError } from "../lib/errors";
import { checkSecretName } from "./validate";

/** Key Vault raises these 30 days before, and at, the current version's expiry. */
export const EXPIRY_EVENT_TYPES = ["Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.SecretExpired"] as const;
/** Event Grid accepts at most 25 values in the advanced filters of one subscription. */
export const MAX_FILTER_VALUES = 25;

export interface StorageQueueTarget {
    /** ARM id of the storage account. */
    storageAccountId: pulumi.Input<string>;
    /** Name of an existing queue in that account. */
    queueName: pulumi.Input<string>;
}

export interface ExpiryAlertsArgs {
    /** ARM id of the vault: /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>. */
    vaultResourceId: pulumi.Input<string>;
    /** Resource group that holds the system topic; usually the vault's. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region of the vault; a system topic lives in its source's region. */
    location: pulumi.Input<string>;
    /** Names of the secrets to watch (keyrelay's); every secret in the vault when left out. */
    secretNames?: string[];
    /** HTTPS endpoint that receives the events; it must answer Event Grid's validation handshake. Set this or storageQueue. */
    webhookUrl?: pulumi.Input<string>;
    /** Storage queue that receives the events. Set this or webhookUrl. */
    storageQueue?: StorageQueueTarget;
    /** Name of the vault's existing Event Grid system topic; a vault can have only one. Default: create one. */
    existingSystemTopicName?: pulumi.Input<string>;
}

function isHttpsUrl(value: unknown): boolean {
    if (typeof value !== "string") return false;
    try {
        const url = new URL(value);
        return url.protocol === "https:" && url.hostname !== "" && !/\s/.test(value);
    } catch {
        return false;
    }
}

/** Checks the inputs and splits the watched secret names into chunks Event Grid accepts (one subscription each). */
/** @internal */
export function planExpiryAlerts(name: string, args: ExpiryAlertsArgs): string[][] {
    const resource = `ExpiryAlerts "${name}"`;
    if (!args) throw new InputError(resource, "args", "are missing", "Pass { vaultResourceId, resourceGroupName, location, webhookUrl or storageQueue }.");
    const destinations = [args.webhookUrl, args.storageQueue].filter((d) => d !== undefined).length;
    if (destinations !== 1) {
        throw new InputError(resource, "webhookUrl / storageQueue", destinations === 0 ? "are both missing" : "are both set",
            "Set exactly one: webhookUrl (an HTTPS endpoint) or storageQueue ({ storageAccountId, queueName }).");
    }
    if (args.webhookUrl !== undefined && !pulumi.Output.isInstance(args.webhookUrl) && !isHttpsUrl(args.webhookUrl)) {
        throw new InputError(resource, "webhookUrl", `is ${JSON.stringify(args.webhookUrl)}, not an https URL`,
            "Event Grid delivers to HTTPS endpoints only: use https://<host>/<path>.");
    }
    if (args.storageQueue !== undefined) {
        const queue = args.storageQueue as Partial<StorageQueueTarget> | null;
        for (const field of ["storageAccountId", "queueName"] as const) {
            const value = queue?.[field];
            if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) {
                throw new InputError(resource, `storageQueue.${field}`, value === undefined || value === null ? "is missing" : "is empty",
                    "Set storageQueue: { storageAccountId: \"/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/<name>\", queueName: \"<queue>\" }.");
            }
        }
    }
    for (const field of ["location", "resourceGroupName", "vaultResourceId"] as const) {
        const value = args[field];
        if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) {
            throw new InputError(resource, field, value === undefined || value === null ? "is missing" : "is empty",
                field === "location" ? "Set the vault's Azure region, e.g. \"westeurope\" (a system topic lives in its source's region)."
                    : field === "resourceGroupName" ? "Set the resource group that holds the system topic (usually the vault's)."
                        : "Set the vault's ARM id, /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>.");
        }
    }
    if (typeof args.vaultResourceId === "string" && !/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/i.test(args.vaultResourceId)) {
        throw new InputError(resource, "vaultResourceId", `is ${JSON.stringify(args.vaultResourceId)}, not a vault's ARM id`,
            "Use /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name> (the vault's Properties page shows it).");
    }
    const names = [...new Set(args.secretNames ?? [])];
    names.forEach((secretName) => checkSecretName(secretName, resource, "secretNames"));
    if (args.secretNames !== undefined && names.length === 0) {
        throw new InputError(resource, "secretNames", "is empty, which would watch nothing", "List the secrets to watch, or leave secretNames out to watch every secret in the vault.");
    }
    if (names.length === 0) return [[]];
    const chunks: string[][] = [];
    for (let i = 0; i < names.length; i += MAX_FILTER_VALUES) chunks.push(names.slice(i, i + MAX_FILTER_VALUES));
    return chunks;
}

/**
 * Subscribes a vault's Event Grid system topic to SecretNearExpiry and SecretExpired for keyrelay's
 * secrets, so a rotation pipeline that stopped running is noticed 30 days before anything breaks.
 *
 * @example
 * ```ts
 * import * as pulumi from "@pulumi/pulumi";
 * import { ExpiryAlerts } from "keyrelay";
 *
 * const config = new pulumi.Config();
 * new ExpiryAlerts("secret-expiry", {
 *     vaultResourceId: config.require("vaultResourceId"),
 *     resourceGroupName: config.require("resourceGroupName"),
 *     location: config.require("location"),
 *     secretNames: ["billing-api-client-secret"],
 *     webhookUrl: config.requireSecret("alertWebhookUrl"),
 * });
 * ```
 */
export class ExpiryAlerts extends pulumi.ComponentResource {
    /** Name of the system topic the subscriptions hang off. */
    public readonly systemTopicName: pulumi.Output<string>;
    public readonly systemTopic: eventgrid.SystemTopic | undefined;
    public readonly subscriptions: eventgrid.SystemTopicEventSubscription[];

    constructor(name: string, args: ExpiryAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        const chunks = planExpiryAlerts(name, args);
        super(TYPE_TOKENS.expiryAlerts, name, {}, opts);

        if (args.existingSystemTopicName !== undefined) {
            this.systemTopic = undefined;
            this.systemTopicName = pulumi.output(args.existingSystemTopicName);
        } else {
            this.systemTopic = new eventgrid.SystemTopic(`${name}-topic`, {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                source: args.vaultResourceId,
                topicType: "Microsoft.KeyVault.vaults",
            }, { parent: this });
            this.systemTopicName = this.systemTopic.name;
        }

        const destination = args.webhookUrl !== undefined
            ? { endpointType: "WebHook" as const, endpointUrl: args.webhookUrl }
            : { endpointType: "StorageQueue" as const, resourceId: args.storageQueue!.storageAccountId, queueName: args.storageQueue!.queueName };

        this.subscriptions = chunks.map((secretNames, i) => new eventgrid.SystemTopicEventSubscription(chunks.length === 1 ? `${name}-expiry` : `${name}-expiry-${i}`, {
            resourceGroupName: args.resourceGroupName,
            systemTopicName: this.systemTopicName,
            destination,
            filter: {
                includedEventTypes: [...EXPIRY_EVENT_TYPES],
                ...(secretNames.length > 0 ? { advancedFilters: [{ operatorType: "StringIn" as const, key: "data.ObjectName", values: secretNames }] } : {}),
            },
            retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
        }, { parent: this }));

        this.registerOutputs({ systemTopicName: this.systemTopicName });
    }
}
