import * as pulumi from "@pulumi/pulumi";
import { TYPE_TOKENS } from "./typeTokens";
import * as eventgrid from "@pulumi/azure-native/eventgrid";
import { InputError } from "../lib/errors";
import { checkSecretName } from "./validate";
import { IN_USE_SUFFIX, MAX_SECRET_NAME_WITH_ALERT, inUseAlertName } from "./inUseAlert";

// Key Vault's Event Grid events (https://learn.microsoft.com/azure/event-grid/event-schema-key-vault):
// Microsoft.KeyVault.SecretNewVersionCreated when a version is written, SecretNearExpiry 30 days before
// the current version's expiry, SecretExpired at it; each event's subject (and data.ObjectName) is the secret's name.
/** Key Vault raises these 30 days before, and at, the current version's expiry. */
export const EXPIRY_EVENT_TYPES = ["Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.SecretExpired"] as const;
/**
 * For `<secretName>-in-use` (components/inUseAlert.ts), which exists only while the evidence gate keeps
 * a credential in use: its first version is the alert now, its expiry the credential's end.
 */
export const IN_USE_EVENT_TYPES = ["Microsoft.KeyVault.SecretNewVersionCreated", ...EXPIRY_EVENT_TYPES] as const;
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

/** @internal The subscriptions: watched names in chunks Event Grid accepts (one subscription each; [] = every secret). */
export interface ExpiryAlertsPlan {
    /** The watched secrets, for SecretNearExpiry and SecretExpired. */
    expiry: string[][];
    /** Their `-in-use` companions, for IN_USE_EVENT_TYPES; with every secret watched, [[]]: one subscription on the suffix. */
    inUse: string[][];
}

function chunked(names: readonly string[]): string[][] {
    const chunks: string[][] = [];
    for (let i = 0; i < names.length; i += MAX_FILTER_VALUES) chunks.push(names.slice(i, i + MAX_FILTER_VALUES));
    return chunks;
}

/** Checks the inputs and plans the subscriptions. */
/** @internal */
export function planExpiryAlerts(name: string, args: ExpiryAlertsArgs): ExpiryAlertsPlan {
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
    if (names.length === 0) return { expiry: [[]], inUse: [[]] };
    // A name too long for the suffix has no companion: RotatedAppRegistration refuses it with `retire` (inUseAlert.ts).
    const companions = names.filter((n) => n.length <= MAX_SECRET_NAME_WITH_ALERT).map(inUseAlertName);
    return { expiry: chunked(names), inUse: chunked(companions) };
}

/**
 * Subscribes a vault's Event Grid system topic to SecretNearExpiry and SecretExpired for keyrelay's
 * secrets, so a rotation pipeline that stopped running is noticed 30 days before anything breaks; and
 * to every event of each secret's `-in-use` companion, written while the evidence gate keeps a retiring
 * credential in use (docs/secretless.md).
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
        const plan = planExpiryAlerts(name, args);
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

        const subscription = (subscriptionName: string, filter: eventgrid.SystemTopicEventSubscriptionArgs["filter"]) => new eventgrid.SystemTopicEventSubscription(subscriptionName, {
            resourceGroupName: args.resourceGroupName,
            systemTopicName: this.systemTopicName,
            destination,
            filter,
            retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
        }, { parent: this });
        const named = (secretNames: string[]) => (secretNames.length > 0 ? { advancedFilters: [{ operatorType: "StringIn" as const, key: "data.ObjectName", values: secretNames }] } : {});
        const expiry = plan.expiry.map((secretNames, i) => subscription(plan.expiry.length === 1 ? `${name}-expiry` : `${name}-expiry-${i}`,
            { includedEventTypes: [...EXPIRY_EVENT_TYPES], ...named(secretNames) }));
        // Watching every secret, the companions' near-expiry and expiry already arrive above: only their new versions are added.
        const inUse = plan.inUse.map((secretNames, i) => subscription(plan.inUse.length === 1 ? `${name}-in-use` : `${name}-in-use-${i}`, secretNames.length > 0
            ? { includedEventTypes: [...IN_USE_EVENT_TYPES], ...named(secretNames) }
            : { includedEventTypes: ["Microsoft.KeyVault.SecretNewVersionCreated"], advancedFilters: [{ operatorType: "StringEndsWith" as const, key: "subject", values: [IN_USE_SUFFIX] }] }));
        this.subscriptions = [...expiry, ...inUse];

        this.registerOutputs({ systemTopicName: this.systemTopicName });
    }
}
