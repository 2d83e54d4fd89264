// Shared by the keyrelay command's end-to-end tests: captured output, and the operator identity
// (the one the command signs in with, through DefaultAzureCredential's environment variables).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { DOMParser, Document } from "@xmldom/xmldom";
import { CliContext } from "../../cli/context";
import { trustedTls } from "../vault/tls";
import { TokenServer } from "../vault/tokenServer";

export interface CapturedContext extends CliContext {
    out: string[];
    err: string[];
}

export async function capturedContext(overrides: Partial<CliContext> = {}): Promise<CapturedContext> {
    const out: string[] = [];
    const err: string[] = [];
    return {
        out, err,
        stdout: (s) => { out.push(s); },
        stderr: (s) => { err.push(s); },
        isTTY: false,
        env: {},
        tlsCa: (await trustedTls()).ca,
        retryBaseDelayMs: 20,
        ...overrides,
    };
}

export const OPERATOR = { clientId: "0a0a0a0a-1111-4222-8333-444444444444", secret: "opr~operator-secret-value-0123456789abcd" };
const OPERATOR_ENV = ["AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST"] as const;

/** Registers the operator with the token server and points the process environment at it; returns the restore function. */
export function signInOperator(tokenServer: TokenServer): { objectId: string; restore: () => void } {
    const { objectId } = tokenServer.registerClient({ clientId: OPERATOR.clientId, secrets: [{ value: OPERATOR.secret }] });
    const saved = OPERATOR_ENV.map((k) => [k, process.env[k]] as const);
    process.env.AZURE_CLIENT_ID = OPERATOR.clientId;
    process.env.AZURE_CLIENT_SECRET = OPERATOR.secret;
    process.env.AZURE_TENANT_ID = tokenServer.tenantId;
    delete process.env.AZURE_AUTHORITY_HOST;
    return {
        objectId,
        restore: () => {
            for (const [k, v] of saved) {
                if (v === undefined) delete process.env[k]; else process.env[k] = v;
            }
        },
    };
}

/** A port that was free a moment ago and has nothing listening on it. */
export async function closedPort(): Promise<number> {
    const net = await import("net");
    return new Promise((resolve) => {
        const server = net.createServer().listen(0, "127.0.0.1", () => {
            const port = (server.address() as import("net").AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

/** Parses strictly: any warning or error fails the test. */
export function parseSvg(svg: string): Document {
    const problems: string[] = [];
    // xmldom lets a bare "&" through; XML does not.
    assert.doesNotMatch(svg, /&(?!(amp|lt|gt|quot|apos);)/);
    const doc = new DOMParser({ onError: (level, message) => { problems.push(`${level}: ${message}`); } }).parseFromString(svg, "image/svg+xml");
    assert.deepEqual(problems, []);
    return doc;
}


const REPOSITORY = path.resolve(__dirname, "..", "..");
/** The repository's reference program: examples/reference-stack once the layout moves it there, else the root. */
export const REFERENCE_STACK = fs.existsSync(path.join(REPOSITORY, "examples", "reference-stack", "Pulumi.yaml")) ? path.join(REPOSITORY, "examples", "reference-stack") : REPOSITORY;
