// lib/terminalText.ts, cli/audit/cardText.ts, audit's value hints and cli/audit/graphShape.ts:
// tenant data cannot forge output, pure.
import { strict as assert } from "assert";
import { DateTime } from "luxon";
import { cardText } from "../../cli/audit/cardText";
import { judgeAudit } from "../../cli/audit/findings";
import { NO_DISPLAY_NAME, directoryAppOf, markDuplicateKeyIds, pageItems } from "../../cli/audit/graphShape";
import { DirectoryApp } from "../../cli/audit/model";
import { secretValueFacts } from "../../cli/audit/valueFacts";
import { errorLine, oneLine, printable, urlForMessage } from "../../lib/terminalText";

const NOW = DateTime.fromISO("2026-12-04T12:00:00Z", { zone: "utc" });

describe("lib/terminalText: service text on a terminal", () => {
    it("strips escape sequences (CSI, OSC title, 8-bit CSI), control characters and bidi overrides", () => {
        const hostile = "\x1b[2J\x1b[1;1Hname\x1b]0;pwned\x07\x9b31m\u202eevil\u202c\x00\x7f";
        assert.equal(oneLine(hostile), "nameevil");
    });

    it("a line break of any kind becomes a space, so no second line can be forged", () => {
        for (const br of ["\n", "\r\n", "\r", "\u2028", "\u2029", "\u0085", "\v", "\f"]) {
            assert.equal(oneLine(`app${br}OK: all clean`), "app OK: all clean", JSON.stringify(br));
        }
        assert.ok(!errorLine(`keyrelay audit: Graph said: bad\nkeyrelay audit: all good`).includes("\n"));
    });

    it("prints null, numbers and missing values, cut at 200 characters without splitting a surrogate pair", () => {
        assert.equal(printable(null), "");
        assert.equal(printable(undefined), "");
        assert.equal(printable(42), "42");
        const emoji = `${"a".repeat(199)}😀tail`;
        const cut = printable(emoji);
        assert.equal(cut, `${"a".repeat(199)}…`);
        assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(cut), "no lone high surrogate");
    });

    it("a URL in a message loses its user-info, query string and fragment", () => {
        assert.equal(urlForMessage("https://user:p4ss@hooks.example/x/y?sig=SECRET#frag"), "https://hooks.example/x/y");
        for (const text of ["ftp://user:p4ss@hooks.example/x?sig=SECRET", "user:p4ss@hooks example?sig=SECRET", "https://u:p4ss@[bad/?sig=SECRET"]) {
            const shown = urlForMessage(text);
            assert.doesNotMatch(shown, /p4ss|SECRET/, text);
        }
    });
});

