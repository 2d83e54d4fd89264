import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DateTime, Settings } from "luxon";
import { runCli } from "../../../cli/main";
import { EXIT_CRITICAL, EXIT_OK, EXIT_USAGE } from "../../../cli/errors";
import { nextDailyRun } from "../../../cli/plan/command";
import { periodIndexAt, rotationSchedule, plannedCredentials } from "../../../components/schedule";
import { REFERENCE_STACK, capturedContext, parseSvg } from "../fixtures";

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
        code = await runCli(["plan", "--cwd", REFERENCE_STACK, "--svg", "plan.svg"], context);
        out = context.out.join("");
        const jsonContext = await capturedContext({ cwd: dir });
        assert.equal(await runCli(["plan", "-C", REFERENCE_STACK, "--json", "--svg", "plan2.svg", "--daily", "--horizon", "P60D"], jsonContext), EXIT_OK);
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
        assert.deepEqual(first.slice(1, 5), ["2026-12-01", inService.endDate.toISODate(), "2026-12-01", inService.servesUntil.toISODate()]);
        // Every later credential is issued on the day its period starts, and serves exactly until the next one is issued.
        const later = rows.filter((r) => r[2] > inService.endDate.toISODate()!);
        assert.equal(later.length, rotations);
        later.forEach((r, i) => {
            assert.equal(r[3], r[1], "in Key Vault from the day it is issued");
            if (i + 1 < later.length) assert.equal(r[4], later[i + 1][1], "replaced when the next is issued");
        });
    });

    it("writes an SVG titled with the Pulumi project, one row per app, labelled slot lanes, one bar per credential listed", () => {
        const doc = parseSvg(fs.readFileSync(path.join(dir, "plan.svg"), "utf8"));
        assert.match(Array.from(doc.getElementsByTagName("title"))[0].textContent ?? "", /^keyrelay, stack example: rotation plan \(a simulation; nothing is deployed\)$/);
        // Each row says how often the app rotates and when next, as the text output does.
        const captions = Array.from(doc.getElementsByTagName("text")).filter((t) => t.getAttribute("class") === "caption").map((t) => t.textContent);
        assert.deepEqual(captions, ["billing-api", "orders-worker", "reporting-portal"].map((app) => {
            const header = out.split("\n").find((l) => l.startsWith(`${app}:`))!;
            return `every ${/every: (P\d+D)/.exec(fs.readFileSync(path.join(REFERENCE_STACK, "Pulumi.example.yaml"), "utf8").split(`name: ${app}`)[1])![1]}, next ${/next rotation (\S+),/.exec(header)![1]}`;
        }));
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
            // A run creates only the credential in service (issue 16 §5): from an empty stack, no credential
            // is issued for an earlier period, so every bar is dark somewhere and none is hatched.
            assert.deepEqual(listed.filter((l) => l.split(/\s+/)[3] === "never"), [], `${app}: every credential listed is in Key Vault at some point`);
            assert.deepEqual(bars.filter((b) => (b.getAttribute("class") ?? "").includes("never-in-service")), [], `${app}: no hatched bar`);
        }
        assert.doesNotMatch(out, /in service "never"/);
        assert.equal(Array.from(doc.getElementsByTagName("line")).filter((l) => l.getAttribute("class") === "today").length, 1);
    });

    it("gives the same credentials when the program runs every day as when the plan derives the days something changes", async () => {
        const context = await capturedContext({ cwd: dir });
        assert.equal(await runCli(["plan", "-C", REFERENCE_STACK, "--json", "--svg", "plan3.svg", "--horizon", "P60D"], context), EXIT_OK);
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
        assert.equal(await runCli(["plan", "-C", REFERENCE_STACK, "--json", "--svg", "plan4.svg", "--horizon", "P45D", "--from", "2027-01-01"], derivedContext), EXIT_OK);
        assert.equal(await runCli(["plan", "-C", REFERENCE_STACK, "--json", "--svg", "plan5.svg", "--horizon", "P45D", "--from", "2027-01-01", "--simulate"], simulatedContext), EXIT_OK);
        const [derived, simulated] = [JSON.parse(derivedContext.out.join("")), JSON.parse(simulatedContext.out.join(""))];
        assert.equal(simulated.method, "simulated");
        assert.equal(simulated.programRuns, simulated.runs);
        assert.equal(derived.runs, simulated.runs);
        assert.deepEqual(derived.apps, simulated.apps);
        assert.deepEqual(derived.violations, simulated.violations);
    });

    it("says 1 rotation, not 1 rotations", async () => {
        const context = await capturedContext({ cwd: dir });
        assert.equal(await runCli(["plan", "--cwd", REFERENCE_STACK, "--svg", "plan6.svg", "--horizon", "P40D", "--from", "2027-01-01"], context), EXIT_OK);
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
        fs.writeFileSync(path.join(program, "Pulumi.yaml"), "name: short\nruntime: nodejs\n");
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
        assert.match(err, /^keyrelay plan: the program does not compile:\n  .*broken[\\/]index\.ts\(2,\d+\): error TS\d+: Expression expected\./);
        assert.ok(!fs.existsSync(path.join(dir, "broken.svg")));
    });

    it("rejects bad arguments with one line and exit 3", async () => {
        const cases: Array<[string[], RegExp]> = [
            [["--from", "next tuesday"], /^keyrelay plan: --from is "next tuesday", not an ISO date/],
            [["--horizon", "P20Y"], /^keyrelay plan: --horizon is "P20Y", not an ISO-8601 duration from P1D to P3Y/],
            [["--program", "nowhere"], /^keyrelay plan: --cwd "nowhere": .*nowhere is not a folder\. Pass --cwd/],
            [["--cwd", "nowhere"], /^keyrelay plan: --cwd "nowhere": .*nowhere is not a folder\. Pass --cwd/],
            [[], /^keyrelay plan: no Pulumi\.yaml in .*keyrelay-plan-\w+ or any folder above it\. Run keyrelay plan in a Pulumi project, or pass --cwd/],
            [["-C", REFERENCE_STACK, "--stack", "prod"], /^keyrelay plan: no Pulumi\.prod\.yaml in .* for stack prod \(stacks here: example\)\. Pass --stack/],
            [["-C", REFERENCE_STACK, "--svg", "no-such-dir/plan.svg"], /^keyrelay plan: --svg "no-such-dir\/plan\.svg": the directory .*no-such-dir does not exist\. Pass --svg <file> in an existing, writable directory\./],
            [["-C", REFERENCE_STACK, "--svg", "."], /^keyrelay plan: --svg "\." is a directory, not a file\./],
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

});
