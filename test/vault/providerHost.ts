// Runs a dynamic provider the way `pulumi up` does: the serialized `__provider` text that
// Pulumi records in a resource's inputs, evaluated by @pulumi/pulumi's own dynamic provider
// host (cmd/dynamic-provider) in a fresh node process, called over gRPC like the engine calls it.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import * as pulumi from "@pulumi/pulumi";

const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
// The host's own copies of gRPC and the generated protocol, so requests are built exactly as it parses them.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] })) as typeof import("@grpc/grpc-js");
/* eslint-disable @typescript-eslint/no-var-requires */
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const structproto = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [pulumiDir] }));
/* eslint-enable @typescript-eslint/no-var-requires */

export const VAULT_SECRET_TYPE = "pulumi-nodejs:dynamic/keyrelay:VaultSecret";

/**
 * Constructs a VaultSecret under the mock runtime and returns the `__provider` text Pulumi
 * serialized for it: the code the engine's host will run.
 */
export async function serializedVaultSecretProvider(): Promise<string> {
    let captured: string | undefined;
    pulumi.runtime.setMocks({
        newResource: (args) => {
            if (args.type === VAULT_SECRET_TYPE) captured = args.inputs.__provider;
            return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => {
            throw new Error(`unexpected call ${args.token}`);
        },
    }, "keyrelay-test", "serialize", false);
    const { VaultSecret } = await import("../../components/vaultSecret");
    const secret = new VaultSecret("serialized", {
        vaultUrl: "https://serialized.vault.azure.net", name: "serialized", value: "placeholder-not-a-secret", expiresOn: "2030-01-01T00:00:00Z",
    });
    await new Promise<void>((resolve) => secret.urn.apply(() => resolve()));
    if (!captured) throw new Error("the mock runtime never saw a VaultSecret's __provider input");
    return captured;
}

const REPOSITORY = path.resolve(__dirname, "..", "..");

/**
 * Installs keyrelay into `programDir`/node_modules as a package would be installed (compiled
 * JavaScript under bin/, a package.json whose `exports` lists only the components' entry, its
 * dependencies beside it) and returns the `__provider` text a program declaring a VaultSecret
 * from that installed copy records, as declared on another machine (no path of this one in it).
 */
export async function installedKeyrelay(programDir: string): Promise<string> {
    const packageDir = path.join(programDir, "node_modules", "keyrelay");
    for (const dir of ["components", path.join("components", "provider"), "lib", "cli", path.join("policies", "lib")]) {
        const target = path.join(packageDir, "bin", dir);
        fs.mkdirSync(target, { recursive: true });
        for (const file of fs.readdirSync(path.join(REPOSITORY, dir)).filter((f) => f.endsWith(".ts"))) {
            const source = fs.readFileSync(path.join(REPOSITORY, dir, file), "utf8");
            const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
            fs.writeFileSync(path.join(target, file.replace(/\.ts$/, ".js")), outputText);
        }
    }
    fs.writeFileSync(path.join(packageDir, "package.json"), JSON.stringify({ name: "keyrelay", version: "0.0.0-test", main: "bin/components/index.js", exports: { ".": "./bin/components/index.js" } }));
    for (const dependency of ["@azure", "luxon"]) {
        fs.symlinkSync(path.join(REPOSITORY, "node_modules", dependency), path.join(programDir, "node_modules", dependency), "dir");
    }
    const { loadingVaultSecretProvider } = await import("../../components/provider/vaultSecretProviderLocation");
    const { createVaultSecretProvider } = await import("../../components/provider/vaultSecretProvider");
    const serializeClosure = await import("@pulumi/pulumi/runtime/closure/serializeClosure");
    const provider = loadingVaultSecretProvider(
        { packageName: "keyrelay", pathInPackage: "bin/components/provider/vaultSecretProvider.js", file: "/home/deployer/elsewhere/node_modules/keyrelay/bin/components/provider/vaultSecretProvider.js" },
        createVaultSecretProvider());
    return (await serializeClosure.serializeFunction(() => provider, { allowSecrets: true })).text;
}

export interface ProviderHost {
    check(urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<{ inputs: Record<string, any>; failures: { property: string; reason: string }[] }>;
    create(urn: string, props: Record<string, unknown>): Promise<{ id: string; outs: Record<string, any> }>;
    update(urn: string, id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<Record<string, any>>;
    diff(urn: string, id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<{ changes: number; replaces: string[] }>;
    read(urn: string, id: string, props: Record<string, unknown>): Promise<{ id: string; props: Record<string, any> }>;
    delete(urn: string, id: string, props: Record<string, unknown>): Promise<void>;
    /** Everything the host process printed. */
    output(): { stdout: string; stderr: string };
    close(): Promise<void>;
}

function unary<Req, Res>(client: any, method: string, request: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
        client[method](request, (error: Error | null, response: Res) => (error ? reject(error) : resolve(response)));
    });
}

/** Starts @pulumi/pulumi's dynamic provider host in a child process with this environment. */
export async function startProviderHost(options: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<ProviderHost> {
    const child: ChildProcess = spawn(process.execPath, [path.join(pulumiDir, "cmd", "dynamic-provider", "index.js"), "127.0.0.1:1"], {
        cwd: options.cwd ?? path.resolve(__dirname, "..", ".."),
        env: options.env,
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`provider host did not start: ${stderr}`)), 20_000);
        child.stdout!.on("data", (d: Buffer) => {
            stdout += d.toString();
            const first = stdout.split("\n")[0].trim();
            if (/^\d+$/.test(first) && stdout.includes("\n")) {
                clearTimeout(timer);
                resolve(Number(first));
            }
        });
        child.on("exit", (code) => reject(new Error(`provider host exited (${code}): ${stderr}`)));
    });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const struct = (o: Record<string, unknown>) => structproto.Struct.fromJavaScript(JSON.parse(JSON.stringify(o)));

    return {
        async check(urn, olds, news) {
            const req = new provproto.CheckRequest();
            req.setUrn(urn);
            req.setOlds(struct(olds));
            req.setNews(struct(news));
            const res = await unary<any, any>(client, "check", req);
            return {
                inputs: res.getInputs().toJavaScript(),
                failures: res.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
            };
        },
        async create(urn, props) {
            const req = new provproto.CreateRequest();
            req.setUrn(urn);
            req.setProperties(struct(props));
            const res = await unary<any, any>(client, "create", req);
            return { id: res.getId(), outs: res.getProperties().toJavaScript() };
        },
        async update(urn, id, olds, news) {
            const req = new provproto.UpdateRequest();
            req.setUrn(urn);
            req.setId(id);
            req.setOlds(struct(olds));
            req.setNews(struct(news));
            const res = await unary<any, any>(client, "update", req);
            return res.getProperties().toJavaScript();
        },
        async diff(urn, id, olds, news) {
            const req = new provproto.DiffRequest();
            req.setUrn(urn);
            req.setId(id);
            req.setOlds(struct(olds));
            req.setNews(struct(news));
            const res = await unary<any, any>(client, "diff", req);
            return { changes: res.getChanges(), replaces: res.getReplacesList() };
        },
        async read(urn, id, props) {
            const req = new provproto.ReadRequest();
            req.setUrn(urn);
            req.setId(id);
            req.setProperties(struct(props));
            const res = await unary<any, any>(client, "read", req);
            return { id: res.getId(), props: res.getProperties()?.toJavaScript() ?? {} };
        },
        async delete(urn, id, props) {
            const req = new provproto.DeleteRequest();
            req.setUrn(urn);
            req.setId(id);
            req.setProperties(struct(props));
            await unary<any, any>(client, "delete", req);
        },
        output: () => ({ stdout, stderr }),
        close: async () => {
            client.close();
            if (child.exitCode === null) {
                const exited = new Promise((resolve) => child.once("exit", resolve));
                child.kill("SIGTERM");
                await exited;
            }
        },
    };
}

/** The host's own Struct.fromJavaScript (google-protobuf), which every provider result goes through. */
export function toHostStruct(value: Record<string, unknown>): unknown {
    return structproto.Struct.fromJavaScript(value);
}

/** The DiffResponse change kinds, as the host reports them. */
export const DIFF_CHANGES = { unknown: 0, none: 1, some: 2 } as const;
