/**
 * SimulatedEngine plays the Pulumi engine's part over the SDK's mock runtime, run after run,
 * so a program can be "deployed" on any simulated day without Azure or the Pulumi CLI.
 *
 *   const engine = new SimulatedEngine({ program: programFromFile("index.ts"), config: stackConfigFromFile("Pulumi.example.yaml") });
 *   const report = await engine.run(DateTime.fromISO("2027-01-01T02:00:00Z"));   // one `pulumi up` at that instant
 *   report.created / replaced / updated / deleted / vaultWrites / errors
 *   engine.resources()   // the stack after the run: type, name, urn, parent, inputs, outputs, propertyDependencies
 *   engine.vault         // every Key Vault write, per secret (values stay in memory: never print them)
 *   engine.deletedSecrets // secrets a VaultSecret's delete removed, with when (engine.secretExists tells)
 *   engine.directory     // every Entra password credential ever created, with createdAt / deletedAt
 *
 * What it does like the engine: remembers each resource's inputs between runs, found by URN and
 * then by alias (the URN of a name the resource had before); replaces a resource
 * when an input that forces replacement changes (every ApplicationPassword input; a VaultSecret's
 * vault or name, by the provider's own diff); creates the replacement before the old one is
 * deleted; deletes replaced and no-longer-declared resources at the end of a successful run;
 * records each VaultSecret create/update that writes a version, after the provider's own proof
 * (proveBeforeWrite) has run against the simulated directory on a simulated clock, each new
 * password accepted only after its propagation delay (simulation/entraTokens.ts). A run whose program or hook
 * fails deletes nothing, and keeps the old state of whatever failed.
 * The luxon clock is pinned to the run's instant while the program runs.
 *
 * What it refuses like Entra and ARM (each rule with its source beside the check, in azureRules.ts):
 *   - a service principal or password for an app the deploying principal does not own (403),
 *   - a password whose startDate is more than five minutes before the run (KeyCredentialsInvalidStartDate),
 *   - a password living longer than the tenant's passwordLifetime limit, when one is given (400),
 *   - a third password on an app that accepts personal Microsoft accounts (TooManyAppPasswords),
 *   - a second assignment of one role to one principal at one scope (409 RoleAssignmentExists).
 * It answers the azuread getClientConfig invoke with the deploying principal, and the builtin
 * readStackResourceOutputs with the stack as the run found it; any other invoke throws.
 * It fails a run that breaks keyrelay's own rules (azureRules.ts KeyrelayRuleViolation): a password
 * created with under a day to live, or one created for a Key Vault-backed app that never reached Key Vault.
 */
import * as pulumi from "@pulumi/pulumi";
import { DateTime, Settings } from "luxon";
import { vaultSecretChange, VaultSecretFields } from "../components/provider/vaultSecretDiff";
import { PROVIDER_TYPE_TOKENS } from "../policies/lib/contract";
import {
    COMPUTED_WHEN_OMITTED, Deployer, createdVaultProperties, REPLACE_ON_CHANGE, TYPES, checkNewPassword, checkPasswordLife, claimRoleAssignment, ownersAfterCreate, ownersAfterUpdate, unheldPasswords,
    requireOwnership, roleAssignmentKey, vaultKey,
} from "./azureRules";
import { settle, withoutSdkDiagnostics } from "./programLoading";
import { checkNewFederatedCredential } from "./federatedCredentialRules";
import { proveBeforeWrite } from "../components/provider/proveBeforeWrite";
import { READ_STACK_RESOURCE_OUTPUTS } from "../components/lastState";
import type { ProofOutcome } from "../components/provider/credentialProof";
import { DEFAULT_PROPAGATION_DELAY, PropagationDelay, simulatedTokenAnswer } from "./entraTokens";

// Earlier callers import these from the engine; they live beside the rules and the loader now.
export { COMPUTED_WHEN_OMITTED, REPLACE_ON_CHANGE, START_DATE_TOLERANCE_MS, ServiceRefusal, TYPES, vaultKey } from "./azureRules";
export { programFromFile, stackConfigFromFile } from "./programLoading";

