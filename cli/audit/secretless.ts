// The audit's secretless section: how many app registrations sign in with federated credentials only,
// with both (the password can go), and with secrets or certificates only. Pure, plus one Graph read.
// Which apps have federated credentials comes from one advanced query, at 999 apps a page:
// $filter=federatedIdentityCredentials/$count ne 0 (the application resource: "federatedIdentityCredentials
// ... Supports $expand and $filter (startsWith, /$count eq 0, /$count ne 0)",
// https://learn.microsoft.com/graph/api/resources/application; /$count filters need ConsistencyLevel: eventual
// and $count=true, https://learn.microsoft.com/graph/aad-advanced-queries), not one
// GET /applications/{id}/federatedIdentityCredentials per app. Where advanced queries are not offered (B2C),
// $expand=federatedIdentityCredentials: pages of 100 (https://learn.microsoft.com/graph/query-parameters#expand),
// at most 20 related objects each, which is also the most an app can have.
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

export function secretlessSection(apps: readonly DirectoryApp[], withFederated: ReadonlySet<string>): SecretlessSection {
    const section: SecretlessSection = { apps: 0, federatedOnly: 0, both: 0, secretsOnly: 0, noCredentials: 0, secretlessShare: null, readyToDropSecret: [] };
    for (const app of apps) {
        if (app.kind !== "application") continue;
        section.apps++;
        const federated = withFederated.has(app.id);
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
    list<T>(collection: string, firstUrl: string, headers?: Record<string, string>): Promise<T[]>;
}

/** Object ids of the applications that have at least one federated credential. */
export async function readAppsWithFederatedCredentials(reader: PageReader, graphUrl: string): Promise<Set<string>> {
    try {
        const query = new URLSearchParams({ $filter: "federatedIdentityCredentials/$count ne 0", $count: "true", $select: "id", $top: "999" });
        const apps = await reader.list<{ id: string }>("applicationsWithFederatedCredentials", `${graphUrl}/v1.0/applications?${query}`, { ConsistencyLevel: "eventual" });
        return new Set(apps.map((a) => a.id));
    } catch (error) {
        const status = (error as { status?: number }).status ?? 0;
        if (status !== 400 && status !== 501) throw error;
    }
    const query = new URLSearchParams({ $select: "id", $expand: "federatedIdentityCredentials($select=id)", $top: "100" });
    const apps = await reader.list<{ id: string; federatedIdentityCredentials?: unknown[] | null }>("applicationFederatedCredentials", `${graphUrl}/v1.0/applications?${query}`);
    return new Set(apps.filter((a) => (a.federatedIdentityCredentials ?? []).length > 0).map((a) => a.id));
}

/** The HTML page's headline: the share of secretless apps. Numbers only, so nothing from the tenant needs escaping. */
export function secretlessHeadlineHtml(section: SecretlessSection | null | undefined): string {
    if (!section) return "";
    const n = (x: number) => String(Math.trunc(x));
    return `<div class="headline" id="secretless"><b id="secretless-share">${formatShare(section.secretlessShare)}</b> of app registrations with credentials are secretless`
        + ` <span>(${n(section.federatedOnly)} federated only, ${n(section.both)} with both: the secret can go, ${n(section.secretsOnly)} secrets only)</span></div>`;
}
