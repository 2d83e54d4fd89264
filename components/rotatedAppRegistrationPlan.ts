// Parse once, then build: a RotatedAppRegistration's args become one checked, normalised value
// before anything is declared. The component and its RotatingPassword build only from it, so each
// input is checked once and the schedule computed once. Pure apart from reading the clock.
import type * as pulumi from "@pulumi/pulumi";
import { DateTime } from "luxon";
import type { RotatedAppRegistrationArgs } from "./rotatedAppRegistration";
import { RotatingPasswordPlan, planRotatingPassword } from "./rotatingPassword";
import { DEFAULT_EVERY, RotationSettings } from "./schedule";
import { FederatedCredentialSpec, federatedCredentials } from "./federatedTrusts";
import { CONSUMER_KINDS, ConsumerKind, isConsumerKind } from "../policies/lib/consumerHints";
import { InputError } from "../lib/errors";
import { checkProofArgs } from "./proofSettings";
import { checkOwners } from "./owners";
import { RetirePlan, parseRetire } from "./retirementGate";
import { checkInUseAlertName } from "./inUseAlert";
import {
    checkReaders, checkRotatedAppRegistrationShape, checkSecretName, checkSignInAudience, checkVaultUrl, isPulumiOutput, readerKeys,
} from "./validate";

export interface RotatedAppRegistrationPlan {
    /** `RotatedAppRegistration "<name>"`: how errors name the resource. */
    readonly resource: string;
    /** The planned credentials at `at`, the one in service and the next rotation. */
    readonly schedule: RotatingPasswordPlan;
    /** The `every` the credential in Key Vault follows at `at` (the previous one until a declared change takes over). */
    readonly everyInForce: string;
    readonly vault: {
        /** Canonical vault URL (https, lower-case host, no trailing slash) when a plain string; an Output is checked by the provider. */
        readonly url: pulumi.Input<string>;
        readonly secretName: pulumi.Input<string>;
        /** Versionless secret URI; undefined while the URL or the name is an Output. */
        readonly secretUri: string | undefined;
        readonly resourceId?: pulumi.Input<string>;
    };
    /** One role assignment each, keyed by principal (or given name), never by list position. */
    readonly readers: readonly { key: string; principalId: pulumi.Input<string> }[];
    /** The declared owners (components/owners.ts), or undefined when the args declare none. */
    readonly owners: readonly pulumi.Input<string>[] | undefined;
    /** application.signInAudience when given; checked to allow three passwords. */
    readonly audience: string | undefined;
    /** Federated identity credentials declared beside the password (the first step off secrets). */
    readonly federated: readonly FederatedCredentialSpec[];
    /** Who reads the secret, a hint recorded as an application tag. */
    readonly consumers: readonly ConsumerKind[] | undefined;
    /** The evidence gate: retiring credentials unused for this window retire early; undefined without `retire`. */
    readonly retire: RetirePlan | undefined;
}

/**
 * The name the rotation day is derived from: `rotationKey`, else the name the component was renamed
 * from (its alias), else its own. A rename must not move the rotation day: every slot's dates, and so
 * every password, would change in that run, and the credential Key Vault holds would be deleted.
 */
function rotationKeyOf(resource: string, name: string, rotationKey: unknown, formerName: string | undefined): string {
    if (rotationKey === undefined) return formerName ?? name;
    if (typeof rotationKey !== "string" || rotationKey.trim() === "") {
        throw new InputError(resource, "rotationKey", `is ${JSON.stringify(rotationKey)}, not a name`,
            "Set it to the name the app had when it was first deployed (the one its rotation day comes from), or leave it out.");
    }
    return rotationKey;
}

const isPending = (value: unknown) => isPulumiOutput(value) || value instanceof Promise;

/** Checks every input, in the order a user reads them, and throws the first problem as an InputError naming the field and the fix. */
export function parseRotatedAppRegistrationArgs(name: string, args: RotatedAppRegistrationArgs, at: DateTime = DateTime.utc(), formerName?: string): RotatedAppRegistrationPlan {
    const resource = `RotatedAppRegistration "${name}"`;
    checkRotatedAppRegistrationShape(resource, args, isPending);
    const schedule = planRotatingPassword(rotationKeyOf(resource, name, args.rotationKey, formerName), args.rotation, resource, at, { maxLifetime: args.maxLifetime });
    const { secretName } = args.vault;
    const url = typeof args.vault.url === "string" ? checkVaultUrl(args.vault.url, resource) : args.vault.url;
    if (typeof secretName === "string") checkSecretName(secretName, resource);
    checkReaders(args.readers, args.vault.resourceId, resource);
    checkOwners(args.owners, resource);
    const readers = readerKeys(args.readers ?? [], resource);
    checkSignInAudience(args.application?.signInAudience, resource);
    const federated = federatedCredentials(resource, args.federated ?? []);
    checkConsumers(resource, args.consumers);
    checkProofArgs(resource, args.proof);
    const retire = isPending(args.retire) ? pendingRetire(resource) : parseRetire(resource, args.retire);
    if (retire && typeof secretName === "string") checkInUseAlertName(resource, secretName);
    return {
        resource,
        schedule,
        everyInForce: everyInForce(args.rotation, at),
        vault: {
            url, secretName, resourceId: args.vault.resourceId,
            secretUri: typeof url === "string" && typeof secretName === "string" ? `${url}/secrets/${secretName}` : undefined,
        },
        readers,
        owners: args.owners,
        audience: args.application?.signInAudience as string | undefined,
        federated,
        consumers: args.consumers,
        retire,
    };
}

function pendingRetire(resource: string): never {
    throw new InputError(resource, "retire", "is a pulumi Output", 'Write retire: { unusedFor: "P7D" } as a plain value: which credentials to ask about is decided before anything is declared.');
}

function checkConsumers(resource: string, consumers: unknown): void {
    if (consumers === undefined) return;
    const bad = Array.isArray(consumers) ? consumers.find((c) => !isConsumerKind(c)) : consumers;
    if (!Array.isArray(consumers) || bad !== undefined) {
        throw new InputError(resource, "consumers", `holds ${JSON.stringify(bad)}`, `List who reads the secret, from: ${CONSUMER_KINDS.join(", ")}.`);
    }
}

function everyInForce(rotation: RotationSettings | undefined, at: DateTime): string {
    const before = rotation?.since !== undefined && rotation.previous !== undefined
        && at < DateTime.fromISO(rotation.since, { zone: "utc" });
    return (before ? rotation!.previous!.every : rotation?.every) ?? DEFAULT_EVERY;
}
