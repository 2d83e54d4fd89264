// The audit's rules: from what Graph says about every credential and what each vault secret's
// value looks like (as SecretValueFacts, never the value), the findings. Pure: the caller
// passes the clock.
import { DateTime } from "luxon";
import { DAY_MS } from "../../components/schedule";
import { passwordLifetimeLimit } from "./lifetimePolicy";
import {
    AppRef, AuditedCredential, AuditedSecret, DirectoryApp, FINDING_SEVERITIES, Finding, FindingCode,
    GraphPasswordCredential, TenantPolicies,
} from "./model";
import { SecretValueFacts } from "./valueFacts";
import { matchByMetadata } from "./metadataMatch";

/** The display name RotatingPassword gives each credential: "<name> (keyrelay slot a, from 2026-01-01)". */
const KEYRELAY_DISPLAY_NAME = /\(keyrelay slot [a-z], from \d{4}-\d{2}-\d{2}\)$/;
/** Key Vault's expiry and the credential's end may differ by this much (a date typed by hand) before it counts. */
const EXPIRY_TOLERANCE_MS = DAY_MS;
/** How many other apps a wrong-app finding names. */
const MAX_CANDIDATES = 3;

/** A vault secret that belongs to an app, as read: its listing attributes and the facts of its value. */
export interface SecretReading {
    vault: string;
    name: string;
    clientId: string;
    source: "tag" | "map";
    expiresOn: Date | undefined;
    managedByKeyrelay: boolean;
    /** The value's facts, only with --read-values; without them the secret is matched by its tags and expiry. */
    facts?: SecretValueFacts;
    /** Its key-id tag (keyrelay writes the credential's keyId there). */
    keyIdTag?: string;
}

export interface AuditInput {
    apps: readonly DirectoryApp[];
    policies: TenantPolicies;
    secrets: readonly SecretReading[];
    now: DateTime;
    warnDays: number;
    /** False when the policies could not be read: no lifetime finding then. Default true. */
    checkLifetime?: boolean;
}

export interface AuditJudgement {
    credentials: AuditedCredential[];
    secrets: AuditedSecret[];
    findings: Finding[];
}

export function isKeyrelayCredential(displayName: string | null | undefined): boolean {
    return typeof displayName === "string" && KEYRELAY_DISPLAY_NAME.test(displayName);
}

function time(text: string | null | undefined): DateTime | undefined {
    if (!text) return undefined;
    const parsed = DateTime.fromISO(text, { zone: "utc" });
    return parsed.isValid ? parsed : undefined;
}

const day = (t: DateTime | undefined) => (t ? t.toISODate()! : "no date");

function refOf(app: DirectoryApp): AppRef {
    return { displayName: app.displayName, appId: app.appId, kind: app.kind };
}

function label(app: DirectoryApp | AppRef): string {
    return `${app.kind === "servicePrincipal" ? "service principal" : "app"} "${app.displayName}" (${app.appId})`;
}

function credentialLabel(c: { displayName?: string | null; keyId: string }): string {
    return c.displayName ? `"${c.displayName}" (${c.keyId})` : c.keyId;
}

function finding(code: FindingCode, app: AppRef | undefined, clientId: string, message: string, where: { keyId?: string; vault?: string; secret?: string } = {}): Finding {
    return { code, severity: FINDING_SEVERITIES[code], app, clientId, ...where, message };
}

/** A password that authenticates now: started, not ended. */
function isLive(p: GraphPasswordCredential, now: DateTime): boolean {
    const start = time(p.startDateTime);
    const end = time(p.endDateTime);
    return (!start || start <= now) && (!end || end > now);
}

/** The app's password that started last among the live ones: where a rotation leaves the newest value. */
function newestLive(passwords: readonly GraphPasswordCredential[], now: DateTime): GraphPasswordCredential | undefined {
    return passwords.filter((p) => isLive(p, now))
        .sort((a, b) => (time(b.startDateTime)?.toMillis() ?? 0) - (time(a.startDateTime)?.toMillis() ?? 0))[0];
}

/** keyrelay credentials a newer, started keyrelay credential of the same app has replaced in Key Vault. */
function retiringKeyIds(app: DirectoryApp, now: DateTime): Set<string> {
    const keyrelay = app.passwordCredentials.filter((p) => isKeyrelayCredential(p.displayName) && (time(p.startDateTime) ?? now) <= now);
    const newest = newestLive(keyrelay, now);
    return new Set(keyrelay.filter((p) => newest && p.keyId !== newest.keyId && (time(p.startDateTime)?.toMillis() ?? 0) <= (time(newest.startDateTime)?.toMillis() ?? 0)).map((p) => p.keyId));
}

