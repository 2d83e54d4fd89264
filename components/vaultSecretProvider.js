// Kept at this path for state written by keyrelay 0.1.0: every VaultSecret that release declared
// names node_modules/keyrelay/components/vaultSecretProvider.js in its serialized provider, and the
// engine's dynamic provider host loads exactly that file to refresh, update or delete it
// (test/fixtures/state-0.1.0, test/vault/state010.test.ts). The provider now lives in
// components/provider/; this module forwards to it: the compiled one in an installed package, the
// TypeScript source (compiled on load with ts-node) in a clone of the repository.
"use strict";
const fs = require("fs");
const path = require("path");

const source = path.join(__dirname, "provider", "vaultSecretProvider.ts");
if (fs.existsSync(source)) {
    if (!require.extensions[".ts"]) require("ts-node").register({ transpileOnly: true });
    module.exports = require(source);
} else {
    module.exports = require("../dist/components/provider/vaultSecretProvider.js");
}
