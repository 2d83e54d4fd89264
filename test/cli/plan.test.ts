import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DateTime, Settings } from "luxon";
import { runCli } from "../../cli/main";
import { EXIT_CRITICAL, EXIT_OK, EXIT_USAGE } from "../../cli/exitCodes";
import { nextDailyRun } from "../../cli/plan";
import { periodIndexAt, rotationSchedule, plannedCredentials } from "../../components/schedule";
import { capturedContext, parseSvg } from "./fixtures";

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
        assert.equal(await runCli(["plan", "--json", "--svg", "plan2.svg", "--daily", "--horizon", "P120D"], jsonContext), EXIT_OK);
        json = JSON.parse(jsonContext.out.join(""));
    });
    after(() => {
        Settings.now = previousNow;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("says it is a plan and not a deployment, and passes the policy pack", () => {
        assert.equal(code, EXIT_OK, out);
        assert.match(out, /^keyrelay PLAN from 2026-12-01 to 2028-12-01 \(\d+ simulated daily runs at 03:00 UTC, starting from an empty stack\)\nThis is a PLAN: a simulation under Pulumi's mock runtime\. Nothing was deployed/);
        assert.match(out, /Policy pack: no violations in \d+ runs\./);
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

    it("writes an SVG with one row per app and one bar per credential listed", () => {
        const doc = parseSvg(fs.readFileSync(path.join(dir, "plan.svg"), "utf8"));
        const rows = Array.from(doc.getElementsByTagName("g")).filter((g) => g.getAttribute("class") === "app");
        assert.deepEqual(rows.map((r) => r.getAttribute("data-app")), ["billing-api", "orders-worker", "reporting-portal"]);
        for (const row of rows) {
            const listed = out.split("\n\n").find((s) => s.startsWith(`${row.getAttribute("data-app")}:`))!.split("\n").length - 3;
            const bars = Array.from(row.getElementsByTagName("rect")).filter((r) => r.getAttribute("class") === "credential");
            assert.equal(bars.length, listed, `${row.getAttribute("data-app")}: one bar per credential`);
        }
        assert.equal(Array.from(doc.getElementsByTagName("line")).filter((l) => l.getAttribute("class") === "today").length, 1);
    });

    it("gives the same credentials when the program runs every day as when it runs only on change days", async () => {
        const context = await capturedContext({ cwd: dir });
        assert.equal(await runCli(["plan", "--json", "--svg", "plan3.svg", "--horizon", "P120D"], context), EXIT_OK);
        const sparse = JSON.parse(context.out.join(""));
        assert.ok(sparse.runs < json.runs, `${sparse.runs} change-day runs vs ${json.runs} daily`);
        assert.equal(json.runs, 121);
        assert.deepEqual(sparse.apps, json.apps);
        assert.equal(json.plan, true);
        assert.match(json.disclaimer, /not|Nothing was deployed/);
    });

    it("reports a mandatory policy violation and exits 2", async () => {
        const program = path.join(dir, "short");
        fs.mkdirSync(program);
        fs.symlinkSync(path.resolve(__dirname, "..", "..", "node_modules"), path.join(program, "node_modules"), "dir");
        fs.writeFileSync(path.join(program, "index.ts"), `import * as azuread from "@pulumi/azuread";\n`
            + `new azuread.ApplicationPassword("legacy", { applicationId: "/applications/x", endDate: "2026-12-05T00:00:00Z" });\n`);
        fs.writeFileSync(path.join(program, "Pulumi.dev.yaml"), "config: {}\n");
        const context = await capturedContext({ cwd: dir });
        const result = await runCli(["plan", "--program", "short", "--stack", "dev", "--horizon", "P3D", "--svg", "short.svg"], context);
        const text = context.out.join("");
        assert.equal(result, EXIT_CRITICAL, text + context.err.join(""));
        assert.match(text, /Policy pack: \d+ violations:\n\s+\[mandatory\] credential-expiry-near \(2026-12-01 to 2026-12-0\d, \d runs\): .*legacy/);
    });

    it("rejects bad arguments with one line and exit 3", async () => {
        const cases: Array<[string[], RegExp]> = [
            [["--from", "next tuesday"], /^keyrelay plan: --from is "next tuesday", not an ISO date/],
            [["--horizon", "P20Y"], /^keyrelay plan: --horizon is "P20Y", not an ISO-8601 duration from P1D to P3Y/],
            [["--program", "nowhere"], /^keyrelay plan: no index\.ts in .*nowhere\. Pass --program/],
            [["--stack", "prod"], /^keyrelay plan: no Pulumi\.prod\.yaml in .*\. Pass --stack/],
        ];
        for (const [args, message] of cases) {
            const context = await capturedContext({ cwd: dir });
            assert.equal(await runCli(["plan", ...args], context), EXIT_USAGE, args.join(" "));
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
