#!/usr/bin/env node
// The `keyrelay` bin: runs cli/main.ts through ts-node (transpile only), so `npm ci` is the only set-up.
const path = require("path");
require("ts-node").register({ project: path.join(__dirname, "..", "tsconfig.json"), transpileOnly: true });
require("./main.ts").runCli(process.argv.slice(2)).then((code) => { process.exitCode = code; });
