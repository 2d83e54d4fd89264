// The `keyrelay` bin as a shell pipeline runs it.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as path from "path";

const BIN = path.join(__dirname, "..", "..", "cli", "keyrelay.js");

describe("the keyrelay bin", () => {
    it("a reader that stops early (keyrelay --help | head -1) ends the command quietly, not with an EPIPE crash", async () => {
        const child = spawn(process.execPath, [BIN, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
        child.stdout.destroy();
        let stderr = "";
        child.stderr.on("data", (chunk) => { stderr += chunk; });
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
        assert.equal(code, 0);
    });
});