export interface SimulatedResource {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    custom: boolean;
    id: string;
    inputs: Record<string, any>;
    outputs: Record<string, any>;
    /** Input name to the URNs its value came from. */
    propertyDependencies: Record<string, string[]>;
    createdAt: DateTime;
    /** The resource option ignoreChanges of its last registration, when it had one. */
    ignoreChanges?: string[];
}

export interface VaultVersion {
    vaultUrl: string;
    name: string;
    value: string;
    expiresOn: string;
    notBefore?: string;
    tags: Record<string, string>;
    writtenAt: DateTime;
}

export interface DirectoryCredential {
    keyId: string;
    applicationId: string;
    /** The password's display name (keyrelay's names each slot's password). */
    displayName?: string;
    /** As Entra stored it: the startDate sent, or the creation time when none was. */
    startDate: string;
    endDate: string;
    value: string;
    createdAt: DateTime;
    deletedAt?: DateTime;
}

export interface RunReport {
    at: DateTime;
    created: SimulatedResource[];
    replaced: { old: SimulatedResource; new: SimulatedResource }[];
    updated: { old: SimulatedResource; new: SimulatedResource }[];
    deleted: SimulatedResource[];
    vaultWrites: VaultVersion[];
    /** Every proof a VaultSecret write ran (on the simulated clock), proven or not. */
    proofs: { secret: string; keyId?: string; outcome?: ProofOutcome; error?: Error }[];
    /** Empty when the run succeeded. */
    errors: Error[];
    stackOutputs: Record<string, unknown>;
}

export type VaultWriteHook = (secret: VaultSecretFields, kind: "create" | "update") => Promise<void>;

export interface SimulatedEngineOptions {
    /** Declares the stack's resources; may return the stack outputs. */
    program: () => unknown | Promise<unknown>;
    /** Stack config, "project:key" to value (objects are JSON-encoded as the CLI does). */
    config?: Record<string, unknown>;
    project?: string;
    stack?: string;
    /** Called for every Key Vault write before it is recorded; a throw fails the run there. */
    onVaultWrite?: VaultWriteHook;
    /** Object id of the principal running `pulumi up` (what getClientConfig answers); `run` may name another. */
    deployingPrincipal?: string;
    /** Principals holding a directory role that manages every app (Application Administrator); others run under Application.ReadWrite.OwnedBy. */
    administrators?: string[];
    /**
     * The tenant's app management policy: passwordLifetime maxLifetime (ISO-8601), e.g. "P180D".
     * Default: the stack config's `keyrelay:maxLifetime`, the limit the stack says its tenant has.
     */
    passwordMaxLifetime?: string;
    /** How long Entra takes to accept each new password (the proof waits for it); default DEFAULT_PROPAGATION_DELAY. */
    propagation?: PropagationDelay;
}

export const DEFAULT_DEPLOYING_PRINCIPAL = "5f1b2c3d-0000-4000-a000-00000000d3b1";
export const DEFAULT_DEPLOYING_CLIENT_ID = "0c0ffee0-0000-4000-a000-00000000c1d0";
export const DEFAULT_TENANT_ID = "72f988bf-0000-4000-a000-0000000000a1";

