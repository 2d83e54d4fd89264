// Benchmark: the lookups every RotatedAppRegistration makes in the stack's last state (owners already
// there, passwords held), for a fleet of N apps (default 10,000) with 8 resources each, through the
// per-run index (components/lastState.ts indexOf). Scanning the whole state per app took 146 s here.
// Run: npx ts-node --transpile-only bench/last-state-lookups.ts [apps]
import { ownersAlreadyThere } from "../components/ownerUnion";
import { heldPasswords } from "../components/heldCredentials";
import { LastStateResource, indexOf } from "../components/lastState";

const apps = Number(process.argv[2] ?? 10_000);
const state: LastStateResource[] = [];
for (let i = 0; i < apps; i++) {
    const name = `app-${i}`;
    const parent = "urn:pulumi:prod::platform::keyrelay:index:RotatedAppRegistration";
    state.push({ urn: `${parent}$azuread:index/application:Application::${name}`, type: "azuread:index/application:Application", outputs: { owners: ["5f1b2c3d-0000-4000-a000-00000000d3b1"] } });
    state.push({ urn: `${parent}$azuread:index/servicePrincipal:ServicePrincipal::${name}-sp`, type: "azuread:index/servicePrincipal:ServicePrincipal", outputs: { owners: ["5f1b2c3d-0000-4000-a000-00000000d3b1"] } });
    for (const slot of ["a", "b"]) {
        state.push({
            urn: `urn:pulumi:prod::platform::keyrelay:index:RotatingPassword$azuread:index/applicationPassword:ApplicationPassword::${name}-password-${slot}`,
            type: "azuread:index/applicationPassword:ApplicationPassword",
            outputs: { applicationId: `/applications/${i}`, displayName: `${name} (keyrelay slot ${slot})`, rotateWhenChanged: { "keyrelay-period-start": "2027-01-01T00:00:00Z" } },
        });
    }
    for (const other of ["", "-password", "-secret", "-reader-x"]) state.push({ urn: `${parent}$other::${name}${other}`, type: "other", outputs: {} });
}
const started = process.hrtime.bigint();
const index = indexOf(state);
for (let i = 0; i < apps; i++) {
    ownersAlreadyThere(index, `app-${i}`);
    heldPasswords(index, `/applications/${i}`);
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;
console.log(JSON.stringify({ apps, resources: state.length, ms: Math.round(ms) }));
