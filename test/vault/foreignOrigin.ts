// A "foreign origin" for token-origin tests: a second HTTPS server on loopback (another port is
// another origin: RFC 6454 compares scheme, host and port). It records every request and whether
// it carried an Authorization header or a webhook signature, and answers like an empty listing,
// so a client that wrongly followed a link there would carry on and the test would see it.
import * as https from "https";
import type { IncomingMessage, ServerResponse } from "http";
import { listenOnLoopback, trustedTls } from "./tls";

export interface ForeignRequest {
    method: string;
    path: string;
    authorization: boolean;
    signed: boolean;
}

export interface ForeignOrigin {
    url: string;
    /** Host and port, as the refusal names it. */
    host: string;
    readonly requests: ForeignRequest[];
    close(): Promise<void>;
}

export async function startForeignOrigin(): Promise<ForeignOrigin> {
    const tls = await trustedTls();
    const requests: ForeignRequest[] = [];
    const server = https.createServer({ key: tls.key, cert: tls.cert }, (req: IncomingMessage, res: ServerResponse) => {
        requests.push({
            method: req.method ?? "GET",
            path: new URL(req.url ?? "/", "https://foreign.invalid").pathname,
            authorization: req.headers.authorization !== undefined,
            signed: req.headers["x-keyrelay-signature"] !== undefined,
        });
        req.resume();
        req.on("end", () => {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ value: [], access_token: "foreign", token_type: "Bearer", expires_in: 3599 }));
        });
    });
    const listening = await listenOnLoopback(server);
    return { url: listening.url, host: new URL(listening.url).host, requests, close: listening.close };
}
