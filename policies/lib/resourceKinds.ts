// The resource types the pack knows, and where each keeps its dates and its secret value.
import { DateTime } from "luxon";
import { PROVIDER_TYPE_TOKENS, TYPE_TOKENS } from "./contract";
import { PathRead, readPath } from "./unknownValues";

export const TYPE = {
    applicationPassword: PROVIDER_TYPE_TOKENS.applicationPassword,
    servicePrincipalPassword: PROVIDER_TYPE_TOKENS.servicePrincipalPassword,
    applicationCertificate: PROVIDER_TYPE_TOKENS.applicationCertificate,
    servicePrincipalCertificate: PROVIDER_TYPE_TOKENS.servicePrincipalCertificate,
    keyrelayVaultSecret: TYPE_TOKENS.vaultSecret,
    keyrelayRotatingPassword: TYPE_TOKENS.rotatingPassword,
    azureNativeSecret: PROVIDER_TYPE_TOKENS.azureNativeSecret,
    azureClassicSecret: PROVIDER_TYPE_TOKENS.azureClassicSecret,
} as const;

/** azure-native also publishes each API version as its own type, e.g. azure-native:keyvault/v20230701:Secret. */
const AZURE_NATIVE_SECRET_PATTERN = /^azure-native:keyvault(\/v[0-9a-z]+)?:Secret$/;

export const PASSWORD_TYPES: ReadonlySet<string> = new Set([TYPE.applicationPassword, TYPE.servicePrincipalPassword]);
export const CREDENTIAL_TYPES: ReadonlySet<string> = new Set([
    TYPE.applicationPassword, TYPE.servicePrincipalPassword, TYPE.applicationCertificate, TYPE.servicePrincipalCertificate,
]);

export function isPassword(type: string): boolean {
    return PASSWORD_TYPES.has(type);
}

export function isCredential(type: string): boolean {
    return CREDENTIAL_TYPES.has(type);
}

export function isVaultSecret(type: string): boolean {
    return type === TYPE.keyrelayVaultSecret || type === TYPE.azureClassicSecret || AZURE_NATIVE_SECRET_PATTERN.test(type);
}

/** `ApplicationPassword "billing-api-password-a"`: what a message calls a resource. */
export function describeResource(type: string, name: string): string {
    const kind = type === TYPE.keyrelayVaultSecret ? "keyrelay VaultSecret"
        : AZURE_NATIVE_SECRET_PATTERN.test(type) ? "Key Vault Secret"
        : type === TYPE.azureClassicSecret ? "Key Vault Secret"
        : type.startsWith("pulumi:providers:") ? `${type.slice("pulumi:providers:".length)} provider`
        : type.slice(type.lastIndexOf(":") + 1) || type;
    return `${kind} "${name.length > MAX_QUOTED_NAME_LENGTH ? `${name.slice(0, MAX_QUOTED_NAME_LENGTH)}…` : name}"`;
}

/** Longest resource name a message quotes. */
export const MAX_QUOTED_NAME_LENGTH = 120;

type DateEncoding = "rfc3339" | "unixSeconds";

interface DateField {
    readonly path: readonly string[];
    readonly encoding: DateEncoding;
}

interface ValidityFields {
    readonly end: DateField;
    readonly start: DateField;
}

const rfc3339 = (...path: string[]): DateField => ({ path, encoding: "rfc3339" });
const unixSeconds = (...path: string[]): DateField => ({ path, encoding: "unixSeconds" });
const AZUREAD_VALIDITY: ValidityFields = { end: rfc3339("endDate"), start: rfc3339("startDate") };

function validityFields(type: string): ValidityFields | undefined {
    if (isCredential(type)) return AZUREAD_VALIDITY;
    if (type === TYPE.keyrelayVaultSecret) return { end: rfc3339("expiresOn"), start: rfc3339("notBefore") };
    if (type === TYPE.azureClassicSecret) return { end: rfc3339("expirationDate"), start: rfc3339("notBeforeDate") };
    if (AZURE_NATIVE_SECRET_PATTERN.test(type)) {
        return { end: unixSeconds("properties", "attributes", "expires"), start: unixSeconds("properties", "attributes", "notBefore") };
    }
    return undefined;
}

export type DateRead =
    | { state: "missing"; field: string }
    | { state: "unknown"; field: string }
    | { state: "invalid"; field: string; text: string; reason: string }
    | { state: "known"; field: string; at: DateTime };

function readDate(props: Record<string, unknown>, field: DateField): DateRead {
    const name = field.path.join(".");
    const read: PathRead = readPath(props, field.path);
    if (read.state !== "known") return { state: read.state, field: name };
    const raw = read.value;
    if (field.encoding === "unixSeconds") {
        const seconds = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
        if (typeof seconds !== "number" || !Number.isFinite(seconds)) {
            return { state: "invalid", field: name, text: String(raw), reason: "not a number of seconds since 1970-01-01T00:00:00Z" };
        }
        return { state: "known", field: name, at: DateTime.fromSeconds(seconds, { zone: "utc" }) };
    }
    if (typeof raw !== "string") return { state: "invalid", field: name, text: String(raw), reason: "not an RFC 3339 date string" };
    const at = DateTime.fromISO(raw, { zone: "utc" });
    if (!at.isValid) return { state: "invalid", field: name, text: raw, reason: at.invalidExplanation ?? at.invalidReason ?? "not an RFC 3339 date" };
    return { state: "known", field: name, at };
}

export interface Validity {
    /** "credential" for Entra passwords and certificates, "secret" for Key Vault secrets. */
    readonly kind: "credential" | "secret";
    readonly end: DateRead;
    readonly start: DateRead;
}

/** Where a credential or Key Vault secret says it starts and ends; undefined for other types. */
export function validityOf(type: string, props: Record<string, unknown>): Validity | undefined {
    const fields = validityFields(type);
    if (!fields) return undefined;
    return { kind: isCredential(type) ? "credential" : "secret", end: readDate(props, fields.end), start: readDate(props, fields.start) };
}

export interface SecretValueSlot {
    /** Where the value sits, e.g. `properties.value`. */
    readonly path: readonly string[];
    /** The top-level input whose property dependencies say where the value came from. */
    readonly dependencyKey: string;
    readonly contentTypePath: readonly string[];
}

/** Where a Key Vault secret resource keeps its value; undefined for other types. */
export function secretValueSlot(type: string): SecretValueSlot | undefined {
    if (type === TYPE.keyrelayVaultSecret || type === TYPE.azureClassicSecret) {
        return { path: ["value"], dependencyKey: "value", contentTypePath: ["contentType"] };
    }
    if (AZURE_NATIVE_SECRET_PATTERN.test(type)) {
        return { path: ["properties", "value"], dependencyKey: "properties", contentTypePath: ["properties", "contentType"] };
    }
    return undefined;
}
