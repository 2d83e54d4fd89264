#!/usr/bin/env node
// The `keyrelay` bin: runs cli/main.ts through ts-node (transpile only), so `npm ci` is the only set-up.
const path = require("path");
// keyrelay plan re-runs a Pulumi program hundreds of times; the SDK's many short-lived promises make the
// default young generation collect constantly. A larger one cuts plan time by about a quarter.
require("v8").setFlagsFromString("--max-semi-space-size=64");
require("ts-node").register({ project: path.join(__dirname, "..", "tsconfig.json"), transpileOnly: true });
require("./main.ts").runCli(process.argv.slice(2)).then((code) => { process.exitCode = code; });