describe("cli/audit/cardText: names on the Teams card", () => {
    it("escapes Markdown and link syntax, and breaks bare URLs", () => {
        const text = cardText("[Reset your password](https://evil.example/reset) **now** _x_ <b> www.evil.example\nline");
        assert.doesNotMatch(text, /(^|[^\\])[[\]()*_<>]/, text);
        assert.doesNotMatch(text, /https:\/\//);
        assert.doesNotMatch(text, /www\./);
        assert.doesNotMatch(text, /\n/);
    });
});

describe("audit value hints", () => {
    it("no hint for a value of 12 characters or fewer; three code points, never half a surrogate pair", () => {
        assert.equal(secretValueFacts("short~value1").shownHint, "");
        assert.equal(secretValueFacts("short~value12").shownHint, "sho");
        const emoji = secretValueFacts("😀😀😀-a-long-enough-value");
        assert.equal(emoji.shownHint, "😀😀😀");
        assert.equal(emoji.hint, "😀😀😀");
    });
});

describe("cli/audit/graphShape: Graph data of the wrong shape", () => {
    it("a page whose value is not a list is an error naming the request and host", () => {
        for (const page of [{ value: { a: 1 } }, { value: null }, {}, null, "text"]) {
            assert.throws(() => pageItems(page, "GET /v1.0/applications", "graph.example"), /graph\.example answered GET \/v1\.0\/applications with a page whose "value" is .*not a list/);
        }
        assert.deepEqual(pageItems({ value: [1] }, "GET /x", "h"), [1]);
    });

    it("null items are skipped with a note naming their place; odd display names still print", () => {
        const notes: string[] = [];
        assert.equal(directoryAppOf(null, "application", 3, notes), undefined);
        assert.match(notes[0], /applications item 3 is null; skipped/);
        const base = { id: "o1", appId: "a1", passwordCredentials: [null, { keyId: "k1" }] };
        assert.equal(directoryAppOf({ ...base, displayName: null }, "application", 1, notes)!.displayName, NO_DISPLAY_NAME);
        assert.equal(directoryAppOf({ ...base }, "application", 1, notes)!.displayName, NO_DISPLAY_NAME);
        assert.equal(directoryAppOf({ ...base, displayName: 42 }, "application", 1, notes)!.displayName, "42");
        assert.ok(notes.some((n) => /app "42" \(a1\): passwordCredentials item 1 is not an object; skipped/.test(n)), notes.join("\n"));
    });

    function appWith(name: string, appId: string, credential: Record<string, unknown>): DirectoryApp {
        const notes: string[] = [];
        return { ...directoryAppOf({ id: `o-${name}`, appId, displayName: name, passwordCredentials: [credential] }, "application", 1, notes)!, hasOwner: true };
    }

    it("an unparseable or numeric endDateTime, and a keyId on two apps, are findings naming the object, not a silent 'no end'", () => {
        const numeric = appWith("numeric-end", "a-1", { keyId: "k-1", hint: "abc", startDateTime: "2026-01-01T00:00:00Z", endDateTime: 1798761600 });
        const garbled = appWith("garbled-end", "a-2", { keyId: "k-2", hint: "abd", startDateTime: "2026-01-01T00:00:00Z", endDateTime: "2027-13-45" });
        const twinA = appWith("twin-a", "a-3", { keyId: "k-shared", hint: "abe", startDateTime: "2026-01-01T00:00:00Z", endDateTime: "2027-06-01T00:00:00Z" });
        const twinB = appWith("twin-b", "a-4", { keyId: "K-SHARED", hint: "abf", startDateTime: "2026-01-01T00:00:00Z", endDateTime: "2027-06-01T00:00:00Z" });
        const apps = [numeric, garbled, twinA, twinB];
        markDuplicateKeyIds(apps);
        const { findings } = judgeAudit({ apps, policies: { tenantDefault: undefined, appPolicies: [] }, secrets: [], now: NOW, warnDays: 30 });
        const invalid = findings.filter((f) => f.code === "credential-data-invalid");
        assert.deepEqual(invalid.map((f) => f.app?.displayName).sort(), ["garbled-end", "numeric-end", "twin-a", "twin-b"]);
        assert.match(invalid.find((f) => f.app?.displayName === "numeric-end")!.message, /endDateTime is 1798761600, not a date-time string/);
        assert.match(invalid.find((f) => f.app?.displayName === "garbled-end")!.message, /endDateTime "2027-13-45" is not a date-time/);
        assert.match(invalid.find((f) => f.app?.displayName === "twin-a")!.message, /keyId is also on app "twin-b" \(a-4\)/);
    });
});

describe("cli/audit/outputs: the --html file", () => {
    it("a renderer failure is reported as a renderer failure (a bug), not as an unwritable path", async () => {
        const { writeHtmlReport } = await import("../../cli/audit/outputs");
        const fs = await import("fs");
        const os = await import("os");
        const path = await import("path");
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "keyrelay-html-")), "r.html");
        assert.throws(() => writeHtmlReport({}, file, "r.html", () => { throw new TypeError("Cannot read properties of null (reading 'localeCompare')"); }),
            (error: Error) => /could not be rendered \(Cannot read properties of null.*keyrelay bug/.test(error.message) && !/cannot write/.test(error.message));
        assert.ok(!fs.existsSync(file), "nothing half-written");
        assert.throws(() => writeHtmlReport({}, "/dev/full", "/dev/full", () => "<html></html>"), /cannot write --html \/dev\/full: .*ENOSPC/);
    });
});
