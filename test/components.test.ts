import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { DateTime } from "luxon";
import { RotatedAppRegistration, RotatingPassword, VaultSecret } from "../components";
import { DAY_MS, SERVES_UNTIL_MARKER, PERIOD_START_MARKER, nextRotation, rotationSchedule, toRfc3339 } from "../components/schedule";
import * as azuread from "@pulumi/azuread";
import { parseRotatedAppRegistrationArgs } from "../components/rotatedAppRegistrationPlan";
import { formerNames, ownerUnion, ownersAlreadyThere } from "../components/ownerUnion";
import { indexOf } from "../components/lastState";
import { DEFAULT_DEPLOYING_PRINCIPAL, SimulatedEngine, SimulatedEngineOptions, TYPES } from "../simulation/engine";
import { ownersAfterCreate, ownersAfterUpdate } from "../simulation/azureRules";

const NOW = DateTime.fromISO("2026-11-26T02:00:00Z", { zone: "utc" });
const VAULT = "https://kv-platform.vault.azure.net";

async function deploy(program: () => unknown, at = NOW, options: Partial<SimulatedEngineOptions> = {}) {
    const engine = new SimulatedEngine({ program, ...options });
    const report = await engine.run(at);
    assert.deepEqual(report.errors.map((e) => e.message), []);
    return { engine, report };
}

function isSecretOutput(output: pulumi.Output<unknown>): Promise<boolean> {
    return (output as unknown as { isSecret: Promise<boolean> }).isSecret;
}

describe("RotatedAppRegistration under the mock runtime", () => {
    const billing = () => {
        const app = new RotatedAppRegistration("billing-api", {
            displayName: "Billing API",
            rotation: { every: "P90D" },
            vault: { url: VAULT, secretName: "billing-api-client-secret" },
            application: { signInAudience: "AzureADMyOrg" },
        });
        return { clientId: app.clientId, secretUri: app.secretUri, expiresAt: app.expiresAt, nextRotation: app.nextRotation, credentials: app.credentials };
    };

    it("declares the app, its service principal, time-boxed passwords and the Key Vault secret", async () => {
        const { engine } = await deploy(billing);
        const types = engine.resources().map((r) => r.type);
        assert.ok(types.includes("keyrelay:index:RotatedAppRegistration"));
        assert.ok(types.includes("keyrelay:index:RotatingPassword"));
        const [application] = engine.resourcesOfType(TYPES.application);
        assert.equal(application.inputs.displayName, "Billing API");
        assert.equal(application.inputs.signInAudience, "AzureADMyOrg");
        const [sp] = engine.resourcesOfType(TYPES.servicePrincipal);
        assert.equal(sp.inputs.clientId, application.outputs.clientId);
        assert.deepEqual(application.inputs.owners, [DEFAULT_DEPLOYING_PRINCIPAL]);
        assert.deepEqual(sp.inputs.owners, [DEFAULT_DEPLOYING_PRINCIPAL]);

        const passwords = engine.resourcesOfType(TYPES.applicationPassword);
        assert.equal(passwords.length, 1, "a first deploy creates the password in service only (issue 16 §5)");
        for (const password of passwords) {
            assert.equal(password.inputs.applicationId, application.id);
            assert.equal(password.inputs.startDate, undefined, "no startDate is sent: Entra stamps the creation time");
            assert.equal(password.outputs.startDate, "2026-11-26T02:00:00Z");
            const periodStart = password.inputs.rotateWhenChanged[PERIOD_START_MARKER];
            assert.match(periodStart, /^\d{4}-\d\d-\d\dT00:00:00Z$/);
            assert.match(password.inputs.endDate, /^\d{4}-\d\d-\d\dT00:00:00Z$/);
            assert.equal(Date.parse(password.inputs.endDate) - Date.parse(periodStart), 181 * DAY_MS);
            assert.ok(Date.parse(password.inputs.endDate) - NOW.toMillis() <= 181 * DAY_MS);
            assert.equal(password.inputs.endDateRelative, undefined);
            assert.ok(password.inputs.rotateWhenChanged[SERVES_UNTIL_MARKER]);
            assert.match(password.parent ?? "", /keyrelay:index:RotatingPassword/);
        }

        const [secret] = engine.resourcesOfType(TYPES.vaultSecret);
        const periodOf = (p: { inputs: Record<string, any> }) => p.inputs.rotateWhenChanged[PERIOD_START_MARKER] as string;
        const inService = passwords.reduce((a, b) => (periodOf(a) > periodOf(b) ? a : b));
        assert.equal(secret.inputs.vaultUrl, VAULT);
        assert.equal(secret.inputs.name, "billing-api-client-secret");
        assert.equal(secret.inputs.value, inService.outputs.value);
        assert.equal(secret.inputs.expiresOn, inService.inputs.endDate);
        assert.equal(secret.inputs.notBefore, periodOf(inService));
        assert.equal(secret.inputs.tags["client-id"], application.outputs.clientId);
        assert.equal(secret.inputs.tags["key-id"], inService.outputs.keyId);
        assert.equal(secret.inputs.tags.app, "billing-api");
        assert.deepEqual(secret.propertyDependencies.value, [inService.urn]);
        assert.equal(typeof secret.inputs.__provider, "string");
        assert.ok(!secret.inputs.__provider.includes(inService.outputs.value));
    });

    it("exports the client id, the versionless URI, the expiry, the next rotation and credential metadata, never a value", async () => {
        const { engine, report } = await deploy(billing);
        const outputs = report.stackOutputs as Record<string, any>;
        const passwords = engine.resourcesOfType(TYPES.applicationPassword);
        const inService = passwords.reduce((a, b) => (a.inputs.endDate > b.inputs.endDate ? a : b));
        assert.equal(outputs.clientId, engine.resourcesOfType(TYPES.application)[0].outputs.clientId);
        assert.equal(outputs.secretUri, `${VAULT}/secrets/billing-api-client-secret`);
        assert.equal(outputs.expiresAt, inService.inputs.endDate);
        assert.ok(Date.parse(outputs.nextRotation) > NOW.toMillis());
        assert.ok(Date.parse(outputs.nextRotation) - NOW.toMillis() <= 90 * DAY_MS);
        assert.equal(outputs.credentials.length, passwords.length);
        assert.deepEqual(outputs.credentials.filter((c: any) => c.inService).map((c: any) => c.keyId), [inService.outputs.keyId]);
        const text = JSON.stringify(outputs);
        for (const password of passwords) assert.ok(!text.includes(password.outputs.value), "a password value leaked into stack outputs");
        assert.ok(!/"value"/.test(text));
    });

    it("grants each reader Key Vault Secrets User on this one secret", async () => {
        const vaultId = "/subscriptions/0000-sub/resourceGroups/rg-platform/providers/Microsoft.KeyVault/vaults/kv-platform";
        const { engine } = await deploy(() => new RotatedAppRegistration("orders", {
            displayName: "orders",
            vault: { url: VAULT, secretName: "orders-client-secret", resourceId: vaultId },
            readers: ["11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"],
        }));
        const assignments = engine.resourcesOfType(TYPES.roleAssignment);
        assert.equal(assignments.length, 2);
        assert.deepEqual(assignments.map((a) => a.name).sort(), ["orders-reader-11111111-1111-1111-1111-111111111111", "orders-reader-22222222-2222-2222-2222-222222222222"]);
        assert.deepEqual(assignments.map((a) => a.inputs.principalId).sort(), ["11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"]);
        for (const assignment of assignments) {
            assert.equal(assignment.inputs.scope, `${vaultId}/secrets/orders-client-secret`);
            assert.equal(assignment.inputs.roleDefinitionId, "/subscriptions/0000-sub/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6");
        }
    });

    it("gives two instances distinct child names", async () => {
        const { engine } = await deploy(() => {
            new RotatedAppRegistration("one", { displayName: "one", vault: { url: VAULT, secretName: "one" } });
            new RotatedAppRegistration("two", { displayName: "two", vault: { url: VAULT, secretName: "two" } });
        });
        const names = engine.resources().map((r) => `${r.type}::${r.name}`);
        assert.equal(new Set(names).size, names.length);
        assert.equal(engine.resourcesOfType(TYPES.vaultSecret).length, 2);
    });
});

