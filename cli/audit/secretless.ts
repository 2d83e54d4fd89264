// The audit's secretless section: how many app registrations sign in with federated credentials only,
// with both (the password can go), and with secrets or certificates only. Pure, plus one Graph read.
// Federated credentials come with the applications list through $expand (application resource:
// "federatedIdentityCredentials ... Supports $expand", https://learn.microsoft.com/graph/api/resources/application),
// not one GET /applications/{id}/federatedIdentityCredentials per app. An expanded page holds at most 100
// objects and at most 20 related ones each (https://learn.microsoft.com/graph/query-parameters#expand),
// which is also the most federated credentials an app can have.
import { DirectoryApp } from "./model";

export interface SecretlessSection {
    /** Applications counted (service principals are not: trusts live on the app registration). */
    apps: number;
    /** Federated credentials and no password or certificate. */
    federatedOnly: number;
    /** Federated credentials and a password or certificate: the secret can go once sign-ins show it unused. */
    both: number;
    /** Passwords or certificates and no federated credential. */
    secretsOnly: number;
    /** Neither (e.g. apps that only expose an API). */
    noCredentials: number;
    /** federatedOnly / (federatedOnly + both + secretsOnly), 0..1; null when no app has a credential. */
    secretlessShare: number | null;
    /** The apps with both, by display name and client id: the next to finish moving. */
    readyToDropSecret: { displayName: string; appId: string }[];
}

export function secretlessSection(apps: readonly DirectoryApp[], federatedCount: ReadonlyMap<string, number>): SecretlessSection {
    const section: SecretlessSection = { apps: 0, federatedOnly: 0, both: 0, secretsOnly: 0, noCredentials: 0, secretlessShare: null, readyToDropSecret: [] };
    for (const app of apps) {
        if (app.kind !== "application") continue;
        section.apps++;
        const federated = (federatedCount.get(app.id) ?? 0) > 0;
        const secrets = app.passwordCredentials.length + app.keyCredentials.length > 0;
        if (federated && secrets) {
            section.both++;
            section.readyToDropSecret.push({ displayName: app.displayName, appId: app.appId });
        } else if (federated) section.federatedOnly++;
        else if (secrets) section.secretsOnly++;
        else section.noCredentials++;
    }
    const withCredentials = section.federatedOnly + section.both + section.secretsOnly;
    section.secretlessShare = withCredentials === 0 ? null : section.federatedOnly / withCredentials;
    return section;
}

export function formatShare(share: number | null): string {
    return share === null ? "-" : `${Math.round(share * 100)}%`;
}

interface PageReader {
    list<T>(collection: string, firstUrl: string): Promise<T[]>;
}

/** Object id to the number of federated credentials, for every application, in one paged pass. */
export async function readFederatedCounts(reader: PageReader, graphUrl: string): Promise<Map<string, number>> {
    const query = new URLSearchParams({ $select: "id", $expand: "federatedIdentityCredentials($select=id)", $top: "100" });
    const apps = await reader.list<{ id: string; federatedIdentityCredentials?: unknown[] | null }>("applicationFederatedCredentials", `${graphUrl}/v1.0/applications?${query}`);
    return new Map(apps.map((a) => [a.id, (a.federatedIdentityCredentials ?? []).length]));
}

/** The HTML page's headline: the share of secretless apps. Numbers only, so nothing from the tenant needs escaping. */
export function secretlessHeadlineHtml(section: SecretlessSection | null | undefined): string {
    if (!section) return "";
    const n = (x: number) => String(Math.trunc(x));
    return `<div class="headline" id="secretless"><b id="secretless-share">${formatShare(section.secretlessShare)}</b> of app registrations with credentials are secretless`
        + ` <span>(${n(section.federatedOnly)} federated only, ${n(section.both)} with both: the secret can go, ${n(section.secretsOnly)} secrets only)</span></div>`;
}
