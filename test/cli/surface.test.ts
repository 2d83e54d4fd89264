// One CLI surface: one error prefix (commander's messages too), exit codes in each command's help
// only, one --timeout wording, no "(default: [])", -V and -v, colours only on a terminal without
// NO_COLOR or --no-color, and the plan's progress line only on a terminal after a second.
import { strict as assert } from "assert";
import { runCli } from "../../cli/main";
import { colorWanted, paint } from "../../cli/colors";
import { formatTable } from "../../cli/table";
import { PlanProgress } from "../../cli/plan/progress";
import { capturedContext } from "./fixtures";

async function run(argv: string[], overrides = {}) {
    const context = await capturedContext(overrides);
    const code = await runCli(argv, context);
    return { code, out: context.out.join(""), err: context.err.join("") };
}

describe("the keyrelay command line", () => {
    it("prefixes every message with keyrelay <command>:, the argument parser's too, also as JSON", async () => {
        const cases: [string[], RegExp][] = [
            [["plan", "--bogus"], /^keyrelay plan: unknown option '--bogus'\n$/],
            [["status"], /^keyrelay status: required option '--vault <url>' not specified\n$/],
            [["verify", "--vault"], /^keyrelay verify: option '--vault <url>' argument missing\n$/],
            [["audit", "--warn-days", "x"], /^keyrelay audit: /],
            [["nope"], /^keyrelay: unknown command 'nope'\n$/],
        ];
        for (const [argv, message] of cases) {
            const { code, err } = await run(argv);
            assert.equal(code, 3, argv.join(" "));
            assert.match(err, message);
        }
        const json = await run(["plan", "--json", "--bogus"]);
        assert.deepEqual(JSON.parse(json.out), { error: "keyrelay plan: unknown option '--bogus'", exitCode: 3 });
    });

    it("lists exit codes in each command's help, not the program's; one --timeout wording; no (default: [])", async () => {
        const top = await run(["--help"]);
        assert.doesNotMatch(top.out, /Exit codes/);
        const timeouts = new Set<string>();
        for (const command of ["plan", "status", "verify", "audit"]) {
            const { code, out } = await run([command, "--help"]);
            assert.equal(code, 0);
            assert.match(out, /\nExit codes:\n  0  [^\n]+\n(  \d  [^\n]+\n)*  3  bad arguments\n/, command);
            assert.doesNotMatch(out, /\(default: \[\]\)/, command);
            // The wording is one; the default is each command's own (audit's is sized for 20,000 apps).
            const timeout = /--timeout <duration>\s+([\s\S]*?)\n  -/.exec(out)?.[1].replace(/\s+/g, " ").replace(/ \(default: "[^"]*"\)$/, "");
            if (timeout) timeouts.add(timeout);
        }
        assert.deepEqual([...timeouts], ["overall deadline: seconds, or 60s, 5m, PT2M; past it, exit 4 naming the host that did not answer"]);
    });

    it("-V, -v and --version print the version", async () => {
        const version = require("../../package.json").version;
        for (const flag of ["-V", "-v", "--version"]) assert.equal((await run([flag])).out, `${version}\n`, flag);
    });

    it("colours severities only on a terminal, without NO_COLOR (when not empty) or --no-color", () => {
        assert.equal(colorWanted(["status"], { isTTY: true, env: {} }), true);
        assert.equal(colorWanted(["status"], { isTTY: false, env: {} }), false);
        assert.equal(colorWanted(["status"], { isTTY: true, env: { NO_COLOR: "1" } }), false);
        assert.equal(colorWanted(["status"], { isTTY: true, env: { NO_COLOR: "" } }), true, "no-color.org: present and not empty");
        assert.equal(colorWanted(["status", "--no-color"], { isTTY: true, env: {} }), false);
        assert.equal(paint({ color: true }, "critical", "expired"), "\x1b[31;1mexpired\x1b[0m");
        assert.equal(paint({ color: false }, "critical", "expired"), "expired");
        // Columns stay aligned around coloured cells.
        const table = formatTable(["verdict", "app"], [[paint({ color: true }, "critical", "expired"), "a"], ["ok", "b"]]).replace(/\x1b\[[0-9;]*m/g, "");
        assert.equal(table, "verdict  app\n-------  ---\nexpired  a\nok       b");
    });

    it("shows the plan's progress on a terminal only, once a second has passed, and clears it", () => {
        let now = 0;
        const lines: string[] = [];
        const tty = new PlanProgress({ stderr: (s) => lines.push(s), stderrIsTTY: true }, "checking apps", () => now);
        tty.update(1, 10);
        assert.deepEqual(lines, [], "not within the first second");
        now = 1500;
        tty.update(5, 10);
        assert.deepEqual(lines, ["\r\x1b[2Kkeyrelay plan: checking apps 5/10 (50%)"]);
        tty.end();
        assert.equal(lines.at(-1), "\r\x1b[2K");
        const piped: string[] = [];
        const quiet = new PlanProgress({ stderr: (s) => piped.push(s), stderrIsTTY: false }, "checking apps", () => now);
        now = 5000;
        quiet.update(5, 10);
        quiet.end();
        assert.deepEqual(piped, []);
    });
});
