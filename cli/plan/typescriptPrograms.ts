// Lets `keyrelay plan` run a Pulumi program written in TypeScript, as the Pulumi CLI's Node.js host
// does, and only when a plan needs it: the other commands never load ts-node or the compiler.

/** Registers ts-node (transpile only) for `programDir`'s own tsconfig (or `project`, Pulumi.yaml's runtime.options.tsconfig), unless .ts files already load. */
export function registerTypeScript(programDir: string, project?: string): void {
    // In a clone of the repository the bin already runs under ts-node.
    if (require.extensions[".ts"]) return;
    // ts-node and typescript are optional peers of keyrelay: the copies Pulumi itself runs programs
    // with, else the ones it vendors (@pulumi/pulumi tsutils.js, typeScriptRequireStrings).
    const { tsnodeRequire, typescriptRequire } = require("@pulumi/pulumi/tsutils").typeScriptRequireStrings() as { tsnodeRequire: string; typescriptRequire: string };
    const tsNode = require(tsnodeRequire) as typeof import("ts-node");
    tsNode.register({
        transpileOnly: true,
        // The vendored ts-node finds no `typescript` package by name when the project installs none
        // (run-policy-pack and run.js pass the same compiler path).
        compiler: typescriptRequire,
        projectSearchDir: programDir,
        ...(project ? { project } : {}),
        // The program is required from CommonJS, whatever module system its tsconfig names.
        compilerOptions: { module: "commonjs", moduleResolution: "node" },
    });
}
