// Test tenants for keyrelay audit, built relative to `now`: one of about 50 apps with exactly one
// case of every finding (and the look-alikes that must not be findings), and a clean one.
import * as crypto from "crypto";
import { DateTime } from "luxon";
import type { FindingCode } from "../../cli/audit/model";
import { StandInDirectoryObject, StandInPasswordCredential, StandInRestriction, StandInTenant } from "./localGraph";

export interface VaultSecretFixture {
    name: string;
    value: string;
    /** Unix seconds. */
    exp?: number;
    tags?: Record<string, string>;
}

export interface TenantFixture {
    tenant: StandInTenant;
    secrets: VaultSecretFixture[];
    /** --map entries the run passes. */
    map: string[];
    /** Every finding the audit must report, as code and app display name or secret name. */
    expected: { code: FindingCode; subject: string }[];
    /** Every secret value in the vault, for the canary search. */
    values: string[];
}

/** A deterministic generator, so a failing run can be repeated. */
function generator(seed: string) {
    let counter = 0;
    const next = () => crypto.createHash("sha256").update(`${seed}:${counter++}`).digest();
    const guid = () => {
        const b = next();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        const h = b.subarray(0, 16).toString("hex");
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
    };
    let prefix = 0;
    /** A client-secret-like value (Entra's are 40 characters) whose first three characters no other value shares. */
    const secretValue = () => {
        const p = prefix++;
        const hint = `K${"abcdefghijkmnpqrstuvwxyz"[Math.floor(p / 10) % 24]}${p % 10}`;
        return `${hint}~${next().toString("base64url").slice(0, 36)}`;
    };
    return { guid, secretValue };
}

interface Builder {
    now: DateTime;
    iso(days: number): string;
    unix(days: number): number;
    app(name: string, passwords: { from: number; to: number; displayName?: string; value?: string }[], options?: { owners?: number; certificateYears?: number; createdDaysAgo?: number }): StandInDirectoryObject;
    passwordOf(app: StandInDirectoryObject, index?: number): StandInPasswordCredential;
    secretValue(): string;
    guid(): string;
}

function builder(now: DateTime, seed: string): Builder {
    const g = generator(seed);
    const iso = (days: number) => now.plus({ days }).toUTC().toISO({ suppressMilliseconds: true })!;
    const unix = (days: number) => Math.floor(now.plus({ days }).toSeconds());
    return {
        now, iso, unix, secretValue: g.secretValue, guid: g.guid,
        app(name, passwords, options = {}) {
            const ownerCount = options.owners ?? 1;
            return {
                id: g.guid(), appId: g.guid(), displayName: name, signInAudience: "AzureADMyOrg",
                createdDateTime: iso(-(options.createdDaysAgo ?? 400)),
                passwordCredentials: passwords.map((p) => ({
                    keyId: g.guid(), displayName: p.displayName ?? `${name} secret`, secretValue: p.value ?? g.secretValue(),
                    startDateTime: iso(p.from), endDateTime: iso(p.to),
                })),
                keyCredentials: options.certificateYears ? [{
                    keyId: g.guid(), displayName: `CN=${name}`, type: "AsymmetricX509Cert", usage: "Verify",
                    startDateTime: iso(-30), endDateTime: iso(-30 + 365 * options.certificateYears),
                }] : [],
                owners: Array.from({ length: ownerCount }, (_, i) => ({ id: g.guid(), displayName: `Owner ${i + 1} of ${name}`, userPrincipalName: `owner${i + 1}@contoso.example` })),
            };
        },
        passwordOf: (app, index = 0) => app.passwordCredentials[index],
    };
}

const restriction = (maxLifetime: string, after = "2019-01-01T00:00:00Z"): StandInRestriction =>
    ({ restrictionType: "passwordLifetime", maxLifetime, restrictForAppsCreatedAfterDateTime: after, state: "enabled" });

function emptyPolicy(isEnabled: boolean, applicationPasswords: StandInRestriction[] = []): StandInTenant["defaultAppManagementPolicy"] {
    return {
        id: "00000000-0000-0000-0000-000000000000", displayName: "Default app management tenant policy",
        description: "Default tenant policy that enforces app management restrictions on applications and service principals.", isEnabled,
        applicationRestrictions: { passwordCredentials: applicationPasswords, keyCredentials: [] },
        servicePrincipalRestrictions: { passwordCredentials: [], keyCredentials: [] },
    };
}

