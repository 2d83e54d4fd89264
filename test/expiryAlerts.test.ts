import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import type * as alertsModule from "../components/expiryAlerts";

interface Registered { type: string; name: string; inputs: Record<string, any> }

function unwrap<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => { resolve(v); return v; }));
}

const vaultId = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kv-keyrelay";

describe("ExpiryAlerts", () => {
    let registered: Registered[] = [];
    let alerts: typeof alertsModule;

    before(async () => {
        pulumi.runtime.setMocks({
            newResource: (args) => {
                registered.push({ type: args.type, name: args.name, inputs: args.inputs });
                return { id: `${args.name}-id`, state: { ...args.inputs, name: args.inputs.systemTopicName ?? `${args.name}-generated` } };
            },
            call: (args) => { throw new Error(`unexpected call ${args.token}`); },
        }, "keyrelay", "test", false);
        alerts = await import("../components/expiryAlerts");
    });
    beforeEach(() => { registered = []; });

    const base = { vaultResourceId: vaultId, resourceGroupName: "rg-secrets", location: "westeurope" };

    it("creates the vault's system topic and a webhook subscription filtered to the two expiry events and the named secrets", async () => {
        const component = new alerts.ExpiryAlerts("kv-alerts", { ...base, secretNames: ["billing-client-secret", "orders-client-secret"], webhookUrl: "https://alerts.example.com/keyrelay" });
        assert.equal(await unwrap(component.systemTopicName), "kv-alerts-topic-generated");
        await unwrap(component.subscriptions[0].id);
        const topic = registered.find((r) => r.type === "azure-native:eventgrid:SystemTopic")!;
        assert.equal(topic.name, "kv-alerts-topic");
        assert.equal(topic.inputs.source, vaultId);
        assert.equal(topic.inputs.topicType, "Microsoft.KeyVault.vaults");
        assert.equal(topic.inputs.location, "westeurope");
        const subscriptions = registered.filter((r) => r.type === "azure-native:eventgrid:SystemTopicEventSubscription");
        assert.deepEqual(subscriptions.map((s) => s.name).sort(), ["kv-alerts-expiry", "kv-alerts-in-use"]);
        const sub = subscriptions.find((s) => s.name === "kv-alerts-expiry")!.inputs;
        assert.equal(sub.systemTopicName, "kv-alerts-topic-generated");
        assert.deepEqual(sub.filter.includedEventTypes, ["Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.SecretExpired"]);
        assert.deepEqual(sub.filter.advancedFilters, [{ operatorType: "StringIn", key: "data.ObjectName", values: ["billing-client-secret", "orders-client-secret"] }]);
        assert.deepEqual(sub.destination, { endpointType: "WebHook", endpointUrl: "https://alerts.example.com/keyrelay" });
        assert.ok(registered.some((r) => r.type === "keyrelay:index:ExpiryAlerts" && r.name === "kv-alerts"));
    });

    it("delivers to a storage queue on an existing system topic, and watches every secret without a name list", async () => {
        const component = new alerts.ExpiryAlerts("kv-queue", {
            ...base, existingSystemTopicName: "kv-keyrelay-events",
            storageQueue: { storageAccountId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stalerts", queueName: "keyrelay-expiry" },
        });
        await unwrap(component.subscriptions[0].id);
        assert.equal(component.systemTopic, undefined);
        assert.ok(!registered.some((r) => r.type === "azure-native:eventgrid:SystemTopic"));
        const sub = registered.find((r) => r.type === "azure-native:eventgrid:SystemTopicEventSubscription" && r.name === "kv-queue-expiry")!.inputs;
        assert.equal(sub.systemTopicName, "kv-keyrelay-events");
        assert.equal(sub.filter.advancedFilters, undefined);
        assert.deepEqual(sub.destination, { endpointType: "StorageQueue", resourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stalerts", queueName: "keyrelay-expiry" });
    });

    it("splits more than 25 secret names across subscriptions with unique names", async () => {
        const names = Array.from({ length: 60 }, (_, i) => `app-${i}-client-secret`);
        const component = new alerts.ExpiryAlerts("fleet", { ...base, secretNames: names, webhookUrl: "https://alerts.example.com/k" });
        await Promise.all(component.subscriptions.map((s) => unwrap(s.id)));
        const subs = registered.filter((r) => r.type === "azure-native:eventgrid:SystemTopicEventSubscription" && r.name.startsWith("fleet-expiry"))
            .sort((a, b) => a.name.localeCompare(b.name));
        assert.deepEqual(subs.map((s) => s.name), ["fleet-expiry-0", "fleet-expiry-1", "fleet-expiry-2"]);
        assert.deepEqual(subs.map((s) => s.inputs.filter.advancedFilters[0].values.length), [25, 25, 10]);
        assert.deepEqual(subs.flatMap((s) => s.inputs.filter.advancedFilters[0].values), names);
    });

    describe("the in-use alert's companion secrets (<name>-in-use)", () => {
        const subscriptionsOf = () => registered.filter((r) => r.type === "azure-native:eventgrid:SystemTopicEventSubscription");

        it("subscribes each watched secret's companion to its new versions, near-expiry and expiry", async () => {
            const component = new alerts.ExpiryAlerts("kv-alerts", { ...base, secretNames: ["billing-client-secret", "orders-client-secret"], webhookUrl: "https://alerts.example.com/keyrelay" });
            await Promise.all(component.subscriptions.map((s) => unwrap(s.id)));
            const inUse = subscriptionsOf().find((r) => r.name === "kv-alerts-in-use")!.inputs;
            assert.deepEqual(inUse.filter.includedEventTypes,
                ["Microsoft.KeyVault.SecretNewVersionCreated", "Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.SecretExpired"]);
            assert.deepEqual(inUse.filter.advancedFilters, [{ operatorType: "StringIn", key: "data.ObjectName", values: ["billing-client-secret-in-use", "orders-client-secret-in-use"] }]);
            assert.deepEqual(inUse.destination, { endpointType: "WebHook", endpointUrl: "https://alerts.example.com/keyrelay" });
            const expiry = subscriptionsOf().find((r) => r.name === "kv-alerts-expiry")!.inputs;
            assert.ok(!expiry.filter.advancedFilters[0].values.some((v: string) => v.endsWith("-in-use")), "the client secrets' own subscription is unchanged");
        });

        it("chunks the companions by 25 as well, and skips a name with no room for the suffix", async () => {
            const names = [...Array.from({ length: 30 }, (_, i) => `app-${i}-client-secret`), "x".repeat(121)];
            const component = new alerts.ExpiryAlerts("fleet", { ...base, secretNames: names, webhookUrl: "https://alerts.example.com/k" });
            await Promise.all(component.subscriptions.map((s) => unwrap(s.id)));
            const inUse = subscriptionsOf().filter((r) => r.name.startsWith("fleet-in-use")).sort((a, b) => a.name.localeCompare(b.name));
            assert.deepEqual(inUse.map((s) => s.name), ["fleet-in-use-0", "fleet-in-use-1"]);
            assert.deepEqual(inUse.map((s) => s.inputs.filter.advancedFilters[0].values.length), [25, 5]);
            const watched = inUse.flatMap((s) => s.inputs.filter.advancedFilters[0].values as string[]);
            assert.deepEqual(watched, names.slice(0, 30).map((n) => `${n}-in-use`));
            assert.ok(watched.every((n) => n.length <= 127));
            assert.equal(subscriptionsOf().filter((r) => r.name.startsWith("fleet-expiry")).flatMap((s) => s.inputs.filter.advancedFilters[0].values).length, 31);
        });

        it("watching every secret, adds one subscription to new versions of any secret whose subject ends in -in-use", async () => {
            const component = new alerts.ExpiryAlerts("all", { ...base, webhookUrl: "https://alerts.example.com/k" });
            await Promise.all(component.subscriptions.map((s) => unwrap(s.id)));
            const subs = subscriptionsOf();
            assert.deepEqual(subs.map((s) => s.name).sort(), ["all-expiry", "all-in-use"]);
            const inUse = subs.find((s) => s.name === "all-in-use")!.inputs;
            assert.deepEqual(inUse.filter.includedEventTypes, ["Microsoft.KeyVault.SecretNewVersionCreated"]);
            assert.deepEqual(inUse.filter.advancedFilters, [{ operatorType: "StringEndsWith", key: "subject", values: ["-in-use"] }]);
            const all = subs.find((s) => s.name === "all-expiry")!.inputs;
            assert.equal(all.filter.advancedFilters, undefined, "near-expiry and expiry of every secret, companions included, come from the watch-all subscription");
        });
    });

    describe("bad input names the resource, the field and the fix", () => {
        const cases: Array<[string, Partial<alertsModule.ExpiryAlertsArgs>, RegExp]> = [
            ["no destination", {}, /ExpiryAlerts "a": webhookUrl \/ storageQueue are both missing\. Set exactly one/],
            ["two destinations", { webhookUrl: "https://x.example", storageQueue: { storageAccountId: "s", queueName: "q" } }, /are both set\. Set exactly one/],
            ["http webhook", { webhookUrl: "http://alerts.example.com" }, /webhookUrl is "http:\/\/alerts\.example\.com", not an https URL\. Event Grid delivers to HTTPS endpoints only/],
            ["bad vault id", { webhookUrl: "https://x.example", vaultResourceId: "kv-keyrelay" }, /vaultResourceId is "kv-keyrelay", not a vault's ARM id\. Use \/subscriptions\//],
            ["bad secret name", { webhookUrl: "https://x.example", secretNames: ["billing_secret"] }, /secretNames is "billing_secret", not a valid Key Vault secret name/],
            ["empty secret list", { webhookUrl: "https://x.example", secretNames: [] }, /secretNames is empty, which would watch nothing/],
            ["a webhook that is not a URL", { webhookUrl: "https://" }, /webhookUrl is "https:\/\/", not an https URL/],
            ["a webhook with a space in the host", { webhookUrl: "https://alerts example.com/hook" }, /webhookUrl is "https:\/\/alerts example\.com\/hook", not an https URL/],
            ["an empty storageQueue", { storageQueue: {} as alertsModule.StorageQueueTarget }, /storageQueue\.storageAccountId is missing\. Set storageQueue: \{ storageAccountId/],
            ["a storageQueue with an empty queue name", { storageQueue: { storageAccountId: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a", queueName: "" } }, /storageQueue\.queueName is empty/],
            ["an empty location", { webhookUrl: "https://x.example", location: "" }, /ExpiryAlerts "a": location is empty\. Set the vault's Azure region/],
            ["a blank resource group", { webhookUrl: "https://x.example", resourceGroupName: "  " }, /resourceGroupName is empty/],
        ];
        for (const [label, overrides, message] of cases) {
            it(label, () => {
                assert.throws(() => new alerts.ExpiryAlerts("a", { ...base, ...overrides } as alertsModule.ExpiryAlertsArgs), message);
                assert.equal(registered.length, 0, "nothing is declared before the check");
            });
        }
    });
});
