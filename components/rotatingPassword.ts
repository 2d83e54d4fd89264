import * as pulumi from "@pulumi/pulumi";
import { TYPE_TOKENS } from "./typeTokens";
import * as azuread from "@pulumi/azuread";
import { DateTime } from "luxon";
import {
    PERIOD_START_MARKER, PlannedCredential, RotationLimits, RotationSchedule, RotationSettings, SERVES_UNTIL_MARKER,
    nextRotation, plannedCredentials, rotationSchedule, toRfc3339,
} from "./schedule";
import { InputError } from "../lib/errors";
import { RetirePlan, RetirementDecision, decideRetirement, retirementCandidates } from "./retirementGate";
import { retirementAnswers, retirementSource } from "./retirementEvidence";
import { HeldPasswords, heldCredentials, heldDisplayName, heldPasswords } from "./heldCredentials";
import { lastStateIndex } from "./lastState";

export interface RotatingPasswordArgs {
    /** The application's resource id (azuread.Application.id, "/applications/<object id>"). */
    applicationId: pulumi.Input<string>;
    /** Schedule; `every` defaults to P89D, `validFor` to max(2 × every + 1 day, every + 15 days). */
    rotation?: RotationSettings;
    /** The tenant's password lifetime limit (app management policy maxLifetime, ISO-8601); checked before anything is created. */
    maxLifetime?: string;
    /** Shorthand for rotation.every. */
    every?: string;
    /** Shorthand for rotation.validFor. */
    validFor?: string;
    /** Prefix of each credential's display name in Entra; default the resource name. */
    displayName?: string;
    /** Name the app's rotation day is derived from (spreading a fleet over the period); default the resource name. */
    spreadKey?: string;
    /**
     * The plan already computed from these settings (RotatedAppRegistration parses its args once);
     * when given, rotation, every, validFor, maxLifetime and spreadKey are not read again.
     * @internal
     */
    plan?: RotatingPasswordPlan;
    /**
     * The evidence gate (RotatedAppRegistration's `retire`): retiring credentials are declared only while
     * the sign-in logs do not show them unused. @internal
     */
    retire?: RetirePlan;
}

export interface CredentialSummary {
    slot: string;
    keyId: string;
    startDate: string;
    endDate: string;
    /** When the next credential takes its place in Key Vault. */
    servesUntil: string;
    inService: boolean;
}

/** The planned credential set of one application at one instant. */
export interface RotatingPasswordPlan {
    readonly schedule: RotationSchedule;
    /** Oldest first; the last one is in service. */
    readonly credentials: PlannedCredential[];
    readonly inService: PlannedCredential;
    readonly nextRotation: DateTime;
}

/** The planned credential set of one application, computed once per run. */
export function planRotatingPassword(spreadKey: string, rotation: RotationSettings | undefined, resource: string, at: DateTime = DateTime.utc(), limits: RotationLimits = {}): RotatingPasswordPlan {
    const schedule: RotationSchedule = rotationSchedule(spreadKey, rotation, resource, limits);
    const credentials = plannedCredentials(schedule, at);
    if (credentials.length === 0) {
        throw new InputError(resource, "rotation.since", `is ${rotation?.since}, after this run, and no rotation.previous says which schedule runs until then`,
            "Set rotation.previous to the schedule that ran before (its every and validFor), or leave since out.");
    }
    return { schedule, credentials, inService: credentials[credentials.length - 1], nextRotation: nextRotation(schedule, at) };
}

/**
 * Overlapping, time-boxed azuread.ApplicationPasswords for one application: one in service,
 * one retiring, and for a day after each rotation the one before it. Every input is fixed by
 * the period, so re-running the program inside a period changes nothing. A password is created
 * only for the credential in service; earlier ones stay declared only while the stack holds them.
 */
