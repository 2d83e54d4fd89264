// Reads the reference stack's app list from stack config; pure, so a typo fails with a clear message.
import type { RotatedAppRegistrationArgs } from "./components";

export interface ReferenceApp {
    name: string;
    displayName: string;
    rotation: { every?: string; validFor?: string };
    vault: RotatedAppRegistrationArgs["vault"];
    readers?: string[];
}

function fail(index: number, field: string, problem: string, fix: string): never {
    throw new Error(`keyrelay: stack config keyrelay:apps[${index}]: ${field} ${problem}. ${fix}`);
}

function optionalString(entry: Record<string, unknown>, index: number, field: string): string | undefined {
    const value = entry[field];
    if (value !== undefined && typeof value !== "string") fail(index, field, `is ${JSON.stringify(value)}, not a string`, `Write it as text, for example ${field}: "P90D".`);
    return value as string | undefined;
}

export function referenceApps(raw: unknown, defaultVaultUrl: string | undefined): ReferenceApp[] {
    if (!Array.isArray(raw) || raw.length === 0) {
        throw new Error("keyrelay: stack config keyrelay:apps must be a non-empty list of apps, each with at least a name. See Pulumi.example.yaml.");
    }
    return raw.map((item, index) => {
        if (typeof item !== "object" || item === null) fail(index, "entry", "is not an object", "Write each app as a map with at least name:.");
        const entry = item as Record<string, unknown>;
        const name = optionalString(entry, index, "name");
        if (!name) fail(index, "name", "is missing", "Give every app a name (it names its Pulumi resources).");
        const vaultUrl = optionalString(entry, index, "vaultUrl") ?? defaultVaultUrl;
        if (!vaultUrl) fail(index, "vaultUrl", "is missing and keyrelay:vaultUrl is not set", "Set keyrelay:vaultUrl for the stack, or vaultUrl on this app.");
        const readers = entry.readers;
        if (readers !== undefined && (!Array.isArray(readers) || readers.some((r) => typeof r !== "string"))) {
            fail(index, "readers", "is not a list of principal object ids", "Write readers as a list of object ids.");
        }
        return {
            name,
            displayName: optionalString(entry, index, "displayName") ?? name,
            rotation: { every: optionalString(entry, index, "every"), validFor: optionalString(entry, index, "validFor") },
            vault: {
                url: vaultUrl,
                secretName: optionalString(entry, index, "secretName") ?? `${name}-client-secret`,
                resourceId: optionalString(entry, index, "vaultResourceId"),
            },
            readers: readers as string[] | undefined,
        };
    });
}
