// keyrelay plan with an evidence gate (`retire`): the plan never calls Graph; the gate gets mocked
// answers (no sign-in), and the report has a line per gated credential.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DateTime, Settings } from "luxon";
import { runCli } from "../../../cli/main";
import { EXIT_OK } from "../../../cli/errors";
import { capturedContext } from "../fixtures";

const TODAY = DateTime.fromISO("2027-01-01T09:30:00Z", { zone: "utc" }).toMillis();
const REPOSITORY = path.resolve(__dirname, "..", "..", "..");

describe("keyrelay plan shows the evidence gate, with mocked answers", function () {
    this.timeout(120_000);
    const previousNow = Settings.now;
    after(() => { Settings.now = previousNow; });

    it("asks about each retiring credential a window after it left Key Vault, and retires it then (no sign-in in the mock)", async () => {
        Settings.now = () => TODAY;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-plan-gate-"));
        const program = path.join(dir, "gated");
        fs.mkdirSync(program);
        fs.symlinkSync(path.join(REPOSITORY, "node_modules"), path.join(program, "node_modules"), "dir");
        fs.writeFileSync(path.join(program, "index.ts"), `import { RotatedAppRegistration } from ${JSON.stringify(path.join(REPOSITORY, "components"))};\n`
            + `new RotatedAppRegistration("billing-api", { displayName: "Billing API", rotation: { every: "P30D" }, retire: { unusedFor: "P7D" },\n`
            + `    vault: { url: "https://kv-platform.vault.azure.net", secretName: "billing-api-client-secret" } });\n`);
        fs.writeFileSync(path.join(program, "Pulumi.yaml"), "name: gated\nruntime: nodejs\n");
        fs.writeFileSync(path.join(program, "Pulumi.dev.yaml"), "config: {}\n");
        const context = await capturedContext({ cwd: dir });
        const code = await runCli(["plan", "--program", "gated", "--stack", "dev", "--horizon", "P90D", "--svg", "gated.svg"], context);
        const text = context.out.join("");
        assert.equal(code, EXIT_OK, text + context.err.join(""));
        assert.match(text, /has an evidence gate \(retire\), which decides run by run/);
        const lines = text.split("\n").filter((l) => l.includes("evidence gate, slot"));
        assert.ok(lines.length >= 2, text);
        for (const line of lines) {
            const [, asked, removed, ends] = /asked (\S+) \(mocked answer: no sign-in in P7D\), removed (\S+), ends (\S+);/.exec(line) ?? [];
            assert.ok(asked && removed && ends, line);
            assert.equal(removed, asked, "retired on the run that asked");
            assert.ok(removed < ends, "before its own end");
        }
    });
});
