// The dynamic provider behind VaultSecret: writes through @azure/keyvault-secrets.
// Pulumi serializes this provider into the resource's `__provider` input and the engine's
// dynamic provider host evaluates that text in another process: so everything it uses is
// either serialized with it (functions of this project) or a package it requires by name,
// and the clients, credential and pacing state are built there, when a method first runs.
import type * as pulumi from "@pulumi/pulumi";
import * as dns from "dns";
import type { KeyVaultSecret } from "@azure/keyvault-secrets";
import { DateTime } from "luxon";
import {
    DEFAULT_CONTENT_TYPE, VaultSecretFields, WRITER_TAG, canonicalVaultUrl, sameWriter, vaultSecretChange, withManagedTag,
} from "./vaultSecretDiff";
import { InputProblem, UNKNOWN_INPUT, parseRfc3339, vaultSecretInputProblems } from "../validate";
import { scheduleProblem, secondWriterProblem } from "./vaultSecretCheck";
import { InputError, isCredentialProofError, isVaultError } from "../../lib/errors";
import { isUnresolvedError, UNRESOLVED_HOST_CODES } from "../../lib/network";
import { VaultCall, VaultSecretProviderOptions, vaultCall } from "./vaultClient";
import { proofInputProblems, proveBeforeWrite } from "./proveBeforeWrite";
import {
    VaultRequestTarget, innerCodeOf, softDeletedError, statusOf, unresolvedAuthorityError, vaultRequestError, writerConflictError,
} from "./vaultErrors";

export { MANAGED_BY_TAG, MANAGED_BY_VALUE, WRITER_TAG } from "./vaultSecretDiff";

export interface VaultSecretOutputs extends VaultSecretFields {
    /** Versioned id of the version this resource last wrote (or found newest on refresh). */
    versionId: string;
    version: string;
    /** Versionless URI: consumers read the newest version through it. */
    secretUri: string;
}

export { SECRETS_OFFICER_ROLE } from "./vaultErrors";
export { SecretClientFactory, VaultSecretProviderOptions, defaultSecretClientFactory, secretClientOptions } from "./vaultClient";

/** RFC 3339 to Date, or a clear error naming the secret and the field. */
function instantOf(name: string, field: "expiresOn" | "notBefore", text: string): Date {
    const parsed = parseRfc3339(text);
    if (!parsed) {
        throw new InputError(`VaultSecret "${name}"`, field, `is ${JSON.stringify(text)}, not an RFC 3339 time (a full date, time and offset are needed)`,
            `Pass a time such as "2027-03-01T00:00:00Z" (the credential's endDate).`);
    }
    return parsed.toJSDate();
}

async function setVersion(call: VaultCall, inputs: VaultSecretFields): Promise<KeyVaultSecret> {
    const expiresOn = instantOf(inputs.name, "expiresOn", inputs.expiresOn);
    const notBefore = inputs.notBefore ? instantOf(inputs.name, "notBefore", inputs.notBefore) : undefined;
    return call.retry("set", inputs.name, () => call.client.setSecret(inputs.name, inputs.value, {
        expiresOn,
        ...(notBefore ? { notBefore } : {}),
        contentType: inputs.contentType || DEFAULT_CONTENT_TYPE,
        tags: withManagedTag(inputs.tags, inputs.writer),
        enabled: true,
        requestOptions: { timeout: call.settings.requestTimeoutMs },
    }));
}

/** The newest version's properties (the value is read but never kept), or undefined when there is none or it cannot be read. */
async function newestVersion(call: VaultCall, name: string): Promise<{ version?: string; writer?: string; readable: boolean } | undefined> {
    try {
        const latest = await call.retryOther("get", name, () => call.client.getSecret(name, { requestOptions: { timeout: call.settings.requestTimeoutMs } }));
        return { version: latest.properties.version, writer: latest.properties.tags?.[WRITER_TAG], readable: true };
    } catch (error) {
        if (statusOf(error) === 404) return undefined;
        // A disabled newest version cannot be read, so its writer is unknown.
        if (statusOf(error) === 403 && innerCodeOf(error) === "SecretDisabled") return { readable: false };
        throw vaultRequestError({ action: "get", vaultUrl: call.vaultUrl, secret: name }, error);
    }
}

