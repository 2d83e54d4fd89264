// Throughput of VaultSecret writes against the local HTTPS vault under Key Vault's limits,
// with production timing (real 10 s windows, real 1-16 s backoff).
//   npx ts-node bench/vault-throughput.ts [--secrets 500] [--parallel 0 (unbounded, as pulumi up)]
// Writes new versions of existing secrets, as a rotation does, through the real provider,
// @azure/keyvault-secrets and @azure/identity. The vault and token server run in a child
// process (a vault is another machine; sharing one event loop would bill its TLS work to the
// client). Not part of `npm test`.
import { ChildProcess, fork } from "child_process";
import { SecretClient } from "@azure/keyvault-secrets";
import { createAzureCredential } from "../components/azureCredential";
import { createVaultSecretProvider, secretClientOptions, SecretClientFactory } from "../components/provider/vaultSecretProvider";
import { VaultSecretFields } from "../components/vaultSecretDiff";
import { vaultRetrySettings } from "../components/vaultRetry";
import { RateLimit, VaultRequest } from "../test/vault/localVault";
import { startVaultTestbed, withEnv } from "../test/vault/testbed";

interface Scenario {
    label: string;
    limit: number;
    retryAfter: boolean;
    /** Methods the limit counts; default all. */
    methods?: string[];
}

interface Result {
    scenario: Scenario;
    secrets: number;
    parallel: number;
    failures: number;
    elapsedMs: number;
    /** Least time the vault's limit allows for the writes: floor((n - 1) / limit) windows. */
    windowMinimumMs: number;
    /** The same writes spread evenly at the limit's average rate: n / limit windows. */
    rateMinimumMs: number;
    /** Least time the limit allows for writes sent no faster than this machine sends them unthrottled. */
    achievableMinimumMs?: number;
    challengeMs: number;
    requests: { total: number; put200: number; challenge401: number; throttled429: number; other: number };
    tokens: number;
}

const WINDOW_MS = 10_000;
/** Writes carry a writer stack, as every VaultSecret's do: each write first reads the newest version's writer tag (one GET). */
const WRITER = "acme/keyrelay/bench";
const REQUESTS_PER_WRITE = 2;