function judgeCredentials(input: AuditInput, heldBy: Map<string, string[]>): { credentials: AuditedCredential[]; findings: Finding[] } {
    const { now, warnDays } = input;
    const credentials: AuditedCredential[] = [];
    const findings: Finding[] = [];
    for (const app of input.apps) {
        const ref = refOf(app);
        const limit = passwordLifetimeLimit(app, input.policies);
        const retiring = retiringKeyIds(app, now);
        if (app.kind === "application" && app.hasOwner === false) {
            findings.push(finding("app-without-owner", ref, app.appId,
                `${label(app)} has no owner: nobody is asked when its credentials expire. Add an owner (Entra admin center > App registrations > Owners).`));
        }
        const rows = [
            ...app.passwordCredentials.map((c) => ({ c, type: "password" as const, hint: c.hint ?? null })),
            ...app.keyCredentials.map((c) => ({ c, type: "key" as const, hint: null })),
        ];
        for (const { c, type, hint } of rows) {
            const start = time(c.startDateTime);
            const end = time(c.endDateTime);
            const managed = type === "password" && isKeyrelayCredential(c.displayName);
            const isRetiring = type === "password" && retiring.has(c.keyId);
            const lifetimeDays = start && end ? (end.toMillis() - start.toMillis()) / DAY_MS : null;
            const what = `${type === "password" ? "client secret" : "certificate"} ${credentialLabel(c)} of ${label(app)}`;
            credentials.push({
                app: { ...ref, objectId: app.id, signInAudience: app.signInAudience ?? null, hasOwner: app.hasOwner ?? null },
                type, keyId: c.keyId, displayName: c.displayName ?? null, hint,
                startDateTime: start?.toISO({ suppressMilliseconds: true }) ?? null,
                endDateTime: end?.toISO({ suppressMilliseconds: true }) ?? null,
                daysLeft: end ? Math.trunc((end.toMillis() - now.toMillis()) / DAY_MS) + 0 : null,
                lifetimeDays: lifetimeDays === null ? null : Math.round(lifetimeDays * 100) / 100,
                lifetimeLimitDays: type === "password" ? limit.days : null,
                lifetimeLimitSource: type === "password" ? limit.source : null,
                managedByKeyrelay: managed,
                retiring: isRetiring,
                heldBy: heldBy.get(c.keyId) ?? [],
            });
            if (c.problems && c.problems.length > 0) {
                findings.push(finding("credential-data-invalid", ref, app.appId,
                    `Graph's data for the ${what} cannot be trusted: ${c.problems.join("; ")}. Its expiry is not checked. Look at it in the Entra admin center, and replace it if it is still in use.`,
                    { keyId: c.keyId }));
            }
            if (end && end <= now) {
                findings.push(finding("credential-expired", ref, app.appId,
                    `The ${what} expired ${day(end)}: anything still using it fails with AADSTS7000222. `
                    + (managed ? "keyrelay's scheduled run has stopped: run pulumi up for the stack now." : "Issue a new one, store it where its consumers read it, then remove this one."),
                    { keyId: c.keyId }));
            } else if (end && end.toMillis() - now.toMillis() <= warnDays * DAY_MS && !isRetiring) {
                findings.push(finding("credential-expiring", ref, app.appId,
                    `The ${what} expires ${day(end)} (${Math.ceil((end.toMillis() - now.toMillis()) / DAY_MS)} days, within ${warnDays}). `
                    + (managed ? "keyrelay should have rotated it by now: run pulumi up for the stack." : "Plan the rotation now: issue a new one and update every consumer before that day."),
                    { keyId: c.keyId }));
            }
            if (input.checkLifetime !== false && type === "password" && lifetimeDays !== null && lifetimeDays > limit.days + 1 / 1440) {
                findings.push(finding("credential-lifetime-over-policy", ref, app.appId,
                    `The ${what} is valid for ${Math.round(lifetimeDays)} days (${day(start)} to ${day(end)}), over the ${Math.round(limit.days)}-day limit (${limit.source}). `
                    + "Replace it with a shorter-lived one, or let keyrelay rotate it.",
                    { keyId: c.keyId }));
            }
        }
    }
    return { credentials, findings };
}