function sameVersion(a: string | undefined, b: string | undefined): boolean {
    return Boolean(a) && Boolean(b) && a!.toLowerCase() === b!.toLowerCase();
}

/**
 * Refuses to write over a newest version that another stack or another resource of this stack wrote
 * (its writer tag names them), unless this resource wrote that version itself (its state names it:
 * an update, also after a rename through aliases) or the user adopts the secret.
 */
async function checkWriter(call: VaultCall, inputs: VaultSecretFields, ownVersion: string | undefined): Promise<void> {
    if (inputs.adopt === true || !inputs.writer) return;
    const newest = await newestVersion(call, inputs.name);
    if (!newest?.writer || sameWriter(newest.writer, inputs.writer) || sameVersion(newest.version, ownVersion)) return;
    throw writerConflictError({ action: "set", vaultUrl: inputs.vaultUrl, secret: inputs.name }, newest.version, newest.writer, inputs.writer, WRITER_TAG);
}

/** Writes a new version; a soft-deleted name is recovered first (its old versions come back), then written. */
export async function writeVaultSecret(call: VaultCall, inputs: VaultSecretFields, ownVersion?: string): Promise<KeyVaultSecret> {
    await checkWriter(call, inputs, ownVersion);
    const target = { action: "set" as const, vaultUrl: inputs.vaultUrl, secret: inputs.name };
    try {
        return await setVersion(call, inputs);
    } catch (error) {
        if (statusOf(error) !== 409 || innerCodeOf(error) !== "ObjectIsDeletedButRecoverable") {
            throw vaultRequestError(target, error, inputs.value);
        }
    }
    try {
        const poller = await call.retryOther("recover", inputs.name, () => call.client.beginRecoverDeletedSecret(inputs.name, {
            intervalInMs: call.settings.pollIntervalMs, requestOptions: { timeout: call.settings.requestTimeoutMs },
        }));
        await poller.pollUntilDone();
    } catch (error) {
        throw softDeletedError(target, error, inputs.value);
    }
    // The recovered versions are back: the newest may be another writer's, checked as for any write.
    await checkWriter(call, inputs, ownVersion);
    try {
        return await setVersion(call, inputs);
    } catch (error) {
        throw vaultRequestError(target, error, inputs.value);
    }
}

function secretUriOf(inputs: Pick<VaultSecretFields, "vaultUrl" | "name">): string {
    return `${canonicalVaultUrl(inputs.vaultUrl)}/secrets/${inputs.name}`;
}

function outputsOf(inputs: VaultSecretFields, written: KeyVaultSecret): VaultSecretOutputs {
    return {
        ...inputs,
        contentType: inputs.contentType || DEFAULT_CONTENT_TYPE,
        tags: withManagedTag(inputs.tags, inputs.writer),
        versionId: written.properties.id ?? "",
        version: written.properties.version ?? "",
        secretUri: secretUriOf(inputs),
    };
}

/** Only the fields VaultSecret owns: the engine's inputs also carry `__provider`. */
function fieldsOf(props: VaultSecretFields): VaultSecretFields {
    const { vaultUrl, name, value, expiresOn, notBefore, contentType, tags, retainOnDelete, writer, adopt, proof, schedule } = props;
    return {
        vaultUrl: canonicalVaultUrl(vaultUrl), name, value, expiresOn,
        ...(notBefore ? { notBefore } : {}),
        ...(contentType ? { contentType } : {}),
        ...(tags ? { tags } : {}),
        ...(retainOnDelete !== undefined && retainOnDelete !== null ? { retainOnDelete } : {}),
        ...(writer ? { writer } : {}),
        ...(adopt !== undefined && adopt !== null ? { adopt } : {}),
        ...(proof !== undefined && proof !== null ? { proof } : {}),
        ...(schedule ? { schedule } : {}),
    };
}

/** The authority host the default credential asks for tokens (what EnvironmentCredential reads). */
function authorityHostname(): string {
    try {
        return new URL(process.env.AZURE_AUTHORITY_HOST || "https://login.microsoftonline.com").hostname;
    } catch {
        return "login.microsoftonline.com";
    }
}

/**
 * A token request that failed to reach its endpoint is reported by @azure/identity as
 * "EnvironmentCredential authentication failed ... endpoints_resolution_error" (no code to read),
 * so its text is the only sign; when the reason is an authority host that does not resolve, say that instead.
 */