/** A deterministic generator, so a simulation's ids and values repeat from run to run of the suite. */
class Sequence {
    private state: number;
    constructor(seed: number) { this.state = seed >>> 0; }
    next(): number {
        // mulberry32
        this.state = (this.state + 0x6d2b79f5) >>> 0;
        let t = this.state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }
    guid(): string {
        const hex = Array.from({ length: 32 }, () => Math.floor(this.next() * 16).toString(16)).join("");
        return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
    }
    /** Shaped like an Entra client secret value: 40 characters with "8Q~" after the hint. */
    secretValue(): string {
        const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~-";
        const pick = () => alphabet[Math.floor(this.next() * alphabet.length)];
        return `${pick()}${pick()}${pick()}8Q~${Array.from({ length: 34 }, pick).join("")}`;
    }
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Strips Pulumi's secret wrappers: the simulation compares and stores plain values. */
export function unwrapSecrets(value: any): any {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value && typeof value === "object") {
        const prototype = Object.getPrototypeOf(value);
        if (prototype !== Object.prototype && prototype !== null) return value;
        if (value[SECRET_SIG_KEY] === SECRET_SIG) return unwrapSecrets(value.value);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

function stableJson(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
    if (value && typeof value === "object") {
        return `{${Object.keys(value).sort().filter((k) => (value as any)[k] !== undefined)
            .map((k) => `${JSON.stringify(k)}:${stableJson((value as any)[k])}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

function withoutProvider(inputs: Record<string, any>): Record<string, any> {
    const { __provider, ...rest } = inputs;
    return rest;
}

function changedInputs(olds: Record<string, any>, news: Record<string, any>): string[] {
    const a = withoutProvider(olds);
    const b = withoutProvider(news);
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => stableJson(a[k]) !== stableJson(b[k]));
}

interface AliasRequest {
    getUrn(): string;
    getSpec(): { getName(): string; getType(): string; hasParenturn(): boolean; getParenturn(): string; getNoparent(): boolean } | undefined;
}

interface RegistrationRequest {
    getParent(): string;
    getType(): string;
    getName(): string;
    getAliasesList?(): AliasRequest[];
    getIgnorechangesList?(): string[];
    getPropertydependenciesMap(): { forEach(cb: (deps: { getUrnsList(): string[] }, key: string) => void): void };
}

export class SimulatedEngine {
    readonly vault = new Map<string, VaultVersion[]>();
    /**
     * Secrets soft-deleted by a VaultSecret's delete, by vaultKey, with when; `vault` keeps their versions
     * (Key Vault's soft delete does too), and a later write recovers the name.
     */
    readonly deletedSecrets = new Map<string, DateTime>();
    readonly directory = new Map<string, DirectoryCredential>();
    /** Live role assignments, "principal|role|scope" (lower case) to the assignment's URN. */
    readonly roleAssignments = new Map<string, string>();
    readonly runs: RunReport[] = [];
    private readonly state = new Map<string, SimulatedResource>();
    /** Replaced by a run that then failed: deleted at the end of the next successful run. */
    private readonly pendingDeletion: SimulatedResource[] = [];
    private readonly sequence: Sequence;

    constructor(private readonly options: SimulatedEngineOptions, seed = 1) {
        this.sequence = new Sequence(seed);
    }

    get passwordMaxLifetime(): string | undefined {
        const declared = this.options.config?.["keyrelay:maxLifetime"];
        return this.options.passwordMaxLifetime ?? (typeof declared === "string" ? declared : undefined);
    }

    private runningAs: string | undefined;

    get deployingPrincipal(): string {
        return this.runningAs ?? this.options.deployingPrincipal ?? DEFAULT_DEPLOYING_PRINCIPAL;
    }

    get deployer(): Deployer {
        const objectId = this.deployingPrincipal;
        return { objectId, administrator: (this.options.administrators ?? []).some((a) => a.toLowerCase() === objectId.toLowerCase()) };
    }

    resources(): SimulatedResource[] {
        return [...this.state.values()];
    }

    resourcesOfType(type: string): SimulatedResource[] {
        return this.resources().filter((r) => r.type === type);
    }

    /**
     * What the engine's builtin readStackResourceOutputs answers (pulumi/pulumi
     * pkg/resource/deploy/builtins.go, BackendClient.GetStackResourceOutputs): every resource of the
     * stack's last snapshot by URN, with its type and outputs.
     */
    private lastStateAnswer(): { name: string; outputs: Record<string, { type: string; outputs: Record<string, any> }> } {
        const name = `organization/${this.options.project ?? "keyrelay"}/${this.options.stack ?? "example"}`;
        return { name, outputs: Object.fromEntries(this.resources().map((r) => [r.urn, { type: r.type, outputs: { ...r.outputs } }])) };
    }

    /** The newest version of a secret, or undefined. */
    latestVersion(vaultUrl: string, name: string): VaultVersion | undefined {
        const versions = this.vault.get(vaultKey(vaultUrl, name));
        return versions?.[versions.length - 1];
    }

    /** Whether the secret has a version and is not deleted. */
    secretExists(vaultUrl: string, name: string): boolean {
        return this.latestVersion(vaultUrl, name) !== undefined && !this.deletedSecrets.has(vaultKey(vaultUrl, name));
    }

    /** One `pulumi up` at `at`, by `deployingPrincipal` (default: the options' one). */
    async run(at: DateTime, deployingPrincipal?: string): Promise<RunReport> {
        this.runningAs = deployingPrincipal;
        const report: RunReport = { at, created: [], replaced: [], updated: [], deleted: [], vaultWrites: [], proofs: [], errors: [], stackOutputs: {} };
        const lastState = this.lastStateAnswer();
        const registered = new Set<string>();
        const pendingDeletes: SimulatedResource[] = [];
        const pinned = at.toMillis();
        const previousNow = Settings.now;
        Settings.now = () => pinned;
        // The SDK reads a stack trace for every resource and promise; source-mapped traces would cost
        // most of a run's time, and the simulation has no use for them.
        const previousPrepareStackTrace = Error.prepareStackTrace;
        (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
        const previousStackTraceLimit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        const restoreSdkDiagnostics = withoutSdkDiagnostics();
        let pendingRequest: RegistrationRequest | undefined;
        const aliasesByUrn = new Map<string, string[]>();
        const engine = this;
        let monitor: { registerResource(req: RegistrationRequest, cb: unknown): unknown; newUrn(parent: string, type: string, name: string): string };

        await pulumi.runtime.setMocks({
            async newResource(args) {
                const request = pendingRequest;
                pendingRequest = undefined;
                const parent = request?.getParent() || undefined;
                const urn = monitor.newUrn(request?.getParent() ?? "", args.type, args.name);
                registered.add(urn);
                const propertyDependencies: Record<string, string[]> = {};
                request?.getPropertydependenciesMap().forEach((deps, key) => { propertyDependencies[key] = deps.getUrnsList(); });
                const inputs = unwrapSecrets(args.inputs) as Record<string, any>;
                // Aliases: the engine looks a resource up by its URN first, then by each alias URN.
                const aliases = (request?.getAliasesList?.() ?? []).map((alias) => {
                    const spec = alias.getSpec();
                    if (!spec) return alias.getUrn();
                    const aliasParent = spec.hasParenturn() ? spec.getParenturn() : spec.getNoparent() ? "" : request?.getParent() ?? "";
                    return monitor.newUrn(aliasParent, spec.getType() || args.type, spec.getName() || args.name);
                });
                // With alias specs the engine, not the SDK, gives a child one alias per alias of its parent
                // (the SDK's inheritedChildAlias in @pulumi/pulumi/resource.js, done engine-side since alias specs).
                for (const parentAlias of (parent && aliasesByUrn.get(parent)) || []) {
                    const parentName = parent!.slice(parent!.lastIndexOf("::") + 2);
                    const aliasName = args.name.startsWith(parentName) ? parentAlias.slice(parentAlias.lastIndexOf("::") + 2) + args.name.slice(parentName.length) : args.name;
                    aliases.push(monitor.newUrn(parentAlias, args.type, aliasName));
                }
                aliasesByUrn.set(urn, aliases);
                if (!engine.state.has(urn)) {
                    const aliased = aliases.find((a) => engine.state.has(a) && !registered.has(a));
                    if (aliased) engine.renamed(aliased, urn, args.name);
                }
                try {
                    const ignoreChanges = request?.getIgnorechangesList?.() ?? [];
                    const resource = await engine.step(at, { urn, type: args.type, name: args.name, parent, custom: args.custom ?? true, inputs, propertyDependencies }, report, pendingDeletes, ignoreChanges);
                    if (ignoreChanges.length > 0) resource.ignoreChanges = [...ignoreChanges];
                    return { id: resource.id, state: resource.outputs };
                } catch (error) {
                    report.errors.push(error as Error);
                    throw error;
                }
            },
            call(args) {
                if (args.token === PROVIDER_TYPE_TOKENS.getClientConfig) {
                    return { clientId: DEFAULT_DEPLOYING_CLIENT_ID, objectId: engine.deployingPrincipal, tenantId: DEFAULT_TENANT_ID };
                }
                if (args.token === READ_STACK_RESOURCE_OUTPUTS) return lastState;
                throw new Error(`SimulatedEngine: unexpected call ${args.token}`);
            },
        }, this.options.project ?? "keyrelay", this.options.stack ?? "example", false);
        monitor = pulumi.runtime.getMonitor() as unknown as typeof monitor;
        const registerResource = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, cb) => {
            pendingRequest = req;
            return registerResource(req, cb);
        };
        pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(this.options.config ?? {})
            .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])));

