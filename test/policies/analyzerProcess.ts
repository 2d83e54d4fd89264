// Starts a policy pack the way `pulumi preview --policy-pack <dir>` does, and speaks the analyzer
// protocol to it: `node .../run-policy-pack <engine-address> .` with the pack as working directory,
// the port read from its first line of output, then gRPC over loopback.
import { ChildProcess, spawn } from "child_process";
import * as path from "path";

const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
// The generated stubs require these from @pulumi/pulumi's own dependencies: use the same copies.
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] })) as typeof import("@grpc/grpc-js");
const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [pulumiDir] })) as typeof import("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require(require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [pulumiDir] })) as typeof import("google-protobuf/google/protobuf/empty_pb");
export const analyzerProto = require("@pulumi/pulumi/proto/analyzer_pb") as typeof import("@pulumi/pulumi/proto/analyzer_pb");
const analyzerRpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as typeof import("@pulumi/pulumi/proto/analyzer_grpc_pb");
const engineRpc = require("@pulumi/pulumi/proto/engine_grpc_pb") as typeof import("@pulumi/pulumi/proto/engine_grpc_pb");
type AnalyzerClient = import("@pulumi/pulumi/proto/analyzer_grpc_pb").AnalyzerClient;

export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A value in Pulumi's secret wire encoding. */
export function wireSecret(value: unknown): Record<string, unknown> {
    return { [SECRET_SIG_KEY]: SECRET_SIG, value };
}

export interface EngineLog {
    severity: number;
    message: string;
}

/** The engine's Log service, as far as a policy pack could use it: records every message. */
async function startEngineStub(): Promise<{ address: string; logs: EngineLog[]; stop(): Promise<void> }> {
    const logs: EngineLog[] = [];
    const server = new grpc.Server();
    server.addService(engineRpc.EngineService, {
        log: (call: any, callback: any) => { logs.push({ severity: call.request.getSeverity(), message: call.request.getMessage() }); callback(null, new Empty()); },
        getRootResource: (_call: any, callback: any) => callback(null, new (require("@pulumi/pulumi/proto/engine_pb").GetRootResourceResponse)()),
        setRootResource: (_call: any, callback: any) => callback(null, new (require("@pulumi/pulumi/proto/engine_pb").SetRootResourceResponse)()),
        startDebugging: (_call: any, callback: any) => callback(null, new Empty()),
    });
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    return { address: `127.0.0.1:${port}`, logs, stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

export interface RunningPack {
    client: AnalyzerClient;
    /** What the pack sent to the engine's Log service. */
    engineLogs: EngineLog[];
    /** Everything the pack wrote to stderr so far. */
    stderr(): string;
    stop(): Promise<void>;
}

export interface StartOptions {
    /** Extra environment for the pack process. */
    env?: NodeJS.ProcessEnv;
    /** Give up waiting for the port after this long; default 90 s (ts-node type-checks the pack first). */
    startTimeoutMs?: number;
}

export async function startPolicyPack(packDir: string, options: StartOptions = {}): Promise<RunningPack> {
    const engine = await startEngineStub();
    // As the CLI's pulumi-analyzer-policy shim does: resolve run-policy-pack from the pack's directory.
    const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
    const child: ChildProcess = spawn(process.execPath, [runPolicyPack, engine.address, "."], {
        cwd: packDir, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr!.on("data", (chunk) => { stderr += chunk; });
    const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) {
            const exited = new Promise((resolve) => child.once("exit", resolve));
            child.kill("SIGTERM");
            await exited;
        }
        await engine.stop();
    };
    try {
        const port = await new Promise<number>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`policy pack did not print its port within ${options.startTimeoutMs ?? 90000} ms; stderr: ${stderr}`)), options.startTimeoutMs ?? 90000);
            child.stdout!.on("data", (chunk) => {
                stdout += chunk;
                const line = /^(\d+)\s*\n/.exec(stdout);
                if (line) { clearTimeout(timer); resolve(Number(line[1])); }
            });
            child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`policy pack exited with ${code} before serving; stderr: ${stderr}`)); });
        });
        const client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { "grpc.max_receive_message_length": 400 * 1024 * 1024, "grpc.max_send_message_length": 400 * 1024 * 1024 });
        return { client, engineLogs: engine.logs, stderr: () => stderr, stop: async () => { client.close(); await stop(); } };
    } catch (error) {
        await stop();
        throw error;
    }
}

/** Calls a unary analyzer method and resolves with its response. */
export function unary<Req, Res>(client: AnalyzerClient, method: "getAnalyzerInfo" | "configure" | "analyze" | "analyzeStack", request: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
        (client as any)[method](request, (error: Error | null, response: Res) => (error ? reject(error) : resolve(response)));
    });
}

export interface WireResource {
    type: string;
    name: string;
    urn: string;
    parent?: string;
    /** Properties as the engine marshals them: secrets in wire encoding, unknowns as sentinels. */
    properties: Record<string, unknown>;
    propertyDependencies?: Record<string, string[]>;
}

function options(parent: string | undefined) {
    const opts = new analyzerProto.AnalyzerResourceOptions();
    if (parent) opts.setParent(parent);
    return opts;
}

export function analyzeRequest(resource: WireResource) {
    const request = new analyzerProto.AnalyzeRequest();
    request.setType(resource.type);
    request.setName(resource.name);
    request.setUrn(resource.urn);
    request.setProperties(Struct.fromJavaScript(resource.properties as any));
    request.setOptions(options(resource.parent));
    return request;
}

export function analyzeStackRequest(resources: WireResource[]) {
    const request = new analyzerProto.AnalyzeStackRequest();
    request.setResourcesList(resources.map((resource) => {
        const r = new analyzerProto.AnalyzerResource();
        r.setType(resource.type);
        r.setName(resource.name);
        r.setUrn(resource.urn);
        r.setProperties(Struct.fromJavaScript(resource.properties as any));
        r.setOptions(options(resource.parent));
        if (resource.parent) r.setParent(resource.parent);
        for (const [key, urns] of Object.entries(resource.propertyDependencies ?? {})) {
            if (urns.length === 0) continue;
            const deps = new analyzerProto.AnalyzerPropertyDependencies();
            deps.setUrnsList(urns);
            r.getPropertydependenciesMap().set(key, deps);
        }
        r.setDependenciesList([...new Set(Object.values(resource.propertyDependencies ?? {}).flat())]);
        return r;
    }));
    return request;
}

export const ENFORCEMENT = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 } as const;

export function configureRequest(config: Record<string, { enforcementLevel?: keyof typeof ENFORCEMENT } & Record<string, unknown>>) {
    const request = new analyzerProto.ConfigureAnalyzerRequest();
    for (const [policy, { enforcementLevel, ...properties }] of Object.entries(config)) {
        const entry = new analyzerProto.PolicyConfig();
        entry.setEnforcementlevel(ENFORCEMENT[enforcementLevel ?? "mandatory"]);
        entry.setProperties(Struct.fromJavaScript(properties as any));
        request.getPolicyconfigMap().set(policy, entry);
    }
    return request;
}

export function emptyRequest() {
    return new Empty();
}

export interface Diagnostic {
    policyName: string;
    message: string;
    enforcementLevel: number;
    urn: string;
}

export function diagnostics(response: import("@pulumi/pulumi/proto/analyzer_pb").AnalyzeResponse): Diagnostic[] {
    return response.getDiagnosticsList().map((d) => ({ policyName: d.getPolicyname(), message: d.getMessage(), enforcementLevel: d.getEnforcementlevel(), urn: d.getUrn() }));
}
