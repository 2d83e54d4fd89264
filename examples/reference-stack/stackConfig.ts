// Reads the reference stack's app list from stack config; pure, so a typo fails with a clear message.
import type { RotatedAppRegistrationArgs } from "../../components";
import type { RotationSettings } from "../../components/schedule";
import { InputError } from "../../lib/errors";

export interface ReferenceApp {
    name: string;
    displayName: string;
    rotation: RotationSettings;
    /** Read from stack config, so plain strings. */
    vault: RotatedAppRegistrationArgs["vault"] & { url: string; secretName: string };
    readers?: string[];
    owners?: string[];
}

function fail(index: number, field: string, problem: string, fix: string): never {
    throw new InputError(`stack config keyrelay:apps[${index}]`, field, problem, fix);
}

function optionalString(entry: Record<string, unknown>, index: number, field: string): string | undefined {
    const value = entry[field.slice(field.lastIndexOf(".") + 1)];
    if (value !== undefined && typeof value !== "string") fail(index, field, `is ${JSON.stringify(value)}, not a string`, `Write it as text, for example ${field}: "P90D".`);
    return value as string | undefined;
}

function stringList(entry: Record<string, unknown>, index: number, field: string): string[] | undefined {
    const value = entry[field];
    if (value !== undefined && (!Array.isArray(value) || value.some((r) => typeof r !== "string"))) {
        fail(index, field, "is not a list of principal object ids", `Write ${field} as a list of object ids.`);
    }
    return value as string[] | undefined;
}

/** The stack's `keyrelay:maxLifetime`: the tenant's password lifetime limit, if it has one. */
export function referenceMaxLifetime(raw: unknown): string | undefined {
    if (raw !== undefined && (typeof raw !== "string" || raw.trim() === "")) {
        throw new InputError("stack config", "keyrelay:maxLifetime", `is ${JSON.stringify(raw)}, not an ISO-8601 duration`, "Write the tenant's passwordLifetime limit, for example P180D.");
    }
    return raw;
}

export function referenceApps(raw: unknown, defaultVaultUrl: string | undefined): ReferenceApp[] {
    if (!Array.isArray(raw) || raw.length === 0) {
        throw new InputError("stack config", "keyrelay:apps", "must be a non-empty list of apps, each with at least a name", "See Pulumi.example.yaml.");
    }
    return raw.map((item, index) => {
        if (typeof item !== "object" || item === null) fail(index, "entry", "is not an object", "Write each app as a map with at least name:.");
        const entry = item as Record<string, unknown>;
        const name = optionalString(entry, index, "name");
        if (!name) fail(index, "name", "is missing", "Give every app a name (it names its Pulumi resources).");
        const vaultUrl = optionalString(entry, index, "vaultUrl") ?? defaultVaultUrl;
        if (!vaultUrl) fail(index, "vaultUrl", "is missing and keyrelay:vaultUrl is not set", "Set keyrelay:vaultUrl for the stack, or vaultUrl on this app.");
        const readers = stringList(entry, index, "readers");
        const owners = stringList(entry, index, "owners");
        const previous = entry.previous;
        if (previous !== undefined && (typeof previous !== "object" || previous === null || Array.isArray(previous))) {
            fail(index, "previous", "is not a map", "Write the schedule that ran before as previous: { every: P90D }, with since: on the app.");
        }
        const previousEntry = previous as Record<string, unknown> | undefined;
        return {
            name,
            displayName: optionalString(entry, index, "displayName") ?? name,
            rotation: {
                every: optionalString(entry, index, "every"),
                validFor: optionalString(entry, index, "validFor"),
                since: optionalString(entry, index, "since"),
                previous: previousEntry && {
                    every: optionalString(previousEntry, index, "previous.every"),
                    validFor: optionalString(previousEntry, index, "previous.validFor"),
                    since: optionalString(previousEntry, index, "previous.since"),
                },
            },
            vault: {
                url: vaultUrl,
                secretName: optionalString(entry, index, "secretName") ?? `${name}-client-secret`,
                resourceId: optionalString(entry, index, "vaultResourceId"),
            },
            readers,
            owners,
        };
    });
}
