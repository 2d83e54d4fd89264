// keyrelay audit --sign-ins: each credential checked against its sign-ins in the window. Pure.
// credential-retiring-in-use: Key Vault no longer holds it (a keyrelay credential a newer one replaced,
// or a password no checked vault secret holds while the app has one), yet it signed in within the
// window: some consumer cached it or pinned a secret version.
// credential-unused: no sign-in in the window although it was valid all through it: a removal candidate.
import { DateTime, Duration } from "luxon";
import type { LastSignIn } from "../../lib/signInMatch";
import { AuditedCredential, AuditedSecret, FINDING_SEVERITIES, Finding } from "./model";

/** Sign-in log text (an IP, a resource's display name) as one short printable line: it comes from the tenant. */
function plain(text: string | null, fallback: string): string {
    if (!text) return fallback;
    return text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, "?").slice(0, 120);
}

/** Findings made only with --sign-ins. */
export const SIGN_IN_FINDING_CODES: readonly string[] = ["credential-retiring-in-use", "credential-unused"];

export interface SignInJudgementInput {
    credentials: readonly AuditedCredential[];
    secrets: readonly AuditedSecret[];
    lastByKey: ReadonlyMap<string, LastSignIn>;
    window: Duration;
    /** The window as written, e.g. "P7D", for messages. */
    windowText: string;
    now: DateTime;
}

/** True when Key Vault no longer holds this credential though it holds (or held) the app's secret. */
export function noLongerInVault(credential: AuditedCredential, secrets: readonly AuditedSecret[]): boolean {
    if (credential.retiring) return true;
    if (credential.type !== "password" || credential.heldBy.length > 0) return false;
    const appId = credential.app.appId.toLowerCase();
    return secrets.some((s) => s.clientId.toLowerCase() === appId);
}

export function judgeSignIns(input: SignInJudgementInput): Finding[] {
    const findings: Finding[] = [];
    const windowStart = input.now.minus(input.window);
    for (const c of input.credentials) {
        const end = c.endDateTime ? DateTime.fromISO(c.endDateTime, { zone: "utc" }) : undefined;
        if (end && end <= input.now) continue; // expired: credential-expired already says so
        const app = { displayName: c.app.displayName, appId: c.app.appId, kind: c.app.kind };
        const last = input.lastByKey.get(c.keyId.toLowerCase());
        const what = `${c.type} ${c.displayName ? `"${c.displayName}" ` : ""}(${c.keyId}) of ${c.app.displayName}`;
        if (last && noLongerInVault(c, input.secrets)) {
            findings.push({
                code: "credential-retiring-in-use", severity: FINDING_SEVERITIES["credential-retiring-in-use"], app, clientId: c.app.appId, keyId: c.keyId,
                message: `The ${what} is no longer the one in Key Vault, yet it signed in ${last.count} time(s) in the last ${input.windowText}, last at ${last.at} from ${plain(last.ipAddress, "an unknown IP")} for ${plain(last.resource, "an unknown resource")}. `
                    + `Some consumer cached it or pinned a secret version: find it by that IP and resource and make it read the versionless secret URI before ${c.endDateTime ?? "the credential ends"}.`,
            });
            continue;
        }
        const start = c.startDateTime ? DateTime.fromISO(c.startDateTime, { zone: "utc" }) : undefined;
        if (!last && start && start <= windowStart) {
            findings.push({
                code: "credential-unused", severity: FINDING_SEVERITIES["credential-unused"], app, clientId: c.app.appId, keyId: c.keyId,
                message: `The ${what} has not signed in during the last ${input.windowText} (logs since ${windowStart.toISO({ suppressMilliseconds: true })}). `
                    + (c.managedByKeyrelay ? "keyrelay removes it when its period ends; nothing to do unless you want it gone sooner." : "It is a removal candidate: delete it once its owner confirms nothing uses it."),
            });
        }
    }
    return findings;
}