export class RotatingPassword extends pulumi.ComponentResource {
    /** The in-service credential's value, as a Pulumi secret. */
    public readonly value: pulumi.Output<string>;
    /** The in-service credential's Secret ID (a GUID: metadata, never the value). */
    public readonly keyId: pulumi.Output<string>;
    /** Start of the in-service credential's period, RFC 3339 (Entra stamps the credential's own start when it creates it). */
    public readonly startDate: pulumi.Output<string>;
    /** End of the in-service credential, RFC 3339. */
    public readonly endDate: pulumi.Output<string>;
    /** When a run will next issue a credential, RFC 3339. */
    public readonly nextRotation: pulumi.Output<string>;
    public readonly credentials: pulumi.Output<CredentialSummary[]>;
    /** The in-service credential's password: the only one a run ever creates (see heldCredentials). */
    public readonly inServicePassword: azuread.ApplicationPassword;
    /** The evidence gate's decision for each retiring credential it asked about this run (empty without `retire`). */
    public readonly retirement: pulumi.Output<RetirementDecision[]>;

    constructor(name: string, args: RotatingPasswordArgs, opts?: pulumi.ComponentResourceOptions) {
        const plan = args.plan ?? planRotatingPassword(args.spreadKey ?? name,
            { ...args.rotation, every: args.rotation?.every ?? args.every, validFor: args.rotation?.validFor ?? args.validFor },
            `RotatingPassword "${name}"`, DateTime.utc(), { maxLifetime: args.maxLifetime });
        // The gate's window is recorded on the component, so a plan can tell that runs decide retirements.
        super(TYPE_TOKENS.rotatingPassword, name, args.retire ? { retireUnusedFor: args.retire.unusedForText } : {}, opts);
        const displayName = args.displayName ?? name;
        const candidates = args.retire ? retirementCandidates(plan.credentials, DateTime.utc(), args.retire.unusedFor) : [];
        const earlier = plan.credentials.filter((c) => !c.inService && !candidates.includes(c));
        // What the stack holds for this app, read once the application id is known (unknown in a first
        // deploy's preview: then so is the in-service display name, and nothing earlier is declared).
        const heldNow = pulumi.output(args.applicationId).apply(async (id) => heldPasswords(await lastStateIndex(), id));
        const nameOf: NameOf = (h, c) => heldDisplayName(h, c) ?? passwordDisplayName(displayName, c);
        this.inServicePassword = passwordFor(this, name, heldNow.apply((h) => nameOf(h, plan.inService)), args.applicationId, plan.inService);
        // The earlier credentials (retiring, and the one before) the stack holds: never created here.
        const held = earlier.length === 0 ? pulumi.output({} as Record<string, string>) : heldNow.apply((h) => declareHeldPasswords(this, name, nameOf, args.applicationId, earlier, h));
        this.retirement = candidates.length === 0 ? pulumi.output([]) : askTheSignInLogs(this, displayName, nameOf, args.applicationId, candidates, args.retire!, heldNow);
        this.value = pulumi.secret(this.inServicePassword.value);
        this.keyId = this.inServicePassword.keyId;
        this.startDate = pulumi.output(toRfc3339(plan.inService.startDate));
        this.endDate = pulumi.output(toRfc3339(plan.inService.endDate));
        this.nextRotation = pulumi.output(toRfc3339(plan.nextRotation));
        const gated = candidates.length === 0 ? pulumi.output({} as Record<string, string>) : declareKept(this, name, nameOf, args.applicationId, candidates, this.retirement, heldNow);
        this.credentials = pulumi.all([this.inServicePassword.keyId, held, gated]).apply(([inServiceKeyId, heldKeyIds, gatedKeyIds]) => {
            const keyIdOf = new Map<string, string>([...Object.entries(heldKeyIds), ...Object.entries(gatedKeyIds), [plan.inService.slot, inServiceKeyId]]);
            return plan.credentials.filter((c) => keyIdOf.has(c.slot)).map((credential) => ({
                slot: credential.slot,
                keyId: keyIdOf.get(credential.slot)!,
                startDate: toRfc3339(credential.startDate),
                endDate: toRfc3339(credential.endDate),
                servesUntil: toRfc3339(credential.servesUntil),
                inService: credential.inService,
            }));
        });
        this.registerOutputs({
            keyId: this.keyId, value: this.value, startDate: this.startDate, endDate: this.endDate,
            nextRotation: this.nextRotation, credentials: this.credentials, retirement: this.retirement,
        });
    }
}

