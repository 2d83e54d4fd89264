#!/usr/bin/env node
// The `keyrelay` bin. From the installed package it runs the compiled dist/cli/main.js; in a clone of
// the repository (cli/main.ts beside this file) it always runs the TypeScript sources, transpiled once
// and cached (cli/sourceLoader.js), so `npm ci` is the only set-up and a stale dist/ never runs. Nothing
// heavy loads here: each command loads what it needs.
const fs = require("fs");
const path = require("path");
// Node 22 can cache compiled code between runs.
require("module").enableCompileCache?.();
// `keyrelay status | head`: a reader that stops early is not an error of ours.
process.stdout.on("error", (error) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(process.exitCode ?? 0);
});
const source = path.join(__dirname, "main.ts");
const fromSource = fs.existsSync(source);
if (fromSource) require("./sourceLoader.js").register(path.join(__dirname, ".."));
require(fromSource ? source : "../dist/cli/main.js").runCli(process.argv.slice(2)).then((code) => { process.exitCode = code; });
