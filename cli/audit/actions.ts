// What to do about each finding: one line of action and the exact commands, with the ids filled in.
// For a credential keyrelay manages, the fix is the stack's next `pulumi up` (then `keyrelay verify`);
// for anything else, `az`. Pure: the report in, text out. Only values checked against a strict
// pattern (GUIDs, vault and secret names, dates) reach a command; anything else becomes a <placeholder>,
// so a hostile display name or tag cannot put shell syntax in a command someone pastes.
import { DateTime } from "luxon";
import { AuditedCredential, AuditedSecret, Finding } from "./model";

export interface FindingAction {
    /** One line: what to do. */
    action: string;
    /** Shell commands, in order; a long one is split with " \" continuations. */
    commands: string[];
}

/** What the action needs besides the finding, looked up in the report (findingContext). */
export interface FindingContext {
    now: DateTime;
    /** The credential the finding names by keyId. */
    credential?: AuditedCredential;
    /** The secret the finding names, or else a checked secret of the same app (where a new value goes). */
    secret?: AuditedSecret;
    /** The tenant id, for `keyrelay verify --tenant`. */
    tenantId?: string | null;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Key Vault names: 3-24 letters, digits and hyphens (https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates). */
const VAULT_HOST = /^([a-z0-9-]{3,24})\.vault\.[a-z0-9.-]+$/i;
/** Secret names: 1-127 letters, digits and hyphens (same page). */
const SECRET_NAME = /^[0-9a-z-]{1,127}$/i;
/** Lifetime of a credential issued by hand, unless the tenant's limit is shorter. */
const NEW_CREDENTIAL_DAYS = 180;
const PULUMI_UP = "pulumi up   # in the stack that declares this app; keyrelay rotates on every run that is due";

const guid = (value: string | undefined | null, placeholder: string) => (value && GUID.test(value) ? value.toLowerCase() : `<${placeholder}>`);

/** The vault's name for `az keyvault --vault-name`. */
export function vaultNameOf(vaultUrl: string | undefined): string {
    try {
        const match = VAULT_HOST.exec(new URL(vaultUrl ?? "").hostname);
        if (match) return match[1].toLowerCase();
    } catch { /* not a URL */ }
    return "<vault name>";
}

function vaultOrigin(vaultUrl: string | undefined): string {
    try {
        const origin = new URL(vaultUrl ?? "").origin;
        if (/^https:\/\/[a-z0-9.:[\]-]+$/i.test(origin)) return origin;
    } catch { /* not a URL */ }
    return "<vault url>";
}

const secretName = (name: string | undefined) => (name && SECRET_NAME.test(name) ? name : "<secret name>");

/** The credential, the secret and the tenant a finding's action needs, from the report. */
export function findingContext(report: { checkedAt: string; credentials: readonly AuditedCredential[]; secrets: readonly AuditedSecret[]; tenant?: { id: string | null } }, f: Finding): FindingContext {
    const appId = (f.app?.appId ?? f.clientId).toLowerCase();
    const credential = f.keyId ? report.credentials.find((c) => c.keyId === f.keyId && c.app.appId.toLowerCase() === appId) : undefined;
    const secret = f.secret
        ? report.secrets.find((s) => s.vault === f.vault && s.name === f.secret)
        : report.secrets.find((s) => s.clientId.toLowerCase() === appId);
    return { now: DateTime.fromISO(report.checkedAt, { zone: "utc" }), credential, secret, tenantId: report.tenant?.id ?? null };
}

export function findingAction(f: Finding, context: FindingContext): FindingAction {
    const { credential, secret } = context;
    const appId = guid(f.app?.appId ?? f.clientId, "client id");
    const keyId = guid(f.keyId, "key id");
    const sp = (credential?.app.kind ?? f.app?.kind) === "servicePrincipal";
    const ad = sp ? "az ad sp" : "az ad app";
    const certificate = credential?.type === "key";
    const what = certificate ? "certificate" : "client secret";
    const vault = vaultNameOf(secret?.vault ?? f.vault);
    const name = secretName(secret?.name ?? f.secret);
    const days = Math.max(1, Math.min(NEW_CREDENTIAL_DAYS, Math.floor(credential?.lifetimeLimitDays ?? NEW_CREDENTIAL_DAYS)));
    const endDate = context.now.plus({ days }).toISODate()!;
    const today = context.now.toISODate()!;
    const reset = `${ad} credential reset --id ${appId} --append --display-name rotated-${today} --end-date ${endDate}`;
    const tags = secret?.source === "tag" ? ` --tags client-id=${appId}` : "";
    /** A new client secret straight into the vault secret: the value is never shown. */
    const reissueIntoSecret = `az keyvault secret set --vault-name ${vault} --name ${name} --expires ${endDate}T00:00:00Z${tags} \\\n    --value "$(${reset} --query password -o tsv)"`;
    const reissue = certificate ? `${ad} credential reset --id ${appId} --append --cert @<new-certificate.pem>`
        : secret ? reissueIntoSecret : `# prints the new value once: store it where the app's consumers read it\n${reset} --query password -o tsv`;
    const remove = `${ad} credential delete --id ${appId} --key-id ${keyId}${certificate ? " --cert" : ""}`;
    const tenant = context.tenantId && GUID.test(context.tenantId) ? ` --tenant ${context.tenantId.toLowerCase()}` : "";
    const verify = `keyrelay verify --vault ${vaultOrigin(secret?.vault ?? f.vault)} --secret ${name}${tenant}`;
    const managed = credential?.managedByKeyrelay ?? secret?.managedByKeyrelay ?? false;
    const end = credential?.endDateTime?.slice(0, 10);
    // az's --expires takes Y-m-d'T'H:M:S'Z': whole seconds.
    const endExact = credential?.endDateTime && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(credential.endDateTime) ? `${credential.endDateTime.slice(0, 19)}Z` : "<credential end>";
    const keyrelayRun = (why: string): FindingAction => ({ action: why, commands: secret ? [PULUMI_UP, verify] : [PULUMI_UP] });

    switch (f.code) {
        case "credential-expired":
            return managed ? keyrelayRun("keyrelay's scheduled run has stopped: run pulumi up for the stack now, then check the vault's value signs in.")
                : { action: `Issue a new ${what}${secret ? " into Key Vault" : ""}, then delete the expired one.`, commands: [reissue, remove] };
        case "credential-expiring":
            return managed ? keyrelayRun(`keyrelay should have rotated it: run pulumi up for the stack before ${end ?? "it ends"}.`)
                : { action: `Rotate before ${end ?? "it ends"}: issue a new ${what}, then delete this one once every consumer has the new one.`, commands: [reissue, remove] };
        case "credential-lifetime-over-policy":
            return managed ? keyrelayRun(`Shorten the component's credential lifetime to at most ${days} days, then run pulumi up.`)
                : { action: `Replace it with a ${what} valid for at most ${days} days, then delete this one.`, commands: [reissue, remove] };
        case "credential-data-invalid":
            return { action: "Look at the credential's dates; replace it if it is still in use.", commands: [`${ad} credential list --id ${appId} --query "[?keyId=='${keyId}']"`] };
        case "app-without-owner":
            return { action: "Add an owner, who is then told when its credentials expire (here: yourself).", commands: [`az ad app owner add --id ${appId} --owner-object-id "$(az ad signed-in-user show --query id -o tsv)"`] };
        case "secret-holds-secret-id":
        case "secret-value-whitespace":
        case "secret-wrong-app":
        case "secret-behind-rotation": {
            const why = {
                "secret-holds-secret-id": "Store a client secret's Value, not its Secret ID: issue a new one straight into the secret.",
                "secret-value-whitespace": "Store a clean value: issue a new client secret straight into the secret.",
                "secret-wrong-app": "Store a client secret of this app, not another app's: issue one straight into the secret.",
                "secret-behind-rotation": `A rotation did not reach Key Vault: store a current value before ${end ?? "the old one ends"}.`,
            }[f.code];
            return managed ? keyrelayRun(`${why.split(":")[0]}: run pulumi up for the stack, then verify.`) : { action: why, commands: [reissueIntoSecret, verify] };
        }
        case "secret-stale":
            if (!f.app) return { action: "No app in the tenant has this client id: fix the secret's client-id tag, or delete the secret.", commands: [`az keyvault secret show --vault-name ${vault} --name ${name} --query tags`, `az keyvault secret delete --vault-name ${vault} --name ${name}`] };
            return managed ? keyrelayRun("The secret's credential is gone: run pulumi up for the stack, then verify.")
                : { action: "The secret's credential is gone: issue a new client secret straight into the secret.", commands: [reissueIntoSecret, verify] };
        case "secret-expiry-mismatch":
            return { action: "Set the secret's expiry to its credential's end, so expiry alerts and keyrelay status tell the truth.", commands: [`az keyvault secret set-attributes --vault-name ${vault} --name ${name} --expires ${endExact}`] };
        case "credential-retiring-in-use":
            return { action: "A consumer still signs in with a credential Key Vault no longer holds: make it re-read Key Vault, then delete the credential.", commands: secret ? [verify, remove] : [remove] };
        case "credential-unused":
            return managed ? { action: `Nothing to do: keyrelay's own credential runs out by itself${end ? ` on ${end}` : ""}.`, commands: [] }
                : { action: "No sign-in with it in the whole window: delete it.", commands: [remove] };
    }
}