/** Tags keyrelay's VaultSecret writes (key-id too: components/rotatedAppRegistration.ts). */
function keyrelayTags(app: StandInDirectoryObject): Record<string, string> {
    return { "managed-by": "keyrelay", app: app.displayName, "client-id": app.appId, "next-rotation": "2099-01-01T00:00:00Z" };
}

/** A keyrelay-managed app: slot a retiring (ends in `retiringEndsIn` days), slot b in service and in the vault. */
function keyrelayApp(b: Builder, name: string, retiringEndsIn: number) {
    const app = b.app(name, [
        { from: retiringEndsIn - 181, to: retiringEndsIn, displayName: `${name} (keyrelay slot a, from ${b.now.plus({ days: retiringEndsIn - 181 }).toISODate()})` },
        { from: retiringEndsIn - 91, to: retiringEndsIn + 90, displayName: `${name} (keyrelay slot b, from ${b.now.plus({ days: retiringEndsIn - 91 }).toISODate()})` },
    ]);
    const inService = b.passwordOf(app, 1);
    return { app, secret: { name: `${name}-client-secret`, value: inService.secretValue, exp: Math.floor(DateTime.fromISO(inService.endDateTime).toSeconds()), tags: { ...keyrelayTags(app), "key-id": inService.keyId } } };
}

/** A hand-managed app with one healthy password and its secret in the vault, tagged by hand. */
function healthyApp(b: Builder, name: string, index: number) {
    const app = b.app(name, [{ from: -20 - index, to: 150 - index }], { certificateYears: index % 4 === 0 ? 2 : undefined });
    const p = b.passwordOf(app);
    return { app, secret: { name: `${name}-secret`, value: p.secretValue, exp: Math.floor(DateTime.fromISO(p.endDateTime).toSeconds()), tags: { "client-id": app.appId } } };
}

