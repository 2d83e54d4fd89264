// What check() refuses beyond the shape of the inputs: a second writer of one secret in the same
// deployment, and an undeclared change of the rotation schedule. Both compare what only the engine
// knows at preview: every resource's inputs (the host serves the whole deployment) and the last
// run's inputs (olds).
import { DateTime } from "luxon";
import { InputProblem, UNKNOWN_INPUT } from "../validate";
import { VaultSecretFields, canonicalVaultUrl } from "./vaultSecretDiff";
import { declaredRotationBlock, movedRotationDay, parseScheduleRecord, undeclaredScheduleChange } from "./scheduleRecord";
import { checkSinceChange } from "../sinceChange";
import { isInputError } from "../../lib/errors";

/**
 * The writer of each secret checked in this process. The engine runs one dynamic provider host for
 * all of a deployment's dynamic resources (one default provider per package) and calls check() for
 * every resource before any of them is created or updated (pulumi/pulumi pkg/resource/deploy/
 * step_generator.go, generateSteps: prov.Check precedes every step), so two resources of one run
 * that write one secret, spelled as Outputs the program could not compare, meet here before either
 * writes. Were a host ever started per resource, this finds nothing and the writer tag check at
 * the first write (checkWriter) still refuses the second writer.
 */
const writersInThisHost = new Map<string, string>();

export function secondWriterProblem(news: Partial<VaultSecretFields>): InputProblem | undefined {
    const { vaultUrl, name, writer } = news;
    if (typeof vaultUrl !== "string" || typeof name !== "string" || typeof writer !== "string") return undefined;
    if ([vaultUrl, name, writer].includes(UNKNOWN_INPUT)) return undefined;
    const key = `${canonicalVaultUrl(vaultUrl)}/secrets/${name.toLowerCase()}`;
    const first = writersInThisHost.get(key);
    if (first === undefined || first === writer) {
        writersInThisHost.set(key, writer);
        return undefined;
    }
    return {
        field: "name",
        problem: `is "${name}" in ${canonicalVaultUrl(vaultUrl)}, which another resource of this deployment ("${first}") also writes (Key Vault names are case-insensitive)`,
        fix: "Give each writer its own secret name, or remove one of them: two writers would overwrite each other's credential on every run",
    };
}

export function scheduleProblem(olds: Partial<VaultSecretFields>, news: Partial<VaultSecretFields>, now: DateTime): InputProblem | undefined {
    const sinceProblem = movedSinceProblem(olds, news, now);
    if (sinceProblem) return sinceProblem;
    const moved = movedRotationDay(olds?.schedule, news.schedule);
    if (moved) {
        return { field: "schedule", problem: moved, fix: "Set rotationKey to the name the rotation day came from (after a rename, the name in the component's aliases), so the day stays" };
    }
    const problem = undeclaredScheduleChange(olds?.schedule, news.schedule, now);
    if (!problem) return undefined;
    const block = declaredRotationBlock(parseScheduleRecord(olds.schedule)!, parseScheduleRecord(news.schedule)!, now);
    return { field: "schedule", problem, fix: `Declare the change, so the credentials in service stay through the transition: ${block}` };
}

/** A rotation.since newly set or moved to before this run (components/sinceChange.ts); the state's record says what it was. */
function movedSinceProblem(olds: Partial<VaultSecretFields>, news: Partial<VaultSecretFields>, now: DateTime): InputProblem | undefined {
    const recorded = parseScheduleRecord(olds?.schedule);
    const declared = parseScheduleRecord(news.schedule);
    if (!recorded || !declared) return undefined;
    try {
        checkSinceChange(recorded.since, declared.since, now);
        return undefined;
    } catch (error) {
        if (!isInputError(error)) throw error;
        return { field: "schedule", problem: `rotation.since ${error.message.replace(/^.*?rotation\.since /, "")}`, fix: error.fix ?? "" };
    }
}
