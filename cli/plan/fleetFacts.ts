// What `keyrelay plan` says about a fleet beside its timeline: the apps whose owners are not declared
// (whoever runs the first `pulumi up` owns them for good, issue 16.1), and the Microsoft Graph writes of
// the first run and of the busiest later day, to hold against Entra's write limits (docs/operations.md,
// "The first deploy of a large fleet"). Pure: no Pulumi, no clock.
import { TYPE_TOKENS } from "../../components/typeTokens";
import type { PlannedApp } from "./derivedPlan";
import type { PlanResource } from "./fleetModel";

const APPLICATION = "azuread:index/application:Application";
const SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal";
/** Stack config that declares the owners of every app (components/, the owners helper's key). */
export const OWNERS_CONFIG_KEY = "keyrelay:owners";

function ownersOf(resource: PlanResource | undefined): string[] {
    const owners = resource?.inputs.owners;
    return Array.isArray(owners) ? owners.filter((o): o is string => typeof o === "string") : [];
}

function declaredInConfig(config: Record<string, unknown>): boolean {
    const value = config[OWNERS_CONFIG_KEY];
    const list = typeof value === "string" ? (() => { try { return JSON.parse(value); } catch { return value; } })() : value;
    return Array.isArray(list) ? list.length > 0 : typeof list === "string" && list.trim() !== "";
}

/**
 * The RotatedAppRegistrations of the first run whose owners are not declared: no `keyrelay:owners`
 * in the stack config, and no owner on the Application but the deploying principal (what
 * getClientConfig answered), compared case-insensitively as Entra compares object ids.
 */
export function appsWithoutDeclaredOwners(resources: readonly PlanResource[], deployer: string, config: Record<string, unknown>): string[] {
    if (declaredInConfig(config)) return [];
    const apps = resources.filter((r) => r.type === TYPE_TOKENS.rotatedAppRegistration);
    return apps.filter((app) => {
        const application = resources.find((r) => r.type === APPLICATION && r.parent === app.urn);
        return !ownersOf(application).some((o) => o.toLowerCase() !== deployer.toLowerCase());
    }).map((app) => app.name);
}

export interface GraphWrites {
    /** The first run, from an empty stack: every Entra object and password it creates, and each declared owner reference. */
    firstRun: number;
    /** The later day with the most writes (a password added, a password removed), and its count; undefined with no later writes. */
    busiestDay: { day: string; writes: number } | undefined;
}

/**
 * Graph writes, counted as Entra counts requests: one per object created (Application,
 * ServicePrincipal, each password and any other azuread resource), one per owner reference added
 * besides the deployer (the creator is the owner of what it creates), and on later days one per
 * password added (addPassword) and one per password removed (removePassword).
 */
export function graphWrites(firstRun: readonly PlanResource[], deployer: string, apps: readonly PlannedApp[], firstRunAt: string): GraphWrites {
    let first = 0;
    for (const r of firstRun) {
        if (!r.type.startsWith("azuread:")) continue;
        first += 1;
        if (r.type === APPLICATION || r.type === SERVICE_PRINCIPAL) {
            first += new Set(ownersOf(r).map((o) => o.toLowerCase()).filter((o) => o !== deployer.toLowerCase())).size;
        }
    }
    const firstDay = firstRunAt.slice(0, 10);
    const byDay = new Map<string, number>();
    const count = (at: string | undefined) => {
        if (at === undefined || at.slice(0, 10) === firstDay) return;
        byDay.set(at.slice(0, 10), (byDay.get(at.slice(0, 10)) ?? 0) + 1);
    };
    for (const app of apps) for (const c of app.credentials) { count(c.issued); count(c.removed); }
    let busiestDay: GraphWrites["busiestDay"];
    for (const [day, writes] of [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        if (!busiestDay || writes > busiestDay.writes) busiestDay = { day, writes };
    }
    return { firstRun: first, busiestDay };
}