export function findingsTenant(now: DateTime): TenantFixture {
    const b = builder(now, "findings");
    const applications: StandInDirectoryObject[] = [];
    const secrets: VaultSecretFixture[] = [];
    const expected: TenantFixture["expected"] = [];

    for (let i = 0; i < 30; i++) {
        const { app, secret } = healthyApp(b, `service-${String(i).padStart(2, "0")}`, i);
        applications.push(app);
        if (i % 2 === 0) secrets.push(secret);
    }
    // keyrelay apps: the retiring credential ends within --warn-days and is not a finding.
    for (let i = 0; i < 6; i++) {
        const { app, secret } = keyrelayApp(b, `keyrelay-${i}`, 5 + i);
        applications.push(app);
        secrets.push(secret);
    }

    const expiredApp = b.app("legacy-reports", [{ from: -180, to: -5 }]);
    expected.push({ code: "credential-expired", subject: "legacy-reports" });
    const expiringApp = b.app("payments-api", [{ from: -160, to: 10 }]);
    expected.push({ code: "credential-expiring", subject: "payments-api" });
    const longApp = b.app("analytics-etl", [{ from: -10, to: 390 }]);
    expected.push({ code: "credential-lifetime-over-policy", subject: "analytics-etl" });
    // An appManagementPolicy allowing two years overrides the tenant's 200 days: no finding.
    const exceptedApp = b.app("partner-bridge", [{ from: -10, to: 690 }]);
    // Created before the tenant policy's restrictForAppsCreatedAfterDateTime: the 365-day fallback holds, 300 days is fine.
    const oldApp = b.app("mainframe-link", [{ from: -10, to: 290 }], { createdDaysAgo: 4000 });
    // Graph data of the wrong shape: an endDateTime that is not a date is reported, never read as "no end".
    const garbledApp = b.app("garbled-dates", [{ from: -10, to: 160 }]);
    garbledApp.passwordCredentials[0].endDateTime = "the thirty-first of Smarch";
    expected.push({ code: "credential-data-invalid", subject: "garbled-dates" });
    const orphan = b.app("orphan-tool", [{ from: -10, to: 160 }], { owners: 0 });
    expected.push({ code: "app-without-owner", subject: "orphan-tool" });

    const inventory = b.app("inventory-api", [{ from: -10, to: 160 }]);
    secrets.push({ name: "inventory-api-secret", value: b.passwordOf(inventory).keyId, exp: b.unix(160), tags: { "client-id": inventory.appId } });
    expected.push({ code: "secret-holds-secret-id", subject: "inventory-api-secret" });

    const shipping = b.app("shipping-api", [{ from: -10, to: 160 }]);
    secrets.push({ name: "shipping-api-secret", value: `${b.passwordOf(shipping).secretValue}\n`, exp: b.unix(160), tags: { "client-id": shipping.appId } });
    expected.push({ code: "secret-value-whitespace", subject: "shipping-api-secret" });

    const crm = b.app("crm-sync", [{ from: -10, to: 160 }]);
    secrets.push({ name: "crm-sync-secret", value: b.secretValue(), exp: b.unix(100), tags: { "client-id": crm.appId } });
    expected.push({ code: "secret-stale", subject: "crm-sync-secret" });

    const hr = b.app("hr-portal", [{ from: -10, to: 160 }]);
    const billing = b.app("billing-api", [{ from: -10, to: 160 }]);
    secrets.push({ name: "billing-api-secret", value: b.passwordOf(hr).secretValue, exp: b.unix(160), tags: { "client-id": billing.appId } });
    expected.push({ code: "secret-wrong-app", subject: "billing-api-secret" });

    const search = b.app("search-api", [{ from: -10, to: 160 }]);
    secrets.push({ name: "search-api-secret", value: b.passwordOf(search).secretValue, exp: b.unix(100), tags: { "client-id": search.appId } });
    expected.push({ code: "secret-expiry-mismatch", subject: "search-api-secret" });

    const notify = b.app("notify-api", [{ from: -60, to: 120 }, { from: -2, to: 178 }]);
    secrets.push({ name: "notify-api-secret", value: b.passwordOf(notify, 0).secretValue, exp: Math.floor(DateTime.fromISO(b.passwordOf(notify, 0).endDateTime).toSeconds()), tags: { "client-id": notify.appId } });
    expected.push({ code: "secret-behind-rotation", subject: "notify-api-secret" });

    // Tied by --map, not by a tag: healthy.
    const mapped = b.app("fax-gateway", [{ from: -10, to: 160 }]);
    secrets.push({ name: "fax-gateway-pasted", value: b.passwordOf(mapped).secretValue, exp: b.unix(160) });
    // Not tied to any app: never read.
    secrets.push({ name: "database-password", value: `db-${b.secretValue()}` });

    applications.push(expiredApp, expiringApp, longApp, exceptedApp, oldApp, garbledApp, orphan, inventory, shipping, crm, hr, billing, search, notify, mapped);

    // A service principal with a password of its own (a multi-tenant app's SP), healthy.
    const partnerSp = b.app("partner-sp", [{ from: -10, to: 100 }]);
    const tenant: StandInTenant = {
        applications,
        servicePrincipals: [
            ...applications.map((a) => ({ ...a, id: b.guid(), passwordCredentials: [], keyCredentials: [], owners: [] })),
            { ...partnerSp, owners: [] },
        ],
        defaultAppManagementPolicy: emptyPolicy(true, [restriction("P200D", now.minus({ days: 3000 }).toISO()!)]),
        appManagementPolicies: [{
            id: b.guid(), displayName: "Partner integrations: two years", description: "Exception for partner apps", isEnabled: true,
            restrictions: { passwordCredentials: [restriction("P730D")], keyCredentials: [] },
            appliesTo: [exceptedApp.id],
        }],
    };
    const values = secrets.map((s) => s.value);
    return { tenant, secrets, map: [`fax-gateway-pasted=${mapped.appId}`], expected, values };
}

export function cleanTenant(now: DateTime): TenantFixture {
    const b = builder(now, "clean");
    const applications: StandInDirectoryObject[] = [];
    const secrets: VaultSecretFixture[] = [];
    for (let i = 0; i < 8; i++) {
        const { app, secret } = healthyApp(b, `clean-${i}`, i);
        applications.push(app);
        secrets.push(secret);
    }
    for (let i = 0; i < 4; i++) {
        const { app, secret } = keyrelayApp(b, `clean-keyrelay-${i}`, 3 + i);
        applications.push(app);
        secrets.push(secret);
    }
    const tenant: StandInTenant = {
        applications,
        servicePrincipals: applications.map((a) => ({ ...a, id: b.guid(), passwordCredentials: [], keyCredentials: [], owners: [] })),
        defaultAppManagementPolicy: emptyPolicy(false),
        appManagementPolicies: [],
    };
    return { tenant, secrets, map: [], expected: [], values: secrets.map((s) => s.value) };
}
