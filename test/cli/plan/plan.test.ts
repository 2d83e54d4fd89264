import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DateTime, Settings } from "luxon";
import { runCli } from "../../../cli/main";
import { EXIT_CRITICAL, EXIT_OK, EXIT_USAGE } from "../../../cli/errors";
import { REPOSITORY_ROOT, defaultProgramDir, nextDailyRun } from "../../../cli/plan/command";
import { periodIndexAt, rotationSchedule, plannedCredentials } from "../../../components/schedule";
import { capturedContext, parseSvg } from "../fixtures";
import { RotatedAppRegistration } from "../../../components";
import { SimulatedEngine } from "../../../simulation/engine";
import { ownersWarnings } from "../../../cli/plan/ownerWarnings";

const TODAY = DateTime.fromISO("2026-12-01T09:30:00Z", { zone: "utc" }).toMillis();

describe("keyrelay plan (example config, pinned clock)", function () {
    this.timeout(60_000);
    const previousNow = Settings.now;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-plan-"));
    let code: number;
    let out: string;
    let json: any;

    before(async () => {
        Settings.now = () => TODAY;
        const context = await capturedContext({ cwd: dir });
        code = await runCli(["plan", "--svg", "plan.svg"], context);
        out = context.out.join("");
        const jsonContext = await capturedContext({ cwd: dir });
        assert.equal(await runCli(["plan", "--json", "--svg", "plan2.svg", "--daily", "--horizon", "P60D"], jsonContext), EXIT_OK);
        json = JSON.parse(jsonContext.out.join(""));
    });
    after(() => {
        Settings.now = previousNow;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("says it is a plan and not a deployment, counts the runs it covers, and passes the policy pack", () => {
        assert.equal(code, EXIT_OK, out);
        const runs = Number(/^keyrelay PLAN of keyrelay \(stack example\) from 2026-12-01 to 2028-12-01 \((\d+) simulated runs on the days something changes, at 03:00 UTC, starting from an empty stack; derived from the components' schedule, the program ran 1 time under the mock runtime\)\nThis is a PLAN: a simulation under Pulumi's mock runtime\. Nothing was deployed/.exec(out)?.[1]);
        assert.ok(runs > 50 && runs < 200, out.split("\n")[0]);
        assert.match(out, new RegExp(`Policy pack: no violations in ${runs} runs\\.`));
        assert.doesNotMatch(out, /daily runs/);
    });

    it("warns, before the apps, about each app that declares no owners (the example stack declares none)", () => {
        const warnings = out.split("\n\n")[0].split("\n").filter((l) => l.startsWith("Warning: "));
        assert.deepEqual(warnings.map((l) => l.split(":")[1].trim()), ["billing-api", "orders-worker", "reporting-portal"]);
        assert.match(warnings[0], /no owners declared, so whoever runs the first `pulumi up` owns it\. Set keyrelay:owners/);
        assert.equal(json.warnings.length, 3);
    });

    it("lists each app's credentials as the schedule says: issued at each period start, in service for one period", () => {
        const schedule = rotationSchedule("billing-api", { every: "P90D" });
        const at = DateTime.fromMillis(TODAY, { zone: "utc" });
        const inService = plannedCredentials(schedule, at).at(-1)!;
        const section = out.split("\n\n").find((s) => s.startsWith("billing-api:"))!;
        const rotations = periodIndexAt(schedule, at.plus({ years: 2 })) - periodIndexAt(schedule, at);
        assert.equal(rotations, 9);
        assert.match(section, new RegExp(`^billing-api: secret billing-api-client-secret, next rotation ${inService.servesUntil.toISODate()}, ${rotations} rotations in the horizon`));
        const rows = section.split("\n").slice(3).map((l) => l.split(/\s+/));
        // The credential in service when the plan starts: issued by the first run, replaced at the next rotation.
        // keyrelay sends no startDate: Entra stamps the creation time, so a credential is valid from the run that issued it.
        const first = rows.find((r) => r[2] === inService.endDate.toISODate())!;
        assert.deepEqual(first.slice(1, 6), ["2026-12-01", inService.endDate.toISODate(), "2026-12-01", "2026-12-01", inService.servesUntil.toISODate()]);
        // Every later credential is issued on the day its period starts, and serves exactly until the next one is issued.
        const later = rows.filter((r) => r[2] > inService.endDate.toISODate()!);
        assert.equal(later.length, rotations);
        later.forEach((r, i) => {
            assert.equal(r[3], r[1], "issued on its period's first day");
            assert.equal(r[4], r[1], "in Key Vault from that day");
            if (i + 1 < later.length) assert.equal(r[5], later[i + 1][1], "replaced when the next is issued");
        });
    });

    it("writes an SVG titled with the Pulumi project, one row per app, labelled slot lanes, one bar per credential listed", () => {
        const doc = parseSvg(fs.readFileSync(path.join(dir, "plan.svg"), "utf8"));
        assert.match(Array.from(doc.getElementsByTagName("title"))[0].textContent ?? "", /^keyrelay \(stack example\): keyrelay PLAN, not a deployment$/);
        const rows = Array.from(doc.getElementsByTagName("g")).filter((g) => g.getAttribute("class") === "app");
        assert.deepEqual(rows.map((r) => r.getAttribute("data-app")), ["billing-api", "orders-worker", "reporting-portal"]);
        for (const row of rows) {
            const app = row.getAttribute("data-app");
            const listed = out.split("\n\n").find((s) => s.startsWith(`${app}:`))!.split("\n").slice(3);
            const bars = Array.from(row.getElementsByTagName("rect")).filter((r) => (r.getAttribute("class") ?? "").split(" ").includes("credential"));
            assert.equal(bars.length, listed.length, `${app}: one bar per credential`);
            assert.deepEqual(bars.map((b) => b.getAttribute("data-slot")), listed.map((l) => l.split(/\s+/)[0]), `${app}: each bar in its slot's lane`);
            const labels = Array.from(row.getElementsByTagName("text")).filter((t) => t.getAttribute("class") === "slot-label").map((t) => t.textContent);
            assert.deepEqual(labels, ["slot a", "slot b", "slot c"]);
            // The credential issued as retiring on the first run is never in Key Vault during the plan: hatched, and said so.
            const never = listed.filter((l) => l.split(/\s+/)[4] === "never");
            const hatched = bars.filter((b) => (b.getAttribute("class") ?? "").includes("never-in-service"));
            assert.equal(hatched.length, never.length, `${app}: never-in-service bars`);
            assert.ok(never.length >= 1);
            assert.match(hatched[0].parentNode!.textContent ?? "", /never in Key Vault during the plan/);
        }
        assert.match(out, /"in service: never": issued before the plan's first run as a retiring credential/);
        assert.equal(Array.from(doc.getElementsByTagName("line")).filter((l) => l.getAttribute("class") === "today").length, 1);
    });

    it("gives the same credentials when the program runs every day as when the plan derives the days something changes", async () => {
        const context = await capturedContext({ cwd: dir });
        assert.equal(await runCli(["plan", "--json", "--svg", "plan3.svg", "--horizon", "P60D"], context), EXIT_OK);
        const derived = JSON.parse(context.out.join(""));
        assert.equal(derived.method, "derived");
        assert.equal(json.method, "daily");
        assert.equal(json.runs, 61);
        assert.equal(json.programRuns, 61);
        assert.equal(derived.programRuns, 1);
        assert.ok(derived.runs < json.runs, `${derived.runs} change-day runs vs ${json.runs} daily`);
        assert.deepEqual(derived.apps, json.apps);
        assert.equal(json.plan, true);
        assert.match(json.disclaimer, /not|Nothing was deployed/);
    });

    it("--simulate runs the program on each day something changes, with the same result", async () => {
        const derivedContext = await capturedContext({ cwd: dir });
        const simulatedContext = await capturedContext({ cwd: dir });
        assert.equal(await runCli(["plan", "--json", "--svg", "plan4.svg", "--horizon", "P45D", "--from", "2027-01-01"], derivedContext), EXIT_OK);
        assert.equal(await runCli(["plan", "--json", "--svg", "plan5.svg", "--horizon", "P45D", "--from", "2027-01-01", "--simulate"], simulatedContext), EXIT_OK);
        const [derived, simulated] = [JSON.parse(derivedContext.out.join("")), JSON.parse(simulatedContext.out.join(""))];
        assert.equal(simulated.method, "simulated");
        assert.equal(simulated.programRuns, simulated.runs);
        assert.equal(derived.runs, simulated.runs);
        assert.deepEqual(derived.apps, simulated.apps);
        assert.deepEqual(derived.violations, simulated.violations);
    });

    it("says 1 rotation, not 1 rotations", async () => {
        const context = await capturedContext({ cwd: dir });
        assert.equal(await runCli(["plan", "--svg", "plan6.svg", "--horizon", "P40D", "--from", "2027-01-01"], context), EXIT_OK);
        const text = context.out.join("");
        assert.match(text, /^orders-worker: secret orders-worker-client-secret, next rotation \d{4}-\d\d-\d\d, 1 rotation in the horizon$/m);
        assert.match(text, /^billing-api: .*, 0 rotations in the horizon$/m);
    });

    it("reports a mandatory policy violation and exits 2", async () => {
        const program = path.join(dir, "short");
        fs.mkdirSync(program);
        fs.symlinkSync(path.resolve(__dirname, "..", "..", "..", "node_modules"), path.join(program, "node_modules"), "dir");
        fs.writeFileSync(path.join(program, "index.ts"), `import * as azuread from "@pulumi/azuread";\n`
            + `new azuread.ApplicationPassword("legacy", { applicationId: "/applications/x", endDate: "2026-12-05T00:00:00Z" });\n`);
        fs.writeFileSync(path.join(program, "Pulumi.dev.yaml"), "config: {}\n");
        const context = await capturedContext({ cwd: dir });
        const result = await runCli(["plan", "--program", "short", "--stack", "dev", "--horizon", "P3D", "--svg", "short.svg"], context);
        const text = context.out.join("");
        assert.equal(result, EXIT_CRITICAL, text + context.err.join(""));
        assert.match(text, /Policy pack: \d+ violations?:\n(\s+\[mandatory\] .*\n)*\s+\[mandatory\] credential-expiry-near \(2026-12-01 to 2026-12-0\d, \d runs?\): .*legacy/);
        assert.match(text, /^keyrelay PLAN of short \(stack dev\)/);
    });

    it("a program that does not compile: the file, the line and the message", async () => {
        const program = path.join(dir, "broken");
        fs.mkdirSync(program);
        fs.writeFileSync(path.join(program, "Pulumi.yaml"), "name: broken-billing\nruntime: nodejs\n");
        fs.writeFileSync(path.join(program, "index.ts"), `const answer: number = 42;\nexport const x = answer +;\n`);
        fs.writeFileSync(path.join(program, "Pulumi.dev.yaml"), "config: {}\n");
        const context = await capturedContext({ cwd: dir });
        const result = await runCli(["plan", "--program", "broken", "--stack", "dev", "--horizon", "P3D", "--svg", "broken.svg"], context);
        assert.equal(result, EXIT_CRITICAL);
        const err = context.err.join("");
        assert.match(err, /^keyrelay plan: the program fails on the run of 2026-12-01: the program does not compile:\n  .*broken[\\/]index\.ts\(2,\d+\): error TS\d+: Expression expected\./);
        assert.ok(!fs.existsSync(path.join(dir, "broken.svg")));
    });

    it("rejects bad arguments with one line and exit 3", async () => {
        const cases: Array<[string[], RegExp]> = [
            [["--from", "next tuesday"], /^keyrelay plan: --from is "next tuesday", not an ISO date/],
            [["--horizon", "P20Y"], /^keyrelay plan: --horizon is "P20Y", not an ISO-8601 duration from P1D to P3Y/],
            [["--program", "nowhere"], /^keyrelay plan: no index\.ts in .*nowhere\. Pass --program/],
            [["--stack", "prod"], /^keyrelay plan: no Pulumi\.prod\.yaml in .*\. Pass --stack/],
            [["--svg", "no-such-dir/plan.svg"], /^keyrelay plan: --svg "no-such-dir\/plan\.svg": the directory .*no-such-dir does not exist\. Pass --svg <file> in an existing, writable directory\./],
            [["--svg", "."], /^keyrelay plan: --svg "\." is a directory, not a file\./],
        ];
        for (const [args, message] of cases) {
            const context = await capturedContext({ cwd: dir });
            const started = Date.now();
            assert.equal(await runCli(["plan", ...args], context), EXIT_USAGE, args.join(" "));
            assert.ok(Date.now() - started < 5000, `${args.join(" ")}: found before the plan runs`);
            assert.match(context.err.join(""), message);
            assert.equal(context.err.join("").trim().split("\n").length, 1);
        }
    });

    it("runs the program daily at 03:00 UTC", () => {
        const t = (iso: string) => DateTime.fromISO(iso, { zone: "utc" });
        assert.equal(nextDailyRun(t("2026-12-01T09:30:00Z")).toISO(), "2026-12-02T03:00:00.000Z");
        assert.equal(nextDailyRun(t("2026-12-01T02:00:00Z")).toISO(), "2026-12-01T03:00:00.000Z");
        assert.equal(nextDailyRun(t("2026-12-01T03:00:00Z"), t("2026-12-10T00:00:00Z")).toISO(), "2026-12-10T03:00:00.000Z");
    });

    it("without --program, plans the working directory when it holds a Pulumi program (a user's project), else this repository's stack", () => {
        const project = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-project-"));
        try {
            assert.equal(defaultProgramDir(project), REPOSITORY_ROOT, "an empty directory: the reference stack, as npm start");
            fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: platform-secrets\nruntime: nodejs\n");
            fs.writeFileSync(path.join(project, "index.ts"), "export {};\n");
            assert.equal(defaultProgramDir(project), project);
        } finally {
            fs.rmSync(project, { recursive: true, force: true });
        }
    });
});

describe("keyrelay plan: owners warnings", () => {
    const app = (owners?: string[]) => () => new RotatedAppRegistration("billing-api", {
        displayName: "billing-api", vault: { url: "https://kv-platform.vault.azure.net", secretName: "billing-api-client-secret" }, ...(owners ? { owners } : {}),
    });

    it("none when owners are declared, in the args or in keyrelay:owners; one per app otherwise", async () => {
        const at = DateTime.fromMillis(TODAY, { zone: "utc" });
        const owner = "5f1b2c3d-0000-4000-a000-00000000d3b1";
        const warningsOf = async (engine: SimulatedEngine) => {
            assert.deepEqual((await engine.run(at)).errors, []);
            return ownersWarnings(engine.resources());
        };
        assert.deepEqual(await warningsOf(new SimulatedEngine({ program: app([owner]) })), []);
        assert.deepEqual(await warningsOf(new SimulatedEngine({ program: app(), config: { "keyrelay:owners": [owner] } })), []);
        const warnings = await warningsOf(new SimulatedEngine({ program: app() }));
        assert.equal(warnings.length, 1);
        assert.match(warnings[0], /^Warning: billing-api: no owners declared/);
    });
});
