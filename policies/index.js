// The pack's entry when it is started from node_modules/keyrelay/policies, the path the README and
// every pipeline name (and pipelines written for keyrelay 0.1.0 already use). The installed package
// ships the pack compiled in dist/policies, so this forwards there; in a clone, or in this folder
// copied alone for `pulumi policy publish`, index.ts sits beside it and is loaded instead (the
// policy runtime registers ts-node first: @pulumi/pulumi cmd/run-policy-pack/run.js).
"use strict";
const fs = require("fs");
const path = require("path");

const source = path.join(__dirname, "index.ts");
module.exports = fs.existsSync(source) ? require(source) : require("../dist/policies/index.js");