describe("RotatingPassword on its own", () => {
    it("exposes the in-service value as a secret, with its key id and end date", async () => {
        let password: RotatingPassword | undefined;
        const { engine } = await deploy(() => {
            password = new RotatingPassword("standalone", { applicationId: "/applications/abc", rotation: { every: "P30D", validFor: "P70D" } });
        });
        const passwords = engine.resourcesOfType(TYPES.applicationPassword);
        const inService = passwords.reduce((a, b) => (a.inputs.endDate > b.inputs.endDate ? a : b));
        assert.equal(await isSecretOutput(password!.value), true);
        const [keyId, endDate, startDate] = await new Promise<string[]>((resolve) =>
            pulumi.all([password!.keyId, password!.endDate, password!.startDate]).apply((v) => resolve(v)));
        assert.equal(keyId, inService.outputs.keyId);
        assert.equal(endDate, inService.inputs.endDate);
        assert.equal(Date.parse(endDate) - Date.parse(startDate), 70 * DAY_MS);
        assert.equal(passwords.every((p) => p.inputs.applicationId === "/applications/abc"), true);
    });

    it("takes every and validFor as a shorthand for rotation", async () => {
        const { engine } = await deploy(() => new RotatingPassword("shorthand", { applicationId: "/applications/abc", every: "P7D", validFor: "P30D" }));
        for (const p of engine.resourcesOfType(TYPES.applicationPassword)) {
            const periodStart = Date.parse(p.inputs.rotateWhenChanged[PERIOD_START_MARKER]);
            assert.equal(Date.parse(p.inputs.endDate) - periodStart, 30 * DAY_MS);
            assert.equal(Date.parse(p.inputs.rotateWhenChanged[SERVES_UNTIL_MARKER]) - periodStart, 7 * DAY_MS);
        }
    });
});

describe("VaultSecret", () => {
    it("is a dynamic resource typed pulumi-nodejs:dynamic/keyrelay:VaultSecret", async () => {
        const { engine } = await deploy(() => new VaultSecret("s", {
            vaultUrl: VAULT, name: "plain", value: "abc8Q~not-a-real-secret-value-0000000000", expiresOn: "2027-01-01T00:00:00Z",
        }));
        const [secret] = engine.resourcesOfType("pulumi-nodejs:dynamic/keyrelay:VaultSecret");
        assert.ok(secret, "registered under the dynamic type token");
        assert.equal(secret.inputs.expiresOn, "2027-01-01T00:00:00Z");
    });
});

