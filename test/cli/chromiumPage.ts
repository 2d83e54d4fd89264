// Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON
// messages ended by a NUL byte, Chromium reading fd 3 and writing fd 4; no WebSocket, no new
// dependency). It opens a page at an exact viewport (Emulation.setDeviceMetricsOverride), evaluates
// an expression in it and takes a screenshot. Every wait is bounded.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Readable, Writable } from "stream";

export interface PageRun<T> {
    value: T;
    png: Buffer;
}

export async function inChromium<T>(chromium: string, url: string, viewport: { width: number; height: number; mobile?: boolean }, expression: string, timeoutMs = 60_000): Promise<PageRun<T>> {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-cdp-"));
    const child = spawn(chromium, [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--remote-debugging-pipe", `--user-data-dir=${profile}`, "about:blank",
    ], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
    const toChromium = child.stdio[3] as Writable;
    const fromChromium = child.stdio[4] as Readable;
    // A pipe closed by an exiting Chromium is not this helper's failure: the exit handler reports that.
    toChromium.on("error", () => undefined);
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => { stderr = (stderr + c.toString("utf8")).slice(-4000); });
    const pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
    const events: { method: string; sessionId?: string }[] = [];
    const waiters: (() => void)[] = [];
    let buffered = Buffer.alloc(0);
    fromChromium.on("data", (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        for (let end = buffered.indexOf(0); end >= 0; end = buffered.indexOf(0)) {
            const message = JSON.parse(buffered.subarray(0, end).toString("utf8"));
            buffered = buffered.subarray(end + 1);
            if (message.id !== undefined) {
                const call = pending.get(message.id);
                pending.delete(message.id);
                if (message.error) call?.reject(new Error(`${message.error.message} (${message.error.code})`));
                else call?.resolve(message.result);
            } else {
                events.push(message);
                waiters.splice(0).forEach((w) => w());
            }
        }
    });
    let nextId = 1;
    const send = (method: string, params: object = {}, sessionId?: string) => new Promise<Record<string, unknown>>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        toChromium.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + "\0");
    });
    const event = (method: string, sessionId: string) => new Promise<void>((resolve) => {
        const check = () => (events.some((e) => e.method === method && e.sessionId === sessionId) ? resolve() : waiters.push(check));
        check();
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Chromium did not finish within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    });
    const exited = new Promise<never>((_, reject) => child.on("exit", (code) => reject(new Error(`Chromium exited (${code}): ${stderr}`))));
    try {
        return await Promise.race([deadline, exited, (async () => {
            const { targetId } = await send("Target.createTarget", { url: "about:blank" });
            const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true }) as { sessionId: string };
            await send("Emulation.setDeviceMetricsOverride", { width: viewport.width, height: viewport.height, deviceScaleFactor: 1, mobile: viewport.mobile === true }, sessionId);
            await send("Page.enable", {}, sessionId);
            const loaded = event("Page.loadEventFired", sessionId);
            await send("Page.navigate", { url }, sessionId);
            await loaded;
            const evaluated = await send("Runtime.evaluate", { expression, returnByValue: true }, sessionId) as { result: { value: T }; exceptionDetails?: { text: string } };
            if (evaluated.exceptionDetails) throw new Error(`the page's expression threw: ${JSON.stringify(evaluated.exceptionDetails)}`);
            const shot = await send("Page.captureScreenshot", { format: "png" }, sessionId) as { data: string };
            return { value: evaluated.result.value, png: Buffer.from(shot.data, "base64") };
        })()]);
    } finally {
        clearTimeout(timer);
        // Close the browser the way it expects (Browser.close), so its helper processes stop writing the
        // profile; SIGKILL only if it has not gone within 5 s.
        const gone = new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const wait = setTimeout(() => { child.kill("SIGKILL"); resolve(); }, 5_000);
            child.once("exit", () => { clearTimeout(wait); resolve(); });
        });
        if (child.exitCode === null) toChromium.write(JSON.stringify({ id: nextId++, method: "Browser.close", params: {} }) + "\0", () => undefined);
        await gone;
        fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    }
}
