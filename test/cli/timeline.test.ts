import { strict as assert } from "assert";
import { Document, Element } from "@xmldom/xmldom";
import { parseSvg } from "./fixtures";
import { DateTime } from "luxon";
import { escapeXml, renderTimelineSvg, TimelineApp } from "../../cli/timeline";
import { formatTable } from "../../cli/table";

const t = (iso: string) => DateTime.fromISO(iso, { zone: "utc" });

function elements(doc: Document, tag: string, className?: string): Element[] {
    return Array.from(doc.getElementsByTagName(tag)).filter((e: Element) => className === undefined || e.getAttribute("class") === className);
}

const apps: TimelineApp[] = [
    {
        name: "billing <api> & co",
        credentials: [
            { slot: "a", start: t("2025-12-01"), end: t("2026-06-01"), inService: { from: t("2025-12-01"), until: t("2026-03-01") } },
            { slot: "b", start: t("2026-03-01"), end: t("2026-09-01"), inService: { from: t("2026-03-01"), until: t("2026-06-01") } },
            { slot: "c", start: t("2026-06-01"), end: t("2026-12-01"), inService: { from: t("2026-06-01"), until: t("2026-09-01") } },
        ],
        rotations: [t("2026-03-01"), t("2026-06-01"), t("2027-06-01")],
    },
    {
        name: "orders",
        credentials: [
            { slot: "c", start: t("2025-11-01"), end: t("2026-02-15"), inService: undefined },
            { slot: "a", start: t("2026-02-01"), end: t("2026-08-01"), inService: { from: t("2026-02-01"), until: t("2026-05-01") } },
        ],
        rotations: [],
    },
];

const isBar = (e: Element) => (e.getAttribute("class") ?? "").split(" ").includes("credential");