describe("what Entra and ARM refuse, enforced by the harness", () => {
    const VAULT_ID = "/subscriptions/0000-sub/resourceGroups/rg-platform/providers/Microsoft.KeyVault/vaults/kv-platform";
    const READER = (n: number) => `${n}${n}${n}${n}${n}${n}${n}${n}-${n}${n}${n}${n}-4${n}${n}${n}-a${n}${n}${n}-${String(n).repeat(12)}`;

    const PIPELINE = "9d3c0000-0000-4000-a000-00000000beef";
    const PERSON = "aaaaaaaa-0000-4000-a000-000000000001";
    const ownersOf = (engine: SimulatedEngine) => [TYPES.application, TYPES.servicePrincipal].map((t) => engine.resourcesOfType(t)[0].outputs.owners);

    it("owners: declared owners are passed as they are, whoever deploys; duplicates in two cases become one lower-case id", async () => {
        const { engine } = await deploy(() => new RotatedAppRegistration("owned", {
            displayName: "owned", vault: { url: VAULT, secretName: "owned" }, owners: [PIPELINE.toUpperCase(), PERSON, PIPELINE],
        }), NOW, { deployingPrincipal: PERSON });
        assert.deepEqual(engine.resourcesOfType(TYPES.application)[0].inputs.owners, [PIPELINE, PERSON]);
        assert.deepEqual(ownersOf(engine), [[PIPELINE, PERSON], [PIPELINE, PERSON]]);
    });

    it("owners: stack config keyrelay:owners when the args declare none; the args win over it", async () => {
        const config = { "keyrelay:owners": [PIPELINE] };
        const fromConfig = await deploy(() => new RotatedAppRegistration("owned", { displayName: "owned", vault: { url: VAULT, secretName: "owned" } }), NOW, { config, deployingPrincipal: PIPELINE });
        assert.deepEqual(ownersOf(fromConfig.engine), [[PIPELINE], [PIPELINE]]);
        const fromArgs = await deploy(() => new RotatedAppRegistration("owned", { displayName: "owned", vault: { url: VAULT, secretName: "owned" }, owners: [PIPELINE, PERSON] }), NOW, { config, deployingPrincipal: PIPELINE });
        assert.deepEqual(ownersOf(fromArgs.engine), [[PIPELINE, PERSON], [PIPELINE, PERSON]]);
    });

    it("owners: none declared: the creator owns both; a later run by someone else (an administrator) adds that one and removes no one", async () => {
        const program = () => new RotatedAppRegistration("owned", { displayName: "owned", vault: { url: VAULT, secretName: "owned" } });
        const engine = new SimulatedEngine({ program, deployingPrincipal: PIPELINE, administrators: [PERSON] });
        assert.deepEqual((await engine.run(NOW)).errors, []);
        assert.deepEqual(ownersOf(engine), [[PIPELINE], [PIPELINE]]);
        assert.deepEqual((await engine.run(NOW.plus({ days: 1 }), PERSON)).errors, []);
        const both = [PIPELINE, PERSON].sort();
        assert.deepEqual(ownersOf(engine).map((o) => [...o].sort()), [both, both], "the person's run adds the person and leaves the pipeline an owner");
        assert.deepEqual((await engine.run(NOW.plus({ days: 2 }))).errors, []);
        assert.deepEqual(ownersOf(engine).map((o) => [...o].sort()), [both, both], "the pipeline's next run removes no one");
    });

    it("owners: none declared: renamed with an alias, a person's run still finds the owners already there and removes no one", async () => {
        let name = "owned";
        let opts: pulumi.ComponentResourceOptions = {};
        const program = () => new RotatedAppRegistration(name, { displayName: "owned", vault: { url: VAULT, secretName: "owned" } }, opts);
        const engine = new SimulatedEngine({ program, deployingPrincipal: PIPELINE, administrators: [PERSON] });
        assert.deepEqual((await engine.run(NOW)).errors, []);
        [name, opts] = ["owned-renamed", { aliases: [{ name: "owned" }] }];
        const renamed = await engine.run(NOW.plus({ days: 1 }), PERSON);
        assert.deepEqual(renamed.errors, []);
        assert.deepEqual([...renamed.created, ...renamed.replaced.map((r) => r.new)].filter((r) => r.type === TYPES.application), [], "the alias keeps the app");
        const both = [PIPELINE, PERSON].sort();
        assert.deepEqual(ownersOf(engine).map((o) => [...o].sort()), [both, both], "the pipeline stays an owner");
        assert.deepEqual((await engine.run(NOW.plus({ days: 2 }))).errors, [], "the pipeline's next run still owns the app");
    });

    it("renamed with an alias after rotations: no password replaced or deleted, Key Vault not written, the app kept", async () => {
        let name = "ledger";
        let opts: pulumi.ComponentResourceOptions = {};
        const program = () => new RotatedAppRegistration(name, { displayName: "ledger", rotation: { every: "P30D" }, vault: { url: VAULT, secretName: "ledger" } }, opts);
        const engine = new SimulatedEngine({ program });
        for (let day = 0; day <= 70; day++) assert.deepEqual((await engine.run(NOW.plus({ days: day }))).errors, [], `day ${day}`);
        const before = engine.resourcesOfType(TYPES.applicationPassword).map((r) => r.outputs.keyId).sort();
        assert.ok(before.length >= 2, "a retiring credential is held");
        [name, opts] = ["ledger-api", { aliases: [{ name: "ledger" }] }];
        const renamed = await engine.run(NOW.plus({ days: 70, hours: 2 })); // inside the same period: a rename alone changes nothing
        assert.deepEqual(renamed.errors, []);
        assert.deepEqual([...renamed.created, ...renamed.replaced.map((r) => r.new), ...renamed.deleted].map((r) => r.name), [], "nothing created, replaced or deleted");
        // The secret's app tag follows the name: one version, of the same credential (compared by key id; a value is never printed).
        assert.ok(renamed.vaultWrites.length <= 1, `${renamed.vaultWrites.length} writes`);
        for (const w of renamed.vaultWrites) assert.ok(before.includes(w.tags["key-id"]) && w.tags.app === "ledger-api", `wrote key id ${w.tags["key-id"]}, app ${w.tags.app}`);
        assert.deepEqual(engine.resourcesOfType(TYPES.applicationPassword).map((r) => r.outputs.keyId).sort(), before);
        // Later runs, alias kept, rotate on the days they did before the rename.
        for (let day = 71; day <= 100; day++) assert.deepEqual((await engine.run(NOW.plus({ days: day }))).errors, [], `day ${day}`);
        assert.ok(engine.runs.slice(-30).every((r) => r.deleted.every((d) => d.type !== TYPES.applicationPassword || Date.parse(d.inputs.endDate) <= r.at.toMillis() + 86_400_000)),
            "no password deleted more than a day before its end");
    });

    it("rotationKey: a rename keeps its rotation day without an alias in the schedule; an empty key is refused before anything is created", () => {
        const args = { displayName: "ledger", vault: { url: VAULT, secretName: "ledger" } };
        const at = NOW;
        const before = parseRotatedAppRegistrationArgs("ledger", args, at).schedule.nextRotation.toISO();
        assert.equal(parseRotatedAppRegistrationArgs("ledger-api", { ...args, rotationKey: "ledger" }, at).schedule.nextRotation.toISO(), before);
        assert.equal(parseRotatedAppRegistrationArgs("ledger-api", args, at, "ledger").schedule.nextRotation.toISO(), before, "the alias's name by default");
        assert.notEqual(parseRotatedAppRegistrationArgs("ledger-api", args, at).schedule.nextRotation.toISO(), before, "the name moves the day");
        assert.throws(() => parseRotatedAppRegistrationArgs("x", { ...args, rotationKey: " " }, at), /RotatedAppRegistration "x": rotationKey is " ", not a name\. Set it to the name the app had/);
    });

    it("owners: the union is read from the stack's last state, by type and name under any parent (another type of the same name adds nothing), each id once in lower case", () => {
        const state = indexOf([
            { urn: "urn:pulumi:dev::p::keyrelay:index:RotatedAppRegistration$pulumi-nodejs:dynamic/keyrelay:VaultSecret::owned", type: "pulumi-nodejs:dynamic/keyrelay:VaultSecret", outputs: { owners: ["22222222-2222-4222-a222-222222222222"] } },
            { urn: "urn:pulumi:dev::p::keyrelay:index:RotatedAppRegistration$azuread:index/application:Application::owned", type: "azuread:index/application:Application", outputs: { owners: [PIPELINE.toUpperCase()] } },
            { urn: "urn:pulumi:dev::p::keyrelay:index:FederatedAppRegistration$azuread:index/servicePrincipal:ServicePrincipal::owned-sp", type: "azuread:index/servicePrincipal:ServicePrincipal", outputs: { owners: [PERSON] } },
            { urn: "urn:pulumi:dev::p::azuread:index/application:Application::owned-too", type: "azuread:index/application:Application", outputs: { owners: ["11111111-1111-4111-a111-111111111111"] } },
        ]);
        assert.deepEqual(ownersAlreadyThere(state, "owned"), [PIPELINE, PERSON].sort());
        assert.deepEqual(ownersAlreadyThere(state, "absent"), []);
        assert.deepEqual(ownerUnion([PIPELINE], PERSON.toUpperCase()), [PIPELINE, PERSON].sort());
        assert.deepEqual(ownerUnion([PIPELINE, PERSON], PIPELINE), [PIPELINE, PERSON].sort());
        assert.deepEqual(ownersAlreadyThere(state, "renamed", formerNames([{ name: "owned" }, "urn:pulumi:dev::p::x::gone"])), [PIPELINE, PERSON].sort());
    });

    it("owners: the harness applies the provider's rules: no owners on create leaves none; a changed list replaces the owners exactly", () => {
        assert.deepEqual(ownersAfterCreate(undefined), []);
        assert.deepEqual(ownersAfterCreate([PIPELINE]), [PIPELINE]);
        assert.deepEqual(ownersAfterUpdate([PIPELINE, PERSON], [PIPELINE], [PIPELINE]), [PIPELINE, PERSON], "unchanged: left as they are");
        assert.deepEqual(ownersAfterUpdate([PIPELINE], [PIPELINE], [PERSON]), [PERSON], "changed: exactly the new list");
        assert.deepEqual(ownersAfterUpdate([PIPELINE], [PIPELINE], undefined), [], "left out: the empty set (Optional, not Computed)");
    });

    it("owners: a deployer-dependent owners input (the old deployer ∪ owners) locks the pipeline out after one person's run", async () => {
        const program = () => {
            const owners = azuread.getClientConfigOutput().objectId.apply((id) => [id]);
            const app = new azuread.Application("old", { displayName: "old", owners });
            new azuread.ServicePrincipal("old-sp", { clientId: app.clientId, owners });
        };
        const engine = new SimulatedEngine({ program, deployingPrincipal: PIPELINE, administrators: [PERSON] });
        assert.deepEqual((await engine.run(NOW)).errors, []);
        assert.deepEqual((await engine.run(NOW.plus({ days: 1 }), PERSON)).errors, []);
        assert.deepEqual(ownersOf(engine), [[PERSON], [PERSON]]);
        const locked = await engine.run(NOW.plus({ days: 2 }));
        assert.match(locked.errors.map((e) => e.message).join("\n"), /refused to update the application .*not among its owners .*HTTP 403/);
    });

    it("owners: a service principal or password for an app the deploying principal does not own is refused with 403", async () => {
        const engine = new SimulatedEngine({
            program: () => {
                const app = new azuread.Application("unowned", { displayName: "unowned", owners: ["aaaaaaaa-0000-4000-a000-000000000001"] });
                new azuread.ServicePrincipal("unowned-sp", { clientId: app.clientId });
                new RotatingPassword("unowned-password", { applicationId: app.id });
            },
        });
        const report = await engine.run(NOW);
        const messages = report.errors.map((e) => e.message);
        assert.ok(messages.some((m) => /service principal "unowned-sp" for application "unowned": the deploying principal .* is not among its owners .*\(HTTP 403 Authorization_RequestDenied\)/.test(m)), messages.join("\n"));
        assert.ok(messages.some((m) => /password "unowned-password-[abc]" for application "unowned"/.test(m)), messages.join("\n"));
        assert.equal(engine.directory.size, 0);
    });

    it("end dates: Entra refuses an end at or before now (KeyCredentialsInvalidEndDate); the harness refuses one under a day away (keyrelay's rule)", async () => {
        const program = (endDate: string) => () => {
            const app = new azuread.Application("ends", { displayName: "ends", owners: [DEFAULT_DEPLOYING_PRINCIPAL] });
            new azuread.ApplicationPassword("ends-password", { applicationId: app.id, endDate });
        };
        const past = await new SimulatedEngine({ program: program(NOW.toISO()!) }).run(NOW);
        assert.match(past.errors.map((e) => e.message).join("\n"), /password "ends-password": endDate .* is not after the request .*HTTP 400 KeyCredentialsInvalidEndDate/);
        const closeEngine = new SimulatedEngine({ program: program(NOW.plus({ hours: 12 }).toISO()!) });
        const close = await closeEngine.run(NOW);
        assert.match(close.errors.map((e) => `${e.name}: ${e.message}`).join("\n"), /KeyrelayRuleViolation: password "ends-password" would be created with 12.0 hours to live, under a day/);
        assert.equal(closeEngine.directory.size, 0, "refused: nothing was created");
        const fine = await new SimulatedEngine({ program: program(NOW.plus({ days: 30 }).toISO()!) }).run(NOW);
        assert.deepEqual(fine.errors, []);
    });

    it("held slots: the harness fails a run that creates a password for a Key Vault-backed app whose value never reaches Key Vault", async () => {
        const engine = new SimulatedEngine({ program: () => {
            const app = new azuread.Application("held", { displayName: "held", owners: [DEFAULT_DEPLOYING_PRINCIPAL] });
            const held = new azuread.ApplicationPassword("held-password", { applicationId: app.id, endDate: NOW.plus({ days: 90 }).toISO()! });
            new azuread.ApplicationPassword("unheld-password", { applicationId: app.id, endDate: NOW.plus({ days: 90 }).toISO()! });
            new VaultSecret("held-secret", { vaultUrl: VAULT, name: "held", value: held.value, expiresOn: held.endDate });
        } });
        const report = await engine.run(NOW);
        assert.deepEqual(report.errors.map((e) => `${e.name}: ${e.message}`), ['KeyrelayRuleViolation: password "unheld-password" was created and never reached Key Vault: a live secret kept only in state']);
        // Without a vault, a password is the program's own business: no rule to break.
        const bare = await new SimulatedEngine({ program: () => {
            const app = new azuread.Application("bare", { displayName: "bare", owners: [DEFAULT_DEPLOYING_PRINCIPAL] });
            new azuread.ApplicationPassword("bare-password", { applicationId: app.id, endDate: NOW.plus({ days: 90 }).toISO()! });
        } }).run(NOW);
        assert.deepEqual(bare.errors, []);
    });

    it("held slots: a first deploy creates only the password in service; each later one is created on its own rotation day, never after the fact", async () => {
        const engine = new SimulatedEngine({ program: () => new RotatedAppRegistration("billing-api", { displayName: "b", rotation: { every: "P30D" }, vault: { url: VAULT, secretName: "b" } }) });
        const first = await engine.run(NOW);
        assert.deepEqual(first.errors.map((e) => e.message), []);
        const created = first.created.filter((r) => r.type === TYPES.applicationPassword);
        assert.equal(created.length, 1, "one password on a first deploy, though the plan has retiring slots");
        assert.equal(first.vaultWrites[0].value === created[0].outputs.value, true, "and Key Vault holds it");
        assert.equal(engine.directory.size, 1);
        const schedule = rotationSchedule("billing-api", { every: "P30D" });
        // Runs on every day for 100 days: every password ever created reached Key Vault in its run.
        const written = new Set(first.vaultWrites.map((w) => w.value));
        for (let day = 1; day <= 100; day++) {
            const report = await engine.run(NOW.plus({ days: day }));
            assert.deepEqual(report.errors.map((e) => e.message), [], `day ${day}`);
            report.vaultWrites.forEach((w) => written.add(w.value));
        }
        for (const credential of engine.directory.values()) assert.ok(written.has(credential.value), `${credential.displayName}: never held by Key Vault`);
        assert.ok(engine.directory.size >= 4, `${engine.directory.size} credentials over 100 days of P30D`);
        // A gap: no run for two periods. The skipped period's credential is not created late; the one Key Vault holds stays.
        const gapStart = nextRotation(schedule, NOW.plus({ days: 101 }));
        const before = await engine.run(gapStart.plus({ hours: 2 }));
        assert.deepEqual(before.errors.map((e) => e.message), []);
        const held = engine.latestVersion(VAULT, "b")!.tags["key-id"];
        const after = await engine.run(gapStart.plus({ days: 60, hours: 2 }));
        assert.deepEqual(after.errors.map((e) => e.message), []);
        const issued = [...after.created, ...after.replaced.map((r) => r.new)].filter((r) => r.type === TYPES.applicationPassword);
        assert.deepEqual(issued.map((r) => r.inputs.rotateWhenChanged[SERVES_UNTIL_MARKER]), [toRfc3339(nextRotation(schedule, gapStart.plus({ days: 60, hours: 2 })))], "only the new in-service password");
        assert.equal(engine.directory.get(held)!.deletedAt, undefined, "the credential Key Vault held at the run's start is kept");
    });

    it("held slots: when the engine cannot read the stack's last state, every planned credential is declared, as before", async () => {
        const types: string[] = [];
        await pulumi.runtime.setMocks({
            newResource: (args) => { types.push(args.type); return { id: `${args.name}-id`, state: { ...args.inputs, keyId: `${args.name}-key`, value: "v" } }; },
            call: (args) => {
                if (args.token === "azuread:index/getClientConfig:getClientConfig") return { objectId: DEFAULT_DEPLOYING_PRINCIPAL, clientId: "c", tenantId: "t" };
                throw new Error(`unexpected call ${args.token}`);
            },
        }, "keyrelay", "no-state-read", false);
        const password = new RotatingPassword("lone", { applicationId: "/applications/x", rotation: { every: "P30D" } });
        const credentials = await new Promise<unknown[]>((resolve) => password.credentials.apply(resolve));
        assert.ok(credentials.length >= 2, `${credentials.length} credentials: the retiring one is declared too`);
        assert.equal(types.filter((t) => t === TYPES.applicationPassword).length, credentials.length);
    });

    it("start dates: a password whose startDate is more than five minutes before the run is refused", async () => {
        const at = (startDate: string) => new SimulatedEngine({
            program: () => new azuread.ApplicationPassword("p", { applicationId: "/applications/x", startDate, endDate: "2027-01-01T00:00:00Z" }),
        }).run(NOW);
        const late = await at("2026-11-26T01:54:59Z");
        assert.match(late.errors[0]?.message ?? "", /password "p": startDate 2026-11-26T01:54:59Z is 5 minutes before the request.*KeyCredentialsInvalidStartDate/);
        assert.deepEqual((await at("2026-11-26T01:55:00Z")).errors, []);
    });

    it("start dates: keyrelay never sends one, on a first deploy or on a rotation day", async () => {
        const engine = new SimulatedEngine({ program: () => new RotatedAppRegistration("billing-api", { displayName: "b", rotation: { every: "P30D" }, vault: { url: VAULT, secretName: "b" } }) });
        for (let day = 0; day < 65; day++) {
            const report = await engine.run(NOW.plus({ days: day }));
            assert.deepEqual(report.errors.map((e) => e.message), [], `day ${day}`);
        }
        const credentials = [...engine.directory.values()];
        assert.ok(credentials.length >= 3, `${credentials.length}: the first deploy's and one per rotation`);
        for (const c of credentials) assert.equal(c.startDate, c.createdAt.toUTC().toISO({ suppressMilliseconds: true }), "Entra stamped the creation time");
    });

    it("personal-account audiences: refused before anything is created, and the harness caps such apps at two passwords", async () => {
        for (const audience of ["AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount"]) {
            const engine = new SimulatedEngine({ program: () => new RotatedAppRegistration("consumer", {
                displayName: "consumer", vault: { url: VAULT, secretName: "consumer" }, application: { signInAudience: audience },
            }) });
            const report = await engine.run(NOW);
            assert.equal(report.created.length, 0);
            assert.match(report.errors[0].message, new RegExp(`RotatedAppRegistration "consumer": application\\.signInAudience is "${audience}": Entra allows .* at most two client secrets \\(TooManyAppPasswords\\).*Use "AzureADMyOrg"`));
        }
        const capped = new SimulatedEngine({
            program: () => {
                const app = new azuread.Application("consumer", { displayName: "consumer", signInAudience: "AzureADandPersonalMicrosoftAccount", owners: [DEFAULT_DEPLOYING_PRINCIPAL] });
                for (const n of [1, 2, 3]) new azuread.ApplicationPassword(`consumer-${n}`, { applicationId: app.id, endDate: "2027-01-01T00:00:00Z" });
            },
        });
        const report = await capped.run(NOW);
        assert.equal(capped.directory.size, 2);
        assert.match(report.errors[0].message, /already holds 2 passwords.*\(HTTP 400 TooManyAppPasswords\)/);
    });

    it("tenant lifetime limit: the harness refuses a longer password like Entra; maxLifetime refuses the schedule before anything is created", async () => {
        const program = (maxLifetime?: string) => () => new RotatedAppRegistration("billing-api", { displayName: "b", rotation: { every: "P90D" }, maxLifetime, vault: { url: VAULT, secretName: "b" } });
        // Entra measures from the creation time: the first deploy mid-period fits, the rotation day's credential (181 days less two hours) does not.
        const tenant = new SimulatedEngine({ program: program(), passwordMaxLifetime: "P180D" });
        assert.deepEqual((await tenant.run(NOW)).errors, []);
        const rotationDay = nextRotation(rotationSchedule("billing-api", { every: "P90D" }), NOW).plus({ hours: 2 });
        const refused = await tenant.run(rotationDay);
        assert.ok(refused.errors.some((e) => /it would live 18\d\.\d\d days, over the tenant's app management policy passwordLifetime maxLifetime P180D \(HTTP 400 CredentialInvalidLifetimeAsPerAppPolicy\)/.test(e.message)),
            refused.errors.map((e) => e.message).join("\n"));
        const early = await new SimulatedEngine({ program: program("P180D"), passwordMaxLifetime: "P180D" }).run(NOW);
        assert.equal(early.created.length, 0);
        assert.match(early.errors[0].message, /maxLifetime is P180D .*CredentialInvalidLifetimeAsPerAppPolicy\. Use rotation\.every "P89D" or shorter/);
        const defaults = await new SimulatedEngine({ program: () => new RotatedAppRegistration("billing-api", { displayName: "b", maxLifetime: "P180D", vault: { url: VAULT, secretName: "b" } }), passwordMaxLifetime: "P180D" }).run(NOW);
        assert.deepEqual(defaults.errors, [], "the defaults fit 180 days");
    });

    it("readers: keyed by principal, so removing one from the middle touches no other; the harness answers 409 to a duplicate", async () => {
        let readers = [READER(1), READER(2), READER(3)];
        const engine = new SimulatedEngine({ program: () => new RotatedAppRegistration("orders", {
            displayName: "orders", vault: { url: VAULT, secretName: "orders", resourceId: VAULT_ID }, readers,
        }) });
        assert.deepEqual((await engine.run(NOW)).errors, []);
        readers = [READER(1), READER(3)];
        const report = await engine.run(NOW.plus({ hours: 1 }));
        assert.deepEqual(report.errors.map((e) => e.message), []);
        assert.deepEqual(report.replaced.filter((r) => r.new.type === TYPES.roleAssignment), [], "no other assignment is replaced");
        assert.deepEqual(report.deleted.map((r) => r.name), [`orders-reader-${READER(2)}`]);
        assert.deepEqual(engine.resourcesOfType(TYPES.roleAssignment).map((r) => r.inputs.principalId).sort(), [READER(1), READER(3)]);

        const duplicate = await new SimulatedEngine({
            program: () => {
                const role = { principalId: READER(1), scope: `${VAULT_ID}/secrets/orders`, roleDefinitionId: "/subscriptions/0000-sub/providers/Microsoft.Authorization/roleDefinitions/r" };
                new (require("@pulumi/azure-native/authorization").RoleAssignment)("first", role);
                new (require("@pulumi/azure-native/authorization").RoleAssignment)("second", role);
            },
        }).run(NOW);
        assert.match(duplicate.errors[0].message, /role assignment "second": principal .* already holds role .*\(HTTP 409 RoleAssignmentExists\)/);
    });

    it("readers: assignments named by position in an earlier release carry over by alias, with no new assignment (no 409)", async () => {
        const scope = `${VAULT_ID}/secrets/orders`;
        const roleDefinitionId = "/subscriptions/0000-sub/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6";
        let upgraded = false;
        const engine = new SimulatedEngine({
            program: () => {
                if (upgraded) {
                    new RotatedAppRegistration("orders", { displayName: "orders", vault: { url: VAULT, secretName: "orders", resourceId: VAULT_ID }, readers: [READER(1), READER(2)] });
                    return;
                }
                // What the earlier release declared: RoleAssignments "orders-reader-<index>" under the component.
                const component = new pulumi.ComponentResource("keyrelay:index:RotatedAppRegistration", "orders", {});
                const { RoleAssignment } = require("@pulumi/azure-native/authorization");
                [READER(1), READER(2)].forEach((principalId, i) => new RoleAssignment(`orders-reader-${i}`, { principalId, scope, roleDefinitionId }, { parent: component }));
            },
        });
        assert.deepEqual((await engine.run(NOW)).errors, []);
        upgraded = true;
        const report = await engine.run(NOW.plus({ hours: 1 }));
        assert.deepEqual(report.errors.map((e) => e.message), []);
        const touched = [...report.created, ...report.deleted, ...report.replaced.map((r) => r.new)].filter((r) => r.type === TYPES.roleAssignment);
        assert.deepEqual(touched, []);
        assert.deepEqual(engine.resourcesOfType(TYPES.roleAssignment).map((r) => r.name).sort(), [`orders-reader-${READER(1)}`, `orders-reader-${READER(2)}`]);
    });

    it("readers: an Output needs a stable name; with one, it is keyed by that name", async () => {
        const principal = pulumi.output(READER(4));
        const failed = await new SimulatedEngine({ program: () => new RotatedAppRegistration("orders", {
            displayName: "orders", vault: { url: VAULT, secretName: "orders", resourceId: VAULT_ID }, readers: [principal as unknown as string],
        }) }).run(NOW);
        assert.equal(failed.created.length, 0);
        assert.match(failed.errors[0].message, /RotatedAppRegistration "orders": readers\[0\] is not known when the program runs .*\{ name: /);
        const dup = await new SimulatedEngine({ program: () => new RotatedAppRegistration("orders", {
            displayName: "orders", vault: { url: VAULT, secretName: "orders", resourceId: VAULT_ID }, readers: [READER(1), READER(1)],
        }) }).run(NOW);
        assert.match(dup.errors[0].message, /readers\[1\] repeats readers\[0\]/);
        const { engine } = await deploy(() => new RotatedAppRegistration("orders", {
            displayName: "orders", vault: { url: VAULT, secretName: "orders", resourceId: VAULT_ID }, readers: [{ name: "billing-worker", principalId: principal }],
        }));
        const [assignment] = engine.resourcesOfType(TYPES.roleAssignment);
        assert.equal(assignment.name, "orders-reader-billing-worker");
        assert.equal(assignment.inputs.principalId, READER(4));
    });
});

describe("upgrading from a release that sent startDate", () => {
    it("dropping startDate from the inputs replaces nothing: the provider computes it when left out", async () => {
        let withStart = true;
        const engine = new SimulatedEngine({
            program: () => new azuread.ApplicationPassword("p", {
                applicationId: "/applications/x", endDate: "2027-03-01T00:00:00Z", ...(withStart ? { startDate: "2026-11-26T02:00:00Z" } : {}),
            }),
        });
        assert.deepEqual((await engine.run(NOW)).errors, []);
        withStart = false;
        const report = await engine.run(NOW.plus({ days: 1 }));
        assert.deepEqual(report.errors, []);
        assert.deepEqual([report.replaced.length, report.created.length, report.deleted.length], [0, 0, 0]);
    });
});

describe("stack config: the keys keyrelay reads", () => {
    it("reads owners, since and previous per app, and keyrelay:maxLifetime", () => {
        const { referenceApps, referenceMaxLifetime } = require("../examples/reference-stack/stackConfig");
        const [app] = referenceApps([{ name: "x", every: "P30D", since: "2027-03-01", previous: { every: "P89D" }, owners: ["o-1"] }], VAULT);
        assert.deepEqual(app.rotation, { every: "P30D", validFor: undefined, since: "2027-03-01", previous: { every: "P89D", validFor: undefined, since: undefined } });
        assert.deepEqual(app.owners, ["o-1"]);
        assert.equal(referenceMaxLifetime("P180D"), "P180D");
        assert.throws(() => referenceMaxLifetime(180), /keyrelay:maxLifetime is 180, not an ISO-8601 duration/);
        assert.throws(() => referenceApps([{ name: "x", previous: "P89D" }], VAULT), /keyrelay:apps\[0\]: previous is not a map/);
        assert.throws(() => referenceApps([{ name: "x", owners: "o-1" }], VAULT), /keyrelay:apps\[0\]: owners is not a list/);
    });

    it("rotation.previous without since, a since that is not a date, and a future since with nothing before it fail before anything is created", async () => {
        const cases: [RotatedAppRegistrationRotation, RegExp][] = [
            [{ every: "P30D", previous: { every: "P89D" } }, /rotation\.previous is set without rotation\.since/],
            [{ every: "P30D", since: "March", previous: { every: "P89D" } }, /rotation\.since is "March", not a date/],
            [{ every: "P30D", since: "2027-03-01" }, /rotation\.since is 2027-03-01, after this run, and no rotation\.previous/],
            [{ every: "P30D", since: "2027-03-01", previous: { every: "P89D", since: "2027-04-01" } }, /rotation\.previous\.since is 2027-04-01, not before rotation\.since/],
        ];
        for (const [rotation, message] of cases) {
            const report = await new SimulatedEngine({ program: () => new RotatedAppRegistration("x", { displayName: "x", rotation, vault: { url: VAULT, secretName: "x" } }) }).run(NOW);
            assert.equal(report.created.length, 0, String(message));
            assert.match(report.errors[0]?.message ?? "", message);
        }
    });
});

type RotatedAppRegistrationRotation = NonNullable<ConstructorParameters<typeof RotatedAppRegistration>[1]["rotation"]>;
