// The `proof` argument of VaultSecret and RotatedAppRegistration: how a new client secret proves
// itself at Entra's token endpoint before Key Vault points at it (docs/proof.md). Pure checks, so a
// bad value fails before anything is created.
import type * as pulumi from "@pulumi/pulumi";
import { Duration } from "luxon";
import { InputError } from "../lib/errors";

export const DEFAULT_PROOF_ATTEMPTS = 3;
export const MAX_PROOF_ATTEMPTS = 10;
export const DEFAULT_PROOF_WITHIN = "PT5M";
/** The longest budget: a longer one would hold `pulumi up` for most of an hour on one secret. */
export const MAX_PROOF_WITHIN = "PT30M";

/**
 * How a new credential proves itself: `attempts` token requests in a row must succeed, all within
 * `within`. Set `proof: false` instead only where the deployment cannot reach the token endpoint
 * (see docs/proof.md).
 */
export interface CredentialProofArgs {
    /** Successful token requests in a row that prove the credential, 1 to 10; default 3. */
    attempts?: number;
    /** ISO-8601 budget for the whole proof, up to PT30M; default PT5M. */
    within?: string;
    /** Tenant of the app (directory id); default the deploying principal's tenant (azuread getClientConfig). */
    tenantId?: pulumi.Input<string>;
    /** The app's client id; default the secret's `client-id` tag. */
    clientId?: pulumi.Input<string>;
}

/** What the provider receives: the tenant resolved; attempts and within default in the provider. */
export interface CredentialProofFields {
    attempts?: number;
    within?: string;
    tenantId: string;
    clientId?: string;
}

export interface ProofProblem {
    field: string;
    problem: string;
    fix: string;
}

function describe(value: unknown): string {
    return value === undefined ? "missing" : JSON.stringify(value) ?? String(value);
}

/** Every problem with a `proof` value (`false`, or an object), each naming the field and the fix. */
export function proofProblems(proof: unknown, field = "proof", isPending: (value: unknown) => boolean = () => false): ProofProblem[] {
    if (proof === undefined || proof === false || isPending(proof)) return [];
    if (proof === null || typeof proof !== "object" || Array.isArray(proof)) {
        return [{ field, problem: `is ${describe(proof)}, not an object or false`, fix: 'Write proof: { attempts: 3, within: "PT5M" } (or leave it out for those defaults), or proof: false to write without proof.' }];
    }
    const problems: ProofProblem[] = [];
    const { attempts, within } = proof as { attempts?: unknown; within?: unknown };
    if (attempts !== undefined && !isPending(attempts) && (typeof attempts !== "number" || !Number.isInteger(attempts) || attempts < 1 || attempts > MAX_PROOF_ATTEMPTS)) {
        problems.push({ field: `${field}.attempts`, problem: `is ${describe(attempts)}, not a whole number from 1 to ${MAX_PROOF_ATTEMPTS}`,
            fix: `Use e.g. attempts: ${DEFAULT_PROOF_ATTEMPTS} (successful token requests in a row; Entra's replicas learn a new secret at different times).` });
    }
    if (within !== undefined && !isPending(within)) {
        const budget = typeof within === "string" ? Duration.fromISO(within) : undefined;
        const max = Duration.fromISO(MAX_PROOF_WITHIN);
        if (!budget || !budget.isValid) {
            problems.push({ field: `${field}.within`, problem: `is ${describe(within)}, not an ISO-8601 duration${budget?.invalidExplanation ? ` (${budget.invalidExplanation})` : ""}`,
                fix: `Use e.g. within: "${DEFAULT_PROOF_WITHIN}" (five minutes).` });
        } else if (budget.toMillis() <= 0 || budget.toMillis() > max.toMillis()) {
            problems.push({ field: `${field}.within`, problem: `is ${describe(within)}, outside (PT0S, ${MAX_PROOF_WITHIN}]`,
                fix: `Use a budget above zero and at most ${MAX_PROOF_WITHIN}, e.g. "${DEFAULT_PROOF_WITHIN}"; a secret that has not propagated by then is retried by the next scheduled run.` });
        }
    }
    return problems;
}

/** Throws the first problem as an InputError naming the resource, the field and the fix. */
export function checkProofArgs(resource: string, proof: unknown, field = "proof", isPending?: (value: unknown) => boolean): void {
    const [first] = proofProblems(proof, field, isPending);
    if (first) throw new InputError(resource, first.field, first.problem, first.fix);
}

/** The budget in force: defaults applied, `within` in milliseconds. Call after proofProblems found none. */
export function proofBudget(proof: Pick<CredentialProofFields, "attempts" | "within">): { attempts: number; withinMs: number; within: string } {
    const within = proof.within ?? DEFAULT_PROOF_WITHIN;
    return { attempts: proof.attempts ?? DEFAULT_PROOF_ATTEMPTS, within, withinMs: Duration.fromISO(within).toMillis() };
}
