// A platform team's program with keyrelay: two app registrations whose client secrets rotate into one
// Key Vault, a reader that may read one of them, and Event Grid alerts if a rotation ever stops.
import * as pulumi from "@pulumi/pulumi";
import { ExpiryAlerts, RotatedAppRegistration } from "keyrelay";

const config = new pulumi.Config();
const vault = { url: config.require("vaultUrl"), resourceId: config.require("vaultResourceId") };

const billing = new RotatedAppRegistration("billing-api", {
    displayName: "billing-api",
    rotation: { every: "P60D" },                       // optional; default P89D; validFor max(2 × every + 1 day, every + 15 days)
    maxLifetime: "P180D",                              // optional: your tenant's password lifetime limit, checked before anything is created
    vault: { ...vault, secretName: "billing-api-client-secret" },
    readers: config.requireObject<string[]>("billingReaders"), // "Key Vault Secrets User" on this one secret
});

const orders = new RotatedAppRegistration("orders-worker", {
    displayName: "orders-worker",
    rotation: { every: "P30D" },
    vault: { ...vault, secretName: "orders-worker-client-secret" },
});

// The net under the schedule: SecretNearExpiry / SecretExpired events reach the webhook if runs stop.
new ExpiryAlerts("secret-expiry", {
    vaultResourceId: vault.resourceId,
    resourceGroupName: config.require("resourceGroupName"),
    location: config.require("location"),
    secretNames: ["billing-api-client-secret", "orders-worker-client-secret"],
    webhookUrl: config.requireSecret("alertWebhookUrl"),
});

const apps = { "billing-api": billing, "orders-worker": orders };
const byApp = <T>(pick: (app: RotatedAppRegistration) => pulumi.Output<T>) =>
    Object.fromEntries(Object.entries(apps).map(([name, app]) => [name, pick(app)]));

export const clientIds = byApp((app) => app.clientId);
/** Versionless secret URIs: consumers read these; the pipelines verify each after `pulumi up`. */
export const secretUris = byApp((app) => app.secretUri);
export const nextRotation = byApp((app) => app.nextRotation);
