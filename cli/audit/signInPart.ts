// keyrelay audit --sign-ins: reads the window's service principal sign-ins once and judges every
// credential against them. A refusal (403: no AuditLog.Read.All, or no Entra ID P1/P2) is a note, never an abort.
import { DateTime } from "luxon";
import { lastSignIns } from "../../lib/signIns";
import { parseSignInWindow } from "../../lib/signInMatch";
import { AuditedCredential, AuditedSecret, Finding } from "./model";
import { judgeSignIns } from "./signInFindings";

export interface SignInPart {
    findings: Finding[];
    notes: string[];
    /** What was read, for the report: null when not asked for. */
    signIns: { window: string; since: string | null; available: boolean; read: number; pages: number } | null;
}

export async function signInPart(windowText: string | undefined, credentials: readonly AuditedCredential[], secrets: readonly AuditedSecret[],
    source: { graphUrl: string; get<T>(url: string): Promise<T> }, now: DateTime): Promise<SignInPart> {
    if (windowText === undefined) return { findings: [], notes: [], signIns: null };
    const window = parseSignInWindow(windowText);
    const evidence = await lastSignIns(undefined, window, source, now);
    if (!evidence.available) {
        return {
            findings: [],
            notes: [`--sign-ins ${windowText}: ${evidence.reason}. No credential-retiring-in-use or credential-unused findings were made.`],
            signIns: { window: windowText, since: null, available: false, read: 0, pages: 0 },
        };
    }
    const findings = judgeSignIns({ credentials, secrets, lastByKey: evidence.byKey, window, windowText, now });
    return {
        findings,
        notes: [`--sign-ins ${windowText}: ${evidence.signIns} service principal sign-ins since ${evidence.since}; the logs lag by minutes, sometimes longer.`],
        signIns: { window: windowText, since: evidence.since, available: true, read: evidence.signIns, pages: evidence.pages },
    };
}
