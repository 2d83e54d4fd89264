// The JSON Schemas shipped in schemas/, compiled once with Ajv (JSON Schema 2020-12), and an
// assertion that a command's real --json output matches its schema.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import type { ValidateFunction } from "ajv";

export const SCHEMAS_DIR = path.resolve(__dirname, "..", "..", "schemas");
export const COMMAND_SCHEMAS = { plan: "keyrelay-plan-1", status: "keyrelay-status-1", verify: "keyrelay-verify-1", audit: "keyrelay-audit-1" } as const;

const ajv = new Ajv2020({ allErrors: true, strict: true });
// RFC 3339 date-time with an offset, a full date, and an absolute URI: the formats the schemas use.
ajv.addFormat("date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
ajv.addFormat("date", /^\d{4}-\d\d-\d\d$/);
ajv.addFormat("uri", /^[a-z][a-z0-9+.-]*:\/\/\S+$/i);
const compiled = new Map<string, ValidateFunction>();

export function validatorOf(command: keyof typeof COMMAND_SCHEMAS): ValidateFunction {
    const file = path.join(SCHEMAS_DIR, `${COMMAND_SCHEMAS[command]}.schema.json`);
    let validate = compiled.get(file);
    if (!validate) {
        validate = ajv.compile(JSON.parse(fs.readFileSync(file, "utf8")));
        compiled.set(file, validate);
    }
    return validate;
}

/** `output` (a command's parsed --json output) matches the command's shipped schema. */
export function assertMatchesSchema(command: keyof typeof COMMAND_SCHEMAS, output: unknown): void {
    const validate = validatorOf(command);
    assert.ok(validate(output), `keyrelay ${command} --json does not match schemas/${COMMAND_SCHEMAS[command]}.schema.json: ${JSON.stringify(validate.errors, null, 2)}`);
}