async function explainUnresolvedAuthority(error: unknown, target: VaultRequestTarget): Promise<unknown> {
    // A failed proof names its own endpoint (the vault's cloud, not necessarily AZURE_AUTHORITY_HOST).
    if (isCredentialProofError(error)) return error;
    const message = (error as Error)?.message ?? "";
    if (!/endpoints_resolution_error|getaddrinfo/.test(message) && !UNRESOLVED_HOST_CODES.some((code) => message.includes(code))) return error;
    const host = authorityHostname();
    try {
        await dns.promises.lookup(host);
        return error;
    } catch (lookupError) {
        if (!isUnresolvedError(lookupError)) return error;
        const failed = isVaultError(error) ? { action: error.action, vaultUrl: error.vaultUrl, secret: error.secret } : target;
        return unresolvedAuthorityError(failed, host, (lookupError as { code: string }).code);
    }
}

async function explained<T>(target: VaultRequestTarget, work: () => Promise<T>): Promise<T> {
    try {
        return await work();
    } catch (error) {
        throw await explainUnresolvedAuthority(error, target);
    }
}

/** The provider's methods, all present, with the results it always returns. */
export interface VaultSecretProvider extends pulumi.dynamic.ResourceProvider<VaultSecretFields, VaultSecretOutputs> {
    check(olds: Partial<VaultSecretFields>, news: VaultSecretFields): Promise<pulumi.dynamic.CheckResult<VaultSecretFields> & { failures: pulumi.dynamic.CheckFailure[] }>;
    diff(id: string, olds: VaultSecretOutputs, news: VaultSecretFields): Promise<pulumi.dynamic.DiffResult>;
    create(inputs: VaultSecretFields): Promise<{ id: string; outs: VaultSecretOutputs }>;
    update(id: string, olds: VaultSecretOutputs, news: VaultSecretFields): Promise<{ outs: VaultSecretOutputs }>;
    read(id: string, props?: VaultSecretOutputs): Promise<{ id: string; props?: VaultSecretOutputs }>;
    delete(id: string, props: VaultSecretOutputs): Promise<void>;
}