/** How a message refers to a value's start: its hint, or nothing of a short value (valueFacts.ts). */
function startsLike(facts: SecretValueFacts): string {
    return facts.shownHint ? `starts "${facts.shownHint}"` : "starts like it";
}

interface SecretJudgement {
    secret: AuditedSecret;
    findings: Finding[];
}

function judgeSecret(reading: SecretReading, appsByClientId: Map<string, DirectoryApp[]>, passwordsByHint: Map<string, { app: DirectoryApp; password: GraphPasswordCredential }[]>, ownerOfKeyId: Map<string, DirectoryApp>, now: DateTime): SecretJudgement {
    const { facts } = reading;
    const apps = appsByClientId.get(reading.clientId.toLowerCase()) ?? [];
    const app = apps.find((a) => a.kind === "application") ?? apps[0];
    const ref = app ? refOf(app) : undefined;
    const where = { vault: reading.vault, secret: reading.name };
    const findings: Finding[] = [];
    const secretLabel = `Key Vault secret "${reading.name}" in ${reading.vault}`;
    const secret: AuditedSecret = {
        vault: reading.vault, name: reading.name, clientId: reading.clientId, source: reading.source, app: ref,
        hint: facts?.shownHint ?? null, matchedBy: null, endDateTime: reading.expiresOn ? DateTime.fromJSDate(reading.expiresOn, { zone: "utc" }).toISO({ suppressMilliseconds: true }) : null,
        keyId: null, managedByKeyrelay: reading.managedByKeyrelay, findings: [],
    };
    const add = (code: FindingCode, message: string, keyId?: string) => {
        findings.push(finding(code, ref, reading.clientId, message, { ...(keyId ? { keyId } : {}), ...where }));
    };
    const done = () => {
        secret.findings = findings.map((f) => f.code);
        return { secret, findings };
    };

    if (!app) {
        add("secret-stale", `${secretLabel} is for client id ${reading.clientId} (its ${reading.source === "tag" ? "client-id tag" : "--map entry"}), which no app or service principal in this tenant has: the app was deleted, or the id is wrong. Fix the ${reading.source === "tag" ? "tag" : "mapping"}, or delete the secret.`);
        return done();
    }
    const passwords = apps.flatMap((a) => a.passwordCredentials);
    let matched: GraphPasswordCredential;
    if (!facts) {
        const outcome = matchByMetadata(reading, apps, ownerOfKeyId, now);
        if (outcome.kind === "unmatched") return done();
        if (outcome.kind === "finding") {
            add(outcome.code, outcome.describe(secretLabel, label(app)), outcome.keyId);
            return done();
        }
        matched = outcome.password;
        secret.matchedBy = outcome.by;
    } else {
        if (facts.problems.length > 0) {
            add("secret-value-whitespace", `The value of ${secretLabel} ${facts.problems.join(", ")}: Entra compares secrets byte for byte, so sign-in fails with AADSTS7000215. Store the value again without them.`);
        }
        if (facts.guidShaped) {
            const same = facts.equalsKeyId ? [...app.passwordCredentials, ...app.keyCredentials].find((c) => c.keyId === facts.equalsKeyId) : undefined;
            add("secret-holds-secret-id", `${secretLabel} holds a GUID, the Secret ID of a client secret, not its Value`
                + (same ? `: it is the Secret ID of ${label(app)}'s credential ${same.displayName ? `"${same.displayName}"` : ""} that ends ${day(time(same.endDateTime))}` : "")
                + `. Sign-in fails with AADSTS7000215. Create a new client secret for ${label(app)} and store its Value (shown once, at creation).`);
            return done();
        }

        const live = passwords.filter((p) => isLive(p, now));
        const matching = live.filter((p) => p.hint === facts.hint)
            .sort((a, b) => (time(b.startDateTime)?.toMillis() ?? 0) - (time(a.startDateTime)?.toMillis() ?? 0));
        if (!matching[0]) {
            // A password without a hint could be the one: no verdict then.
            if (live.some((p) => !p.hint)) return done();
            const others = (passwordsByHint.get(facts.hint) ?? []).filter((o) => o.app.appId.toLowerCase() !== app.appId.toLowerCase() && isLive(o.password, now));
            if (others.length > 0) {
                const names = [...new Map(others.map((o) => [o.app.appId, o.app])).values()].slice(0, MAX_CANDIDATES).map(label);
                add("secret-wrong-app", `${secretLabel} is tagged for ${label(app)}, but no live client secret of that app ${startsLike(facts)}; one of ${names.join(", ")} does. `
                    + `The value probably belongs to another app (or is stale). Store a client secret of ${label(app)} instead, or fix the ${reading.source === "tag" ? "client-id tag" : "--map entry"}.`);
                return done();
            }
            const expired = passwords.filter((p) => p.hint === facts.hint && !isLive(p, now));
            add("secret-stale", `No live client secret of ${label(app)} ${startsLike(facts)}, the value in ${secretLabel}: `
                + (expired.length > 0 ? `it is the expired ${credentialLabel(expired[0])} (ended ${day(time(expired[0].endDateTime))})` : "its credential was removed or has expired")
                + `, so sign-in fails. Store the app's current client secret${reading.managedByKeyrelay ? " (run pulumi up for the keyrelay stack)" : ""}.`,
            expired[0]?.keyId);
            return done();
        }
        matched = matching[0];
        secret.matchedBy = "hint";
    }
    secret.keyId = matched.keyId;
    const end = time(matched.endDateTime);
    const vaultExpiry = reading.expiresOn ? DateTime.fromJSDate(reading.expiresOn, { zone: "utc" }) : undefined;
    if (end && (!vaultExpiry || Math.abs(vaultExpiry.toMillis() - end.toMillis()) > EXPIRY_TOLERANCE_MS)) {
        add("secret-expiry-mismatch", `${secretLabel} ${vaultExpiry ? `expires ${day(vaultExpiry)}` : "has no expiry"}, but the client secret it holds, ${credentialLabel(matched)}, ends ${day(end)}. `
            + `Set the secret's expiry to ${end.toISO({ suppressMilliseconds: true })} so expiry alerts and keyrelay status tell the truth.`, matched.keyId);
    }
    const newest = newestLive(passwords, now);
    if (newest && newest.keyId !== matched.keyId) {
        add("secret-behind-rotation", `${secretLabel} holds ${credentialLabel(matched)} (from ${day(time(matched.startDateTime))}), but ${label(app)} has a newer client secret, ${credentialLabel(newest)} (from ${day(time(newest.startDateTime))}): `
            + `a rotation did not reach Key Vault. Store the newest value before ${day(end)}${reading.managedByKeyrelay ? " (run pulumi up for the keyrelay stack)" : ""}.`, matched.keyId);
    }
    return done();
}