describe("cli/timeline", () => {
    const from = t("2026-01-01"), to = t("2027-01-01");
    const svg = renderTimelineSvg({ from, to, today: t("2026-04-15"), apps, title: "billing-platform, stack prod: rotation plan (a simulation; nothing is deployed)" });
    const doc = parseSvg(svg);

    it("parses as SVG with one row per app and one bar per credential", () => {
        assert.equal(doc.documentElement!.tagName, "svg");
        assert.equal(doc.documentElement!.getAttribute("xmlns"), "http://www.w3.org/2000/svg");
        const rows = elements(doc, "g", "app");
        assert.deepEqual(rows.map((r) => r.getAttribute("data-app")), ["billing <api> & co", "orders"]);
        assert.equal(Array.from(rows[0].getElementsByTagName("rect")).filter(isBar).length, 3);
        assert.equal(Array.from(rows[1].getElementsByTagName("rect")).filter(isBar).length, 2);
        assert.equal(elements(doc, "rect", "in-service").length, 4);
    });

    it("labels the three slot lanes of every row and draws each credential in its slot's lane", () => {
        for (const row of elements(doc, "g", "app")) {
            const labels = Array.from(row.getElementsByTagName("text")).filter((e: Element) => e.getAttribute("class") === "slot-label");
            assert.deepEqual(labels.map((l) => l.textContent), ["slot a", "slot b", "slot c"]);
            const laneY = new Map(labels.map((l) => [l.getAttribute("data-slot"), Number(l.getAttribute("y"))]));
            for (const bar of Array.from(row.getElementsByTagName("rect")).filter(isBar)) {
                const y = Number(bar.getAttribute("y"));
                const height = Number(bar.getAttribute("height"));
                const labelY = laneY.get(bar.getAttribute("data-slot"))!;
                assert.ok(labelY >= y && labelY <= y + height + 1, `bar of slot ${bar.getAttribute("data-slot")} at y=${y}, its label at ${labelY}`);
            }
        }
    });

    it("draws a credential never in Key Vault hatched, without an in-service span, and says so", () => {
        const never = elements(doc, "rect").filter((e) => (e.getAttribute("class") ?? "").includes("never-in-service"));
        assert.equal(never.length, 1);
        const group = never[0].parentNode as Element;
        assert.equal(Array.from(group.getElementsByTagName("rect")).filter((e: Element) => e.getAttribute("class") === "in-service").length, 0);
        assert.match(group.getElementsByTagName("title")[0].textContent ?? "", /^orders slot c: valid 2025-11-01 to 2026-02-15; never in Key Vault during the plan/);
        assert.ok(svg.includes(`<pattern id="never-in-service"`));
    });

    it("draws the in-service span inside its credential's bar, clipped to the horizon", () => {
        const bars = elements(doc, "rect", "credential");
        const serving = elements(doc, "rect", "in-service");
        const num = (e: Element, a: string) => Number(e.getAttribute(a));
        for (let i = 0; i < bars.length; i++) {
            assert.ok(num(serving[i], "x") >= num(bars[i], "x") - 1e-9);
            assert.ok(num(serving[i], "x") + num(serving[i], "width") <= num(bars[i], "x") + num(bars[i], "width") + 1e-9);
        }
        // slot a starts before the horizon: its bar begins at the chart's left edge (200).
        assert.equal(num(bars[0], "x"), 200);
        // the chart is 960 wide over 365 days: 2026-03-01 is day 59.
        assert.equal(num(bars[1], "x"), Number((200 + (59 / 365) * 960).toFixed(1)));
    });

    it("marks today and each rotation inside the horizon", () => {
        assert.equal(elements(doc, "line", "today").length, 1);
        assert.ok(svg.includes("today 2026-04-15"));
        assert.equal(elements(doc, "line", "rotation").length, 2, "2027-06-01 is past the horizon");
    });

    it("shows its title once, and a legend of swatches instead of a sentence", () => {
        assert.equal(elements(doc, "text", "title").length, 1);
        assert.equal(elements(doc, "text", "title")[0].textContent, "billing-platform, stack prod: rotation plan (a simulation; nothing is deployed)");
        const items = elements(doc, "g", "legend-item");
        assert.deepEqual(items.map((i) => i.getElementsByTagName("text")[0].textContent), [
            "valid", "in Key Vault", "never in Key Vault: declared for an earlier period, it only expires", "rotation", "today", "valid past the plan's end"]);
        for (const item of items) assert.equal(item.childNodes.length >= 2 && (item.firstChild as Element).tagName !== "text", true, "a swatch before each word");
        // No credential never in Key Vault: no line explaining one.
        const allServed = parseSvg(renderTimelineSvg({ from, to, today: from, apps: [apps[0]], title: "x" }));
        assert.ok(!elements(allServed, "g", "legend-item").some((i) => /never in Key Vault/.test(i.textContent ?? "")));
    });

    it("ticks every month up to a year, every quarter beyond, labelled above and below the rows", () => {
        const labels = (d: Document) => elements(d, "text", "axis").map((e) => e.textContent);
        assert.deepEqual(labels(doc).slice(0, 12), ["Feb", "Feb", "Mar", "Mar", "Apr", "Apr", "May", "May", "Jun", "Jun", "Jul", "Jul"]);
        assert.equal(labels(doc).length, 2 * 11, "Feb 2026 to Dec 2026, top and bottom");
        const twoYears = parseSvg(renderTimelineSvg({ from, to: t("2028-01-01"), today: from, apps, title: "x" }));
        assert.deepEqual([...new Set(labels(twoYears))], ["Apr", "Jul", "Oct", "Jan 2027"]);
        assert.equal(elements(twoYears, "line", "grid").length, 23, "a grid line every month");
    });

    it("labels each row with its caption (every and next rotation) and marks bars the horizon cuts", () => {
        const captioned = parseSvg(renderTimelineSvg({ from, to, today: from, apps: [{ ...apps[0], caption: "every P90D, next 2026-03-01" }], title: "x" }));
        assert.deepEqual(elements(captioned, "text", "caption").map((e) => e.textContent), ["every P90D, next 2026-03-01"]);
        const shortHorizon = parseSvg(renderTimelineSvg({ from, to: t("2026-07-01"), today: from, apps, title: "x" }));
        // Past 2026-07-01: billing's b and c, orders' a.
        assert.equal(elements(shortHorizon, "polygon", "past-horizon").length, 3);
        assert.equal(elements(doc, "polygon", "past-horizon").length, 0, "none cut at 2027-01-01");
    });

    it("refuses an empty horizon", () => {
        assert.throws(() => renderTimelineSvg({ from: to, to: from, today: from, apps, title: "x" }), /horizon ends \(2026-01-01\) before it starts \(2027-01-01\)/);
    });

    it("escapes every XML special character", () => {
        assert.equal(escapeXml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
    });
});

describe("cli/table", () => {
    it("pads every column to its widest cell", () => {
        assert.equal(formatTable(["app", "days"], [["billing", "3"], ["a", "120"]]),
            "app      days\n-------  ----\nbilling  3\na        120");
    });
});
