// Graph's answers checked for shape before audit uses them: a page whose `value` is not a list is
// an error naming the request; an item that is not an object, or has no id, is skipped with a note
// naming its place; a display name that is null, missing or a number still prints; a credential
// whose dates do not parse, or whose keyId another credential also has, is marked so the rules
// report it (credential-data-invalid) instead of treating it as "no end". Pure.
import { DateTime } from "luxon";
import { environmentError } from "../errors";
import { printable } from "../../lib/terminalText";
import { DirectoryApp, GraphKeyCredential, GraphPasswordCredential, OwnerKind } from "./model";

export const NO_DISPLAY_NAME = "(no display name)";

/** The items of one list page; throws when `value` is not a list (the page is not a Graph collection). */
export function pageItems(page: unknown, request: string, host: string): unknown[] {
    const value = page !== null && typeof page === "object" ? (page as { value?: unknown }).value : undefined;
    if (!Array.isArray(value)) {
        throw environmentError(`keyrelay audit: ${host} answered ${request} with a page whose "value" is ${value === undefined ? "missing" : value === null ? "null" : `a ${typeof value}`}, not a list. Check --graph-url.`);
    }
    return value;
}

const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === "object" && !Array.isArray(x);

function displayNameOf(raw: unknown): string {
    if (typeof raw === "string") return raw;
    if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
    return NO_DISPLAY_NAME;
}

/** Why a credential's date field cannot be read, or undefined when it is absent or a valid ISO date. */
function dateProblem(field: string, raw: unknown): string | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== "string") return `${field} is ${printable(JSON.stringify(raw))}, not a date-time string`;
    if (!DateTime.fromISO(raw, { zone: "utc" }).isValid) return `${field} "${printable(raw)}" is not a date-time`;
    return undefined;
}

function credentialsOf<T extends GraphPasswordCredential | GraphKeyCredential>(raw: unknown, kind: "passwordCredentials" | "keyCredentials", where: string, notes: string[]): T[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
        notes.push(`${where}: ${kind} is not a list; its ${kind} are not checked.`);
        return [];
    }
    const credentials: T[] = [];
    raw.forEach((c, i) => {
        if (!isObject(c) || typeof c.keyId !== "string" || c.keyId === "") {
            notes.push(`${where}: ${kind} item ${i + 1} is ${isObject(c) ? "without a keyId" : "not an object"}; skipped.`);
            return;
        }
        const problems = [dateProblem("startDateTime", c.startDateTime), dateProblem("endDateTime", c.endDateTime)].filter((p): p is string => p !== undefined);
        credentials.push({
            ...c,
            keyId: c.keyId,
            displayName: typeof c.displayName === "string" ? c.displayName : c.displayName === null || c.displayName === undefined ? null : String(c.displayName),
            ...(typeof c.startDateTime === "string" ? {} : { startDateTime: null }),
            ...(typeof c.endDateTime === "string" ? {} : { endDateTime: null }),
            ...(problems.length > 0 ? { problems } : {}),
        } as unknown as T);
    });
    return credentials;
}

/** One application or service principal from a list page, or undefined (with a note) when it cannot be one. */
export function directoryAppOf(raw: unknown, kind: OwnerKind, position: number, notes: string[]): Omit<DirectoryApp, "hasOwner"> | undefined {
    const collection = kind === "application" ? "applications" : "servicePrincipals";
    if (!isObject(raw) || typeof raw.id !== "string" || typeof raw.appId !== "string") {
        notes.push(`Graph's ${collection} item ${position} is ${isObject(raw) ? "without an id or appId" : raw === null ? "null" : "not an object"}; skipped.`);
        return undefined;
    }
    const displayName = displayNameOf(raw.displayName);
    const where = `${kind === "application" ? "app" : "service principal"} "${printable(displayName)}" (${printable(raw.appId)})`;
    return {
        kind, id: raw.id, appId: raw.appId, displayName,
        signInAudience: typeof raw.signInAudience === "string" ? raw.signInAudience : null,
        createdDateTime: typeof raw.createdDateTime === "string" ? raw.createdDateTime : null,
        passwordCredentials: credentialsOf<GraphPasswordCredential>(raw.passwordCredentials, "passwordCredentials", where, notes),
        keyCredentials: credentialsOf<GraphKeyCredential>(raw.keyCredentials, "keyCredentials", where, notes),
    };
}

/**
 * Marks every credential whose keyId another object's credential also has. An app registration and
 * its own service principal may legitimately list the same key (same appId); two apps may not.
 */
export function markDuplicateKeyIds(apps: readonly DirectoryApp[]): void {
    const holders = new Map<string, DirectoryApp[]>();
    for (const app of apps) {
        for (const c of [...app.passwordCredentials, ...app.keyCredentials]) {
            const key = c.keyId.toLowerCase();
            holders.set(key, [...(holders.get(key) ?? []), app]);
        }
    }
    for (const app of apps) {
        for (const c of [...app.passwordCredentials, ...app.keyCredentials]) {
            const others = (holders.get(c.keyId.toLowerCase()) ?? []).filter((o) => o !== app && o.appId.toLowerCase() !== app.appId.toLowerCase());
            if (others.length > 0) {
                c.problems = [...(c.problems ?? []), `its keyId is also on ${others[0].kind === "servicePrincipal" ? "service principal" : "app"} "${printable(others[0].displayName)}" (${printable(others[0].appId)})`];
            }
        }
    }
}