export function createVaultSecretProvider(options: VaultSecretProviderOptions = {}): VaultSecretProvider {
    const warn = options.warn ?? ((message: string) => console.warn(message));
    const provider: VaultSecretProvider = {
        // The inputs that were still Outputs when the program declared the resource are known here, before any write.
        async check(olds: Partial<VaultSecretFields>, news: VaultSecretFields) {
            const now = DateTime.utc();
            const problems = [...vaultSecretInputProblems(news, now), ...proofInputProblems(news), secondWriterProblem(news), scheduleProblem(olds ?? {}, news, now)]
                .filter((p): p is InputProblem => p !== undefined);
            const label = typeof news.name === "string" && news.name !== UNKNOWN_INPUT ? `VaultSecret for secret ${JSON.stringify(news.name)}` : "VaultSecret";
            const inputs = typeof news.vaultUrl === "string" && news.vaultUrl !== UNKNOWN_INPUT ? { ...news, vaultUrl: canonicalVaultUrl(news.vaultUrl) } : news;
            return {
                inputs,
                failures: problems.map((p) => ({ property: p.field, reason: `keyrelay: ${label}: ${p.field} ${p.problem}. ${p.fix}` })),
            };
        },
        async diff(_id: string, olds: VaultSecretOutputs, news: VaultSecretFields) {
            const change = vaultSecretChange(olds, news);
            return {
                changes: change.changed.length > 0,
                replaces: change.replaces,
                deleteBeforeReplace: false,
            };
        },
        async create(inputs: VaultSecretFields) {
            const fields = fieldsOf(inputs);
            // Proven before anything reaches the vault: a credential that does not work is never promoted.
            await proveBeforeWrite(fields, undefined, options.proof);
            const written = await writeVaultSecret(vaultCall(options, fields.vaultUrl), fields);
            return { id: secretUriOf(fields), outs: outputsOf(fields, written) };
        },
        async update(_id: string, olds: VaultSecretOutputs, news: VaultSecretFields) {
            const fields = fieldsOf(news);
            if (!vaultSecretChange(olds, fields).writesVersion) {
                return { outs: { ...fields, contentType: fields.contentType || DEFAULT_CONTENT_TYPE, tags: withManagedTag(fields.tags, fields.writer), versionId: olds.versionId ?? "", version: olds.version ?? "", secretUri: secretUriOf(fields) } };
            }
            if (fields.value !== olds.value) await proveBeforeWrite(fields, olds.version, options.proof);
            const written = await writeVaultSecret(vaultCall(options, fields.vaultUrl), fields, olds.version);
            return { outs: outputsOf(fields, written) };
        },
        async read(id: string, props?: VaultSecretOutputs) {
            if (!props) return { id, props };
            const call = vaultCall(options, props.vaultUrl);
            let latest: KeyVaultSecret;
            try {
                latest = await call.retryOther("get", props.name, () => call.client.getSecret(props.name, { requestOptions: { timeout: call.settings.requestTimeoutMs } }));
            } catch (error) {
                if (statusOf(error) === 404) return { id: "", props: undefined };
                if (statusOf(error) === 403 && innerCodeOf(error) === "SecretDisabled") {
                    // Someone disabled the newest version: its value is unreadable, which the next up repairs with a new version.
                    return { id, props: { ...props, value: "" } };
                }
                throw vaultRequestError({ action: "get", vaultUrl: props.vaultUrl, secret: props.name }, error, props.value);
            }
            // Every field is a value or absent: the host converts the result with Struct.fromJavaScript, which throws on undefined.
            // versionId and version keep naming the version this resource wrote, which is what delete checks.
            const { notBefore: _notBefore, contentType: _contentType, writer: _writer, ...kept } = props;
            const tags = latest.properties.tags ?? {};
            return {
                id,
                props: {
                    ...kept,
                    value: latest.value ?? "",
                    expiresOn: latest.properties.expiresOn ? latest.properties.expiresOn.toISOString() : "",
                    ...(latest.properties.notBefore ? { notBefore: latest.properties.notBefore.toISOString() } : {}),
                    ...(latest.properties.contentType ? { contentType: latest.properties.contentType } : {}),
                    tags,
                    ...(tags[WRITER_TAG] ? { writer: tags[WRITER_TAG] } : {}),
                    versionId: props.versionId ?? "",
                    version: props.version ?? "",
                },
            };
        },
        async delete(_id: string, props: VaultSecretOutputs) {
            if (props.retainOnDelete) return;
            const call = vaultCall(options, props.vaultUrl);
            // Only the version this resource wrote may go: after a rename, a move to another stack or a
            // replacement, the newest version belongs to another resource, and deleting would lose it.
            const newest = await newestVersion(call, props.name);
            if (!newest) return;
            if (!sameVersion(newest.version, props.version)) {
                warn(`keyrelay: left secret "${props.name}" in ${canonicalVaultUrl(props.vaultUrl)} in place: ` +
                    (newest.readable
                        ? `its newest version (${(newest.version ?? "?").slice(0, 8)}${newest.writer ? `, written by stack "${newest.writer}"` : ""}) is not the one this resource wrote (${(props.version || "none recorded").slice(0, 12)})`
                        : "its newest version is disabled, so keyrelay cannot tell who wrote it") +
                    `. Another resource, stack or person wrote it after; delete it by hand (az keyvault secret delete) if nothing uses it.`);
                return;
            }
            try {
                const poller = await call.retryOther("delete", props.name, () => call.client.beginDeleteSecret(props.name, {
                    intervalInMs: call.settings.pollIntervalMs, requestOptions: { timeout: call.settings.requestTimeoutMs },
                }));
                await poller.pollUntilDone();
            } catch (error) {
                if (statusOf(error) === 404) return;
                throw vaultRequestError({ action: "delete", vaultUrl: props.vaultUrl, secret: props.name }, error, props.value);
            }
        },
    };
    return {
        ...provider,
        create: (inputs) => explained({ action: "set", vaultUrl: inputs.vaultUrl, secret: inputs.name }, () => provider.create(inputs)),
        update: (id, olds, news) => explained({ action: "set", vaultUrl: news.vaultUrl, secret: news.name }, () => provider.update(id, olds, news)),
        read: (id, props) => explained({ action: "get", vaultUrl: props?.vaultUrl ?? "", secret: props?.name }, () => provider.read(id, props)),
        delete: (id, props) => explained({ action: "delete", vaultUrl: props.vaultUrl, secret: props.name }, () => provider.delete(id, props)),
    };
}