/**
 * The passwords of those `credentials` the stack holds, each under the display name it has, by slot:
 * their key ids. Declared inside an apply, so the key ids feed the component's registered outputs and
 * the program does not end before they are declared (a held password left undeclared would be
 * deleted): registerResourceOutputs holds an rpcKeepAlive until it has serialized its outputs
 * (@pulumi/pulumi runtime/resource.js).
 */
function declareHeldPasswords(parent: pulumi.Resource, name: string, nameOf: NameOf, applicationId: pulumi.Input<string>, credentials: readonly PlannedCredential[], held: HeldPasswords | undefined): pulumi.Output<Record<string, string>> {
    return pulumi.all(Object.fromEntries(heldCredentials(credentials, held)
        .map((c) => [c.slot, passwordFor(parent, name, nameOf(held, c), applicationId, c).keyId])));
}

/** A credential's password display name: the one the stack holds it under, else keyrelay's. */
type NameOf = (held: HeldPasswords | undefined, credential: PlannedCredential) => string;

/** The gate's decisions, each logged: a credential kept in use or for want of evidence as a warning. */
function askTheSignInLogs(parent: pulumi.Resource, displayName: string, nameOf: NameOf, applicationId: pulumi.Input<string>, candidates: PlannedCredential[], retire: RetirePlan, held: pulumi.Output<HeldPasswords | undefined>): pulumi.Output<RetirementDecision[]> {
    const resource = `RotatedAppRegistration "${displayName}"`;
    return pulumi.all([applicationId, held]).apply(async ([id, h]) => {
        const answers = await retirementAnswers(candidates, (c) => nameOf(h, c), id, retire.unusedFor, retirementSource(retire));
        const decisions = candidates.map((c) => decideRetirement(resource, c, answers.get(c.slot)!, retire.unusedForText));
        for (const d of decisions) {
            if (d.keep) pulumi.log.warn(d.message, parent); else pulumi.log.info(d.message, parent);
        }
        return decisions;
    });
}

/** Declares the candidates the gate keeps, once it has decided: kept means kept alive, so only held ones (a first deploy with Graph unreachable creates nothing). */
function declareKept(parent: pulumi.Resource, name: string, nameOf: NameOf, applicationId: pulumi.Input<string>, candidates: PlannedCredential[], decisions: pulumi.Output<RetirementDecision[]>, held: pulumi.Output<HeldPasswords | undefined>): pulumi.Output<Record<string, string>> {
    return pulumi.all([decisions, held]).apply(([ds, h]) => declareHeldPasswords(parent, name, nameOf, applicationId,
        candidates.filter((c) => ds.some((d) => d.slot === c.slot && d.keep)), h));
}

/** The display name keyrelay gives a slot's password; the gate finds the password in Entra by it. */
export function passwordDisplayName(displayName: string, credential: PlannedCredential): string {
    return `${displayName} (keyrelay slot ${credential.slot}, from ${credential.startDate.toISODate()})`;
}

/**
 * No startDate is sent: Entra stamps the creation time. A period start would lie in the past on a
 * first deploy and on every rotation day, and Entra has refused re-created credentials with a past
 * start (KeyCredentialsInvalidStartDate, hashicorp/terraform-provider-azuread#1582). endDate and the
 * markers stay functions of the period, so a re-run inside a period still changes nothing.
 */
function passwordFor(parent: pulumi.Resource, name: string, displayName: pulumi.Input<string>, applicationId: pulumi.Input<string>, credential: PlannedCredential): azuread.ApplicationPassword {
    return new azuread.ApplicationPassword(`${name}-${credential.slot}`, {
        applicationId,
        displayName,
        endDate: toRfc3339(credential.endDate),
        rotateWhenChanged: {
            [PERIOD_START_MARKER]: toRfc3339(credential.startDate),
            [SERVES_UNTIL_MARKER]: toRfc3339(credential.servesUntil),
        },
    }, { parent });
}