function argument(name: string, fallback: number): number {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** The vault side, in a child process, driven by messages. */
interface RemoteVault {
    url: string;
    ca: string;
    credentialEnv: Record<string, string>;
    call<T>(message: object): Promise<T>;
    close(): void;
}

async function startRemoteVault(): Promise<RemoteVault> {
    const child: ChildProcess = fork(__filename, ["--serve"], { execArgv: ["-r", "ts-node/register/transpile-only"], stdio: "inherit" });
    let pending: ((value: any) => void) | undefined;
    child.on("message", (m) => pending?.(m));
    const call = <T>(message: object) => new Promise<T>((resolve) => {
        pending = resolve;
        child.send(message);
    });
    const ready = await call<{ url: string; ca: string; credentialEnv: Record<string, string> }>({ op: "start" });
    return { ...ready, call, close: () => child.kill("SIGTERM") };
}

/** Child side: a testbed that answers the parent's requests. */
async function serve(): Promise<void> {
    const bed = await startVaultTestbed();
    process.on("message", (m: { op: string; names?: string[]; limit?: RateLimit; from?: number }) => {
        const reply = (value: unknown) => process.send!(value);
        switch (m.op) {
            case "start":
                return reply({ url: bed.vault.url, ca: bed.tls.ca, credentialEnv: bed.credentialEnv });
            case "seed":
                for (const name of m.names!) bed.vault.writeOutOfBand(name, `old-${name}`, { exp: Math.floor(Date.parse("2027-01-01T00:00:00Z") / 1000) });
                return reply(m.names!.map((name) => bed.vault.latest(name)!.version));
            case "limit":
                bed.vault.setRateLimit(m.limit);
                return reply(bed.vault.requests.length);
            case "stats":
                return reply({
                    requests: bed.vault.requests.slice(m.from ?? 0).map((r: VaultRequest) => ({ method: r.method, status: r.status })),
                    tokens: bed.tokens.tokenRequests.length,
                    newest: Object.fromEntries((m.names ?? []).map((name) => [name, bed.vault.latest(name)?.value === `new-${name}`])),
                });
            default:
                return reply(undefined);
        }
    });
}

function clientFactoryFor(remote: RemoteVault): SecretClientFactory {
    const clients = new Map<string, SecretClient>();
    return (vaultUrl, settings) => {
        let client = clients.get(vaultUrl);
        if (!client) {
            const credential = withEnv(remote.credentialEnv, () => createAzureCredential({ tlsOptions: { ca: remote.ca } }));
            client = new SecretClient(vaultUrl, credential, secretClientOptions(vaultUrl, settings, { ca: remote.ca }));
            clients.set(vaultUrl, client);
        }
        return client;
    };
}

async function measureChallenge(remote: RemoteVault): Promise<number> {
    // A fresh client's first write pays the challenge round trip and the token; the second does not.
    const p = createVaultSecretProvider({ clientFor: clientFactoryFor(remote), settings: vaultRetrySettings(), pacers: new Map() });
    const probe: VaultSecretFields = { vaultUrl: remote.url, name: "challenge-probe", value: "probe-value", expiresOn: "2027-03-01T00:00:00Z" };
    const t0 = performance.now();
    await p.create(probe);
    const cold = performance.now() - t0;
    const t1 = performance.now();
    await p.create({ ...probe, value: "probe-value-2" });
    return Math.max(0, cold - (performance.now() - t1));
}

async function run(scenario: Scenario, secrets: number, parallel: number): Promise<Result> {
    const remote = await startRemoteVault();
    try {
        const challengeMs = await measureChallenge(remote);
        const names = Array.from({ length: secrets }, (_, i) => `app-${String(i).padStart(4, "0")}-client-secret`);
        const versions = await remote.call<string[]>({ op: "seed", names });
        const olds = new Map(names.map((name, i) => {
            const fields: VaultSecretFields = { vaultUrl: remote.url, name, value: `old-${name}`, expiresOn: "2027-01-01T00:00:00Z", contentType: "text/plain", writer: WRITER };
            return [name, { ...fields, tags: { "managed-by": "keyrelay" }, versionId: `${remote.url}/secrets/${name}/${versions[i]}`, version: versions[i], secretUri: `${remote.url}/secrets/${name}` }];
        }));
        const firstRequest = await remote.call<number>({ op: "limit", limit: scenario.limit > 0 ? { requests: scenario.limit, windowMs: WINDOW_MS, retryAfter: scenario.retryAfter, methods: scenario.methods } : undefined });
        const tokensBefore = (await remote.call<{ tokens: number }>({ op: "stats", from: firstRequest })).tokens;
        const provider = createVaultSecretProvider({ clientFor: clientFactoryFor(remote), settings: vaultRetrySettings(), pacers: new Map() });
        const queue = [...names];
        let failures = 0;
        const started = performance.now();
        const workers = parallel > 0 ? parallel : names.length;
        await Promise.all(Array.from({ length: workers }, async () => {
            for (let name = queue.shift(); name; name = queue.shift()) {
                const old = olds.get(name)!;
                try {
                    await provider.update(old.secretUri, old, { vaultUrl: old.vaultUrl, name, value: `new-${name}`, expiresOn: "2027-06-01T00:00:00Z", contentType: "text/plain", writer: WRITER });
                } catch {
                    failures += 1;
                }
            }
        }));
        const elapsedMs = performance.now() - started;
        const stats = await remote.call<{ requests: { method: string; status: number | string }[]; tokens: number; newest: Record<string, boolean> }>({ op: "stats", from: firstRequest, names });
        // A write that threw, or one whose new value is not the newest version.
        const lost = names.filter((name) => !stats.newest[name]).length;
        const seen = stats.requests;
        const count = (f: (r: typeof seen[number]) => boolean) => seen.filter(f).length;
        return {
            scenario, secrets, parallel: workers, failures: Math.max(failures, lost), elapsedMs,
            windowMinimumMs: scenario.limit > 0 ? Math.floor((secrets - 1) / scenario.limit) * WINDOW_MS : 0,
            rateMinimumMs: scenario.limit > 0 ? (secrets / scenario.limit) * WINDOW_MS : 0,
            challengeMs,
            requests: {
                total: seen.length,
                put200: count((r) => r.method === "PUT" && r.status === 200),
                challenge401: count((r) => r.status === 401),
                throttled429: count((r) => r.status === 429),
                other: count((r) => !(r.method === "PUT" && r.status === 200) && r.status !== 401 && r.status !== 429),
            },
            tokens: stats.tokens - tokensBefore,
        };
    } finally {
        remote.close();
    }
}

/**
 * The best schedule a sliding window of `limit` per `windowMs` allows when writes cannot be
 * sent faster than `ratePerMs`: write i goes at max(i / rate, time of write i - limit + window).
 */
export function achievableMinimumMs(writes: number, limit: number, windowMs: number, ratePerMs: number): number {
    const at: number[] = [];
    for (let i = 0; i < writes; i++) at.push(Math.max(i / ratePerMs, i >= limit ? at[i - limit] + windowMs : 0));
    return at[writes - 1] + 1 / ratePerMs;
}

function report(r: Result): void {
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const line = (label: string, minimum: number) => {
        const bound = 1.2 * minimum + r.challengeMs;
        console.log(`  ${label.padEnd(28)} ${s(minimum).padStart(8)}   bound 1.2x + challenge ${s(bound).padStart(8)}   ${r.elapsedMs <= bound ? "within" : "over"} (${(r.elapsedMs / Math.max(minimum, 1)).toFixed(2)}x)`);
    };
    console.log(`\n${r.scenario.label}: ${r.secrets} secrets, parallel ${r.parallel}`);
    console.log(`  failures                     ${r.failures}`);
    console.log(`  elapsed                      ${s(r.elapsedMs)}`);
    if (r.scenario.limit > 0) {
        line("minimum, even rate", r.rateMinimumMs);
        line("minimum, sliding window", r.windowMinimumMs);
        if (r.achievableMinimumMs !== undefined) line("minimum, window at this box", r.achievableMinimumMs);
        if (!r.scenario.methods) {
            // Each write is two requests (the writer check's GET, then the PUT), and this limit counts both.
            const requestsNeeded = REQUESTS_PER_WRITE * r.secrets;
            line(`minimum, ${REQUESTS_PER_WRITE} requests a write`, Math.floor((requestsNeeded - 1) / r.scenario.limit) * WINDOW_MS);
        }
    }
    console.log(`  challenge round trip         ${s(r.challengeMs)}`);
    console.log(`  requests                     ${r.requests.total} (${(r.requests.total / r.secrets).toFixed(3)} per secret): ` +
        `${r.requests.put200} PUT 200, ${r.requests.challenge401} challenge 401, ${r.requests.throttled429} throttled 429, ${r.requests.other} other`);
    console.log(`  token requests               ${r.tokens}`);
}

async function main(): Promise<void> {
    const secrets = argument("secrets", 500);
    const parallel = argument("parallel", 0);
    const scenarios: Scenario[] = [
        { label: "no limit (what this machine does unthrottled)", limit: 0, retryAfter: false },
        { label: "4,000 requests per 10 s, bare 429s over the limit", limit: 4000, retryAfter: false },
        // As Key Vault counts them: 300 creates (PUTs) per 10 s, the writer check's reads apart (service-limits; REFERENCE.md).
        { label: "300 creates (PUT) per 10 s, reads counted apart, bare 429s over the limit", limit: 300, retryAfter: false, methods: ["PUT"] },
    ];
    let failed = false;
    let unthrottledRatePerMs: number | undefined;
    for (const scenario of scenarios) {
        const result = await run(scenario, secrets, parallel);
        if (scenario.limit === 0) unthrottledRatePerMs = secrets / result.elapsedMs;
        else if (unthrottledRatePerMs) result.achievableMinimumMs = achievableMinimumMs(secrets, scenario.limit, WINDOW_MS, unthrottledRatePerMs);
        report(result);
        failed ||= result.failures > 0;
    }
    if (failed) process.exitCode = 1;
}

if (process.argv.includes("--serve")) {
    void serve();
} else {
    main().catch((error) => {
        console.error((error as Error).message);
        process.exitCode = 1;
    });
}