export function judgeAudit(input: AuditInput): AuditJudgement {
    const appsByClientId = new Map<string, DirectoryApp[]>();
    const passwordsByHint = new Map<string, { app: DirectoryApp; password: GraphPasswordCredential }[]>();
    for (const app of input.apps) {
        const key = app.appId.toLowerCase();
        appsByClientId.set(key, [...(appsByClientId.get(key) ?? []), app]);
        for (const password of app.passwordCredentials) {
            if (!password.hint) continue;
            const list = passwordsByHint.get(password.hint) ?? [];
            list.push({ app, password });
            passwordsByHint.set(password.hint, list);
        }
    }
    const ownerOfKeyId = new Map(input.apps.flatMap((app) => app.passwordCredentials.map((p) => [p.keyId.toLowerCase(), app] as const)));
    const secretJudgements = input.secrets.map((s) => judgeSecret(s, appsByClientId, passwordsByHint, ownerOfKeyId, input.now));
    const heldBy = new Map<string, string[]>();
    for (const { secret } of secretJudgements) {
        if (secret.keyId) heldBy.set(secret.keyId, [...(heldBy.get(secret.keyId) ?? []), `${secret.vault}/${secret.name}`]);
    }
    const credentialPart = judgeCredentials(input, heldBy);
    const findings = [...credentialPart.findings, ...secretJudgements.flatMap((j) => j.findings)]
        .sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "critical" ? -1 : 1) || a.code.localeCompare(b.code)
            || (a.app?.displayName ?? "").localeCompare(b.app?.displayName ?? "") || (a.secret ?? a.keyId ?? "").localeCompare(b.secret ?? b.keyId ?? ""));
    return { credentials: credentialPart.credentials, secrets: secretJudgements.map((j) => j.secret), findings };
}
