// Every JSON output names its shape (`schema`), and the shapes are JSON Schemas shipped in the
// package (schemas/, in package.json "files"). Status, verify and audit outputs are checked against
// them where their tests run the real command (status.test.ts, verify.test.ts, audit.test.ts);
// plan's here.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCli } from "../../cli/main";
import { EXIT_OK } from "../../cli/errors";
import { REFERENCE_STACK, capturedContext } from "./fixtures";
import { COMMAND_SCHEMAS, SCHEMAS_DIR, assertMatchesSchema, validatorOf } from "./outputSchemas";

const ROOT = path.resolve(__dirname, "..", "..");

describe("JSON outputs and their shipped schemas", function () {
    this.timeout(60_000);

    it("one schema file per command, named as the output's schema field, shipped in the package", () => {
        const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        assert.ok(manifest.files.includes("schemas/"));
        for (const [command, file] of Object.entries(COMMAND_SCHEMAS)) {
            const schema = JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, `${file}.schema.json`), "utf8"));
            assert.equal(schema.properties.schema.const, `keyrelay-${command}/1`);
            assert.ok(schema.required.includes("schema"), command);
            validatorOf(command as keyof typeof COMMAND_SCHEMAS);
        }
        assert.deepEqual(fs.readdirSync(SCHEMAS_DIR).sort(), Object.values(COMMAND_SCHEMAS).map((f) => `${f}.schema.json`).sort());
    });

    it("keyrelay plan --json (derived and simulated) matches keyrelay-plan-1, and a renamed field does not", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-schema-"));
        try {
            for (const extra of [[], ["--simulate"]]) {
                const context = await capturedContext({ cwd: dir });
                assert.equal(await runCli(["plan", "--cwd", REFERENCE_STACK, "--json", "--horizon", "P100D", "--from", "2027-01-01", "--svg", "plan.svg", ...extra], context), EXIT_OK, context.err.join(""));
                const plan = JSON.parse(context.out.join(""));
                assert.equal(plan.schema, "keyrelay-plan/1");
                assertMatchesSchema("plan", plan);
                // Control: the old names (validFrom, expires) are refused.
                const old = structuredClone(plan);
                old.apps[0].credentials[0].validFrom = old.apps[0].credentials[0].startDateTime;
                delete old.apps[0].credentials[0].startDateTime;
                assert.equal(validatorOf("plan")(old), false);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
