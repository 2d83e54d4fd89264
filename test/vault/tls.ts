// A private CA and a server certificate for 127.0.0.1, generated once per test process,
// so the local vault and token server speak real HTTPS that the clients verify.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { generate } from "selfsigned";

export interface TrustedTls {
    /** PEM of the CA that signed the server certificate: what clients must trust. */
    ca: string;
    /** A file holding `ca`, for NODE_EXTRA_CA_CERTS in child processes. */
    caFile: string;
    /** Server certificate (127.0.0.1, ::1, localhost) and its key, PEM. */
    cert: string;
    key: string;
}

let pending: Promise<TrustedTls> | undefined;

async function generateTls(): Promise<TrustedTls> {
    const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000);
    const notAfterDate = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000);
    const ca = await generate([{ name: "commonName", value: "keyrelay test CA" }], {
        keySize: 2048, algorithm: "sha256", notBeforeDate, notAfterDate,
        extensions: [
            { name: "basicConstraints", cA: true, critical: true },
            { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
        ],
    });
    const server = await generate([{ name: "commonName", value: "127.0.0.1" }], {
        keySize: 2048, algorithm: "sha256", notBeforeDate, notAfterDate,
        ca: { key: ca.private, cert: ca.cert },
        extensions: [
            { name: "basicConstraints", cA: false },
            { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
            { name: "extKeyUsage", serverAuth: true },
            { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 7, ip: "::1" }, { type: 2, value: "localhost" }] },
        ],
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-tls-"));
    const caFile = path.join(dir, "ca.pem");
    fs.writeFileSync(caFile, ca.cert);
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    return { ca: ca.cert, caFile, cert: server.cert, key: server.private };
}

/** The test CA and server certificate; generated on first use, shared by every server in the process. */
export function trustedTls(): Promise<TrustedTls> {
    pending ??= generateTls();
    return pending;
}

/** A local HTTPS server listening on a free loopback port: its base URL, and a close that drops open connections. */
export async function listenOnLoopback(server: import("https").Server): Promise<{ url: string; close(): Promise<void> }> {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `https://127.0.0.1:${(server.address() as import("net").AddressInfo).port}`,
        close: () => new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        }),
    };
}
