// The evidence gate's decisions: which retiring credentials a run asks about, and what the answer
// means. Pure: no Pulumi, no network, no clock (the caller passes `at`). docs/secretless.md, "evidence gate".
// - A credential is asked about once it has been out of Key Vault for a whole window (at ≥ servesUntil +
//   unusedFor): a window that still covers its time in service would always show use.
// - Unused through the window (the sign-in logs answered): it is no longer declared, so it retires early.
// - Used within the window, or the logs could not answer: it stays declared, until its own end (the
//   schedule already keeps a retiring credential declared until then).
import { DateTime, Duration } from "luxon";
import { InputError } from "../lib/errors";
import { canonicalOrigin } from "../lib/origin";
import { isLoopbackUrl } from "../lib/network";
import { printable } from "../lib/terminalText";
import { LastSignIn, SIGN_IN_RETENTION_DAYS } from "../lib/signInMatch";
import type { PlannedCredential } from "./schedule";

export const DEFAULT_GRAPH_URL = "https://graph.microsoft.com";

export interface RetireSettings {
    /** ISO-8601 window, P1D to P30D: a retiring credential with no sign-in for this long is retired early. */
    unusedFor: string;
    /** Microsoft Graph root; default https://graph.microsoft.com (sovereign clouds: their Graph host). */
    graphUrl?: string;
}

export interface RetirePlan {
    readonly unusedFor: Duration;
    readonly unusedForText: string;
    readonly graphUrl: string;
}

/** Checks `retire`; InputError naming the field and the fix. */
export function parseRetire(resource: string, retire: unknown): RetirePlan | undefined {
    if (retire === undefined) return undefined;
    if (retire === null || typeof retire !== "object" || Array.isArray(retire)) {
        throw new InputError(resource, "retire", `is ${JSON.stringify(retire)}, not an object`, 'Write retire: { unusedFor: "P7D" }, or leave it out.');
    }
    const { unusedFor, graphUrl } = retire as Partial<RetireSettings>;
    const window = typeof unusedFor === "string" ? Duration.fromISO(unusedFor) : Duration.invalid("not text");
    if (!window.isValid) {
        throw new InputError(resource, "retire.unusedFor", `is ${JSON.stringify(unusedFor)}, not an ISO-8601 duration (${window.invalidExplanation ?? window.invalidReason})`,
            'Write a window of whole days such as "P7D".');
    }
    const days = window.as("days");
    if (!Number.isInteger(days) || days < 1 || days > SIGN_IN_RETENTION_DAYS) {
        throw new InputError(resource, "retire.unusedFor", `is ${unusedFor}; the sign-in logs answer whole days from P1D up to P${SIGN_IN_RETENTION_DAYS}D back (their retention on Entra ID P1/P2)`,
            'Choose a window such as "P7D" (at most "P30D").');
    }
    return { unusedFor: window, unusedForText: unusedFor!, graphUrl: checkGraphUrl(resource, graphUrl) };
}

function checkGraphUrl(resource: string, graphUrl: unknown): string {
    if (graphUrl === undefined) return DEFAULT_GRAPH_URL;
    const origin = typeof graphUrl === "string" ? canonicalOrigin(graphUrl) : undefined;
    const secure = origin !== undefined && (origin.startsWith("https://") || isLoopbackUrl(origin));
    if (!origin || !secure || new URL(graphUrl as string).pathname.replace(/\/+$/, "") !== "") {
        throw new InputError(resource, "retire.graphUrl", `is ${JSON.stringify(graphUrl)}, not the https root of Microsoft Graph`,
            'Use "https://graph.microsoft.com", or your cloud\'s Graph root (e.g. "https://graph.microsoft.us"), with no path.');
    }
    return origin;
}

/** The planned credentials the gate asks about at `at`: out of service for a whole window, not yet ended. */
export function retirementCandidates(credentials: readonly PlannedCredential[], at: DateTime, unusedFor: Duration): PlannedCredential[] {
    return credentials.filter((c) => !c.inService && c.servesUntil.plus(unusedFor) <= at && c.endDate > at);
}

/** What the gate found out about one candidate. */
export type RetirementAnswer =
    /** Entra holds no password of this slot: it retired on an earlier run. */
    | { kind: "gone" }
    | { kind: "unused"; keyIds: string[] }
    | { kind: "in-use"; keyIds: string[]; last: LastSignIn }
    | { kind: "unknown"; reason: string };

export interface RetirementDecision {
    slot: string;
    /** Declared this run: true unless the logs showed no sign-in (or the password is already gone). */
    keep: boolean;
    answer: RetirementAnswer["kind"];
    keyIds: string[];
    /** RFC 3339 end of the credential: how long a kept one stays. */
    endDate: string;
    lastSignIn?: string;
    /** Who signed in with it: IP address and the resource it asked a token for. */
    consumer?: string;
    /** One sanitised line for the deployment log. */
    message: string;
}

/** The decision and its log line; every piece of tenant text passes through printable(). */
export function decideRetirement(resource: string, credential: PlannedCredential, answer: RetirementAnswer, window: string): RetirementDecision {
    const endDate = credential.endDate.toUTC().toISO({ suppressMilliseconds: true })!;
    const slot = `slot ${credential.slot}`;
    switch (answer.kind) {
        case "gone":
            return { slot: credential.slot, keep: false, answer: "gone", keyIds: [], endDate, message: `${resource}: ${slot} has no password in Entra (never issued, or retired on an earlier run); not declared.` };
        case "unused":
            return {
                slot: credential.slot, keep: false, answer: "unused", keyIds: answer.keyIds, endDate,
                message: `${resource}: ${slot} (key id ${answer.keyIds.map(printable).join(", ")}) has not signed in for ${window}; it retires now instead of at ${endDate}.`,
            };
        case "in-use": {
            const consumer = `${printable(answer.last.ipAddress ?? "unknown IP")} for ${printable(answer.last.resource ?? "an unknown resource")}`;
            const lastSignIn = printable(answer.last.at);
            return {
                slot: credential.slot, keep: true, answer: "in-use", keyIds: answer.keyIds, endDate, lastSignIn, consumer,
                message: `${resource}: retiring credential key id ${printable(answer.last.keyId)} (${slot}) is still in use: last sign-in ${lastSignIn} from ${consumer} (${answer.last.count} in ${window}). `
                    + `It stays until its own end, ${endDate}: find that consumer and make it read the newest secret version.`,
            };
        }
        case "unknown":
            return {
                slot: credential.slot, keep: true, answer: "unknown", keyIds: [], endDate,
                message: `${resource}: ${slot} kept (the evidence gate fails closed): ${printable(answer.reason)}.`,
            };
    }
}