        const swallow = (reason: unknown) => { if (!report.errors.includes(reason as Error)) report.errors.push(reason as Error); };
        process.on("unhandledRejection", swallow);
        try {
            const outputs = await this.options.program();
            if (outputs && typeof outputs === "object" && !pulumi.Resource.isInstance(outputs)) {
                report.stackOutputs = unwrapSecrets(await settle(pulumi.output(outputs as Record<string, unknown>)));
            }
            await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
        } catch (error) {
            swallow(error);
        } finally {
            await new Promise((resolve) => setImmediate(resolve));
            process.off("unhandledRejection", swallow);
            Settings.now = previousNow;
            Error.prepareStackTrace = previousPrepareStackTrace;
            Error.stackTraceLimit = previousStackTraceLimit;
            restoreSdkDiagnostics();
        }

        if (report.errors.length === 0) {
            const written = new Set(report.vaultWrites.map((w) => w.value));
            const everHeld = new Set([...this.vault.values()].flat().map((v) => v.value));
            const vaulted = new Set([...this.directory.values()].filter((c) => everHeld.has(c.value)).map((c) => c.applicationId));
            report.errors.push(...unheldPasswords([...report.created, ...report.replaced.map((r) => r.new)].filter((r) => r.type === TYPES.applicationPassword), written, vaulted));
        }
        if (report.errors.length === 0) {
            for (const resource of this.state.values()) {
                if (!registered.has(resource.urn)) pendingDeletes.push(resource);
            }
            for (const resource of [...this.pendingDeletion.splice(0), ...pendingDeletes]) {
                if (this.state.get(resource.urn) === resource) this.state.delete(resource.urn);
                this.deleted(resource, at);
                report.deleted.push(resource);
            }
        } else {
            // Pulumi keeps replaced resources pending deletion; the next successful run removes them.
            this.pendingDeletion.push(...pendingDeletes);
        }
        this.runs.push(report);
        return report;
    }

    private async step(at: DateTime, declared: Omit<SimulatedResource, "id" | "outputs" | "createdAt">, report: RunReport, pendingDeletes: SimulatedResource[], ignoreChanges: readonly string[] = []): Promise<SimulatedResource> {
        const old = this.state.get(declared.urn);
        // ignoreChanges: "Pulumi ignores a property by using the old value from the state instead of the value
        // provided by the Pulumi program"; on create the program's value is used
        // (https://www.pulumi.com/docs/iac/concepts/options/ignorechanges/). Top-level names only here.
        if (old) {
            for (const key of ignoreChanges) {
                if (key in old.inputs) declared.inputs[key] = old.inputs[key];
            }
        }
        if (!old) {
            const created = await this.create(at, declared, report);
            report.created.push(created);
            return created;
        }
        const changed = changedInputs(old.inputs, declared.inputs)
            .filter((k) => !(declared.inputs[k] === undefined && (COMPUTED_WHEN_OMITTED[declared.type] ?? []).includes(k)));
        if (changed.length === 0) {
            return old;
        }
        if (this.forcesReplacement(declared.type, old.inputs, declared.inputs, changed)) {
            const created = await this.create(at, declared, report);
            report.replaced.push({ old, new: created });
            pendingDeletes.push(old);
            return created;
        }
        if (declared.type === TYPES.vaultSecret && vaultSecretChange(old.inputs, declared.inputs).writesVersion) {
            await this.writeVault(at, declared.inputs as VaultSecretFields, "update", report, old.inputs.value);
        }
        const updated: SimulatedResource = { ...declared, id: old.id, outputs: { ...old.outputs, ...declared.inputs }, createdAt: old.createdAt };
        if (declared.type === TYPES.application || declared.type === TYPES.servicePrincipal) {
            // Updating either object under Application.ReadWrite.OwnedBy needs owning that object now.
            requireOwnership(old, this.deployer, declared.type === TYPES.application ? "the application" : `service principal "${declared.name}"`, "update");
            updated.outputs.owners = ownersAfterUpdate(old.outputs.owners ?? [], old.inputs.owners, declared.inputs.owners);
        }
        this.state.set(declared.urn, updated);
        report.updated.push({ old, new: updated });
        return updated;
    }

    private forcesReplacement(type: string, olds: Record<string, any>, news: Record<string, any>, changed: string[]): boolean {
        if (type === TYPES.vaultSecret) return vaultSecretChange(olds, news).replaces.length > 0;
        const rule = REPLACE_ON_CHANGE[type];
        return rule === "*" || (rule !== undefined && changed.some((k) => rule.includes(k)));
    }

    private async create(at: DateTime, declared: Omit<SimulatedResource, "id" | "outputs" | "createdAt">, report: RunReport): Promise<SimulatedResource> {
        const inputs = declared.inputs;
        let id = `${declared.name}-${this.sequence.guid().slice(0, 8)}`;
        const outputs: Record<string, any> = { ...inputs };
        switch (declared.type) {
            case TYPES.application: {
                outputs.clientId = this.sequence.guid();
                outputs.objectId = this.sequence.guid();
                outputs.owners = ownersAfterCreate(inputs.owners);
                id = `/applications/${outputs.objectId}`;
                break;
            }
            case TYPES.servicePrincipal:
                requireOwnership(this.applicationBy("clientId", inputs.clientId), this.deployer, `service principal "${declared.name}"`);
                outputs.objectId = this.sequence.guid();
                outputs.owners = ownersAfterCreate(inputs.owners);
                id = `/servicePrincipals/${outputs.objectId}`;
                break;
            case TYPES.applicationPassword: {
                const application = this.applicationBy("id", inputs.applicationId);
                outputs.startDate = checkNewPassword(at, declared.name, inputs, {
                    application, deployingPrincipal: this.deployer, maxLifetime: this.passwordMaxLifetime, livePasswords: this.livePasswordsOf(application),
                });
                checkPasswordLife(at, declared.name, inputs.endDate);
                outputs.keyId = this.sequence.guid();
                outputs.value = this.sequence.secretValue();
                id = `${inputs.applicationId}/password/${outputs.keyId}`;
                this.directory.set(outputs.keyId, {
                    keyId: outputs.keyId, applicationId: inputs.applicationId, displayName: inputs.displayName, startDate: outputs.startDate,
                    endDate: inputs.endDate, value: outputs.value, createdAt: at,
                });
                break;
            }
            case TYPES.roleAssignment:
                claimRoleAssignment(this.roleAssignments, declared.urn, declared.name, inputs);
                break;
            case TYPES.federatedCredential:
                requireOwnership(this.applicationBy("id", inputs.applicationId), this.deployer, `federated credential "${declared.name}"`);
                checkNewFederatedCredential(declared.name, inputs, this.resources().filter((r) => r.type === TYPES.federatedCredential && r.inputs.applicationId === inputs.applicationId).map((r) => r.inputs));
                id = `${inputs.applicationId}/federatedIdentityCredential/${this.sequence.guid()}`;
                break;
            case TYPES.vaultSecret: {
                await this.writeVault(at, inputs as VaultSecretFields, "create", report);
                id = `${String(inputs.vaultUrl).replace(/\/+$/, "")}/secrets/${inputs.name}`;
                outputs.secretUri = id;
                break;
            }
            case TYPES.keyVault: {
                const vaultName = String(inputs.vaultName ?? declared.name);
                outputs.properties = createdVaultProperties(vaultName, inputs.properties);
                id = `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${inputs.resourceGroupName}/providers/Microsoft.KeyVault/vaults/${vaultName}`;
                break;
            }
            default:
                if (!declared.custom) id = "";
        }
        const resource: SimulatedResource = { ...declared, id, outputs, createdAt: at };
        this.state.set(declared.urn, resource);
        return resource;
    }

    /** An alias matched: the resource keeps its state and its cloud object under its new URN. */
    private renamed(from: string, to: string, name: string): void {
        const resource = this.state.get(from)!;
        this.state.delete(from);
        this.state.set(to, { ...resource, urn: to, name });
        for (const [key, holder] of this.roleAssignments) if (holder === from) this.roleAssignments.set(key, to);
    }

    /** The application a resource id or client id names, if this stack declares it. */
    private applicationBy(field: "id" | "clientId", value: unknown): SimulatedResource | undefined {
        return this.resources().find((r) => r.type === TYPES.application && (field === "id" ? r.id === value : r.outputs.clientId === value));
    }

    /** The passwords Entra holds now for an application. */
    private livePasswordsOf(application: SimulatedResource | undefined): number {
        if (!application) return 0;
        return [...this.directory.values()].filter((c) => c.applicationId === application.id && !c.deletedAt).length;
    }

    private async writeVault(at: DateTime, secret: VaultSecretFields, kind: "create" | "update", report: RunReport, previousValue?: string): Promise<void> {
        if (kind === "create" || secret.value !== previousValue) await this.prove(at, secret, report);
        if (this.options.onVaultWrite) await this.options.onVaultWrite(secret, kind);
        const version: VaultVersion = {
            vaultUrl: secret.vaultUrl, name: secret.name, value: secret.value, expiresOn: secret.expiresOn,
            notBefore: secret.notBefore, tags: { ...(secret.tags ?? {}) }, writtenAt: at,
        };
        const key = vaultKey(secret.vaultUrl, secret.name);
        this.vault.set(key, [...(this.vault.get(key) ?? []), version]);
        this.deletedSecrets.delete(key);
        report.vaultWrites.push(version);
    }

    /** The provider's own proof (proveBeforeWrite), against the simulated directory on a simulated clock. */
    private async prove(at: DateTime, secret: VaultSecretFields, report: RunReport): Promise<void> {
        let elapsedMs = 0;
        const now = () => at.plus(elapsedMs);
        const tenant = {
            tenantId: DEFAULT_TENANT_ID,
            applicationOf: (clientId: string) => this.applicationBy("clientId", clientId)?.id,
            credentials: () => this.directory.values(),
            propagation: this.options.propagation ?? DEFAULT_PROPAGATION_DELAY,
        };
        const entry: RunReport["proofs"][number] = { secret: secret.name, keyId: secret.tags?.["key-id"] };
        report.proofs.push(entry);
        try {
            entry.outcome = await proveBeforeWrite(secret, undefined, { sleep: async (ms) => { elapsedMs += ms; }, now, timeScale: 1, env: {} },
                async () => simulatedTokenAnswer(tenant, { tenantId: secret.proof ? secret.proof.tenantId : "", clientId: secret.proof && secret.proof.clientId || secret.tags?.["client-id"] || "", secret: secret.value }, now()));
        } catch (error) {
            entry.error = error as Error;
            throw error;
        }
    }

    private deleted(resource: SimulatedResource, at: DateTime): void {
        if (resource.type === TYPES.roleAssignment) {
            const key = roleAssignmentKey(resource.inputs);
            if (this.roleAssignments.get(key) === resource.urn) this.roleAssignments.delete(key);
        }
        if (resource.type === TYPES.applicationPassword) {
            const credential = this.directory.get(resource.outputs.keyId);
            if (credential && !credential.deletedAt) credential.deletedAt = at;
        }
        if (resource.type === TYPES.vaultSecret && !resource.inputs.retainOnDelete) {
            // The provider's delete: only while the newest version is still the one this resource wrote.
            const key = vaultKey(resource.inputs.vaultUrl, resource.inputs.name);
            const newest = this.latestVersion(resource.inputs.vaultUrl, resource.inputs.name);
            if (newest && newest.value === resource.inputs.value && Date.parse(newest.expiresOn) === Date.parse(resource.inputs.expiresOn)) this.deletedSecrets.set(key, at);
        }
    }
}
