// The module the serialized VaultSecret provider loads in the engine's dynamic provider host when
// keyrelay runs from its TypeScript sources (this repository, a linked checkout): the host is plain
// node, so the sources are compiled on load with ts-node, as the program itself is.
if (!require.extensions[".ts"]) require("ts-node").register({ transpileOnly: true });
module.exports = require("./provider/vaultSecretProvider");
