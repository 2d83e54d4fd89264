// docs/permissions.md is the one least-privilege table: every line names its source, and every
// .d.ts line it quotes says what the table claims, in the package versions this repository installs.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { VAULT_DNS_SUFFIXES } from "../components/validate";

const ROOT = path.resolve(__dirname, "..");
const doc = fs.readFileSync(path.join(ROOT, "docs", "permissions.md"), "utf8");

function tableRows(markdown: string, header: string): string[][] {
    const lines = markdown.split("\n");
    const start = lines.findIndex((l) => l.startsWith(header));
    assert.ok(start >= 0, `table starting ${header}`);
    const rows: string[][] = [];
    for (const line of lines.slice(start + 2)) {
        if (!line.startsWith("|")) break;
        rows.push(line.slice(1, -1).split(" | ").map((c) => c.trim()));
    }
    return rows;
}

describe("docs/permissions.md", () => {
    it("is linked from the README", () => {
        assert.match(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"), /\(docs\/permissions\.md\)/);
    });

    it("names the permissions the issue asks for, each line with a source", () => {
        const rows = tableRows(doc, "| who | what for |");
        assert.ok(rows.length >= 8);
        for (const row of rows) {
            assert.equal(row.length, 4, row.join(" | "));
            assert.match(row[3], /https:\/\/learn\.microsoft\.com\/|\.d\.ts/, `no source: ${row.join(" | ")}`);
        }
        const text = rows.map((r) => r.join(" ")).join("\n");
        for (const needed of ["Application.ReadWrite.OwnedBy", "owner", "Application.ReadWrite.All", "Key Vault Secrets Officer", "vault** scope",
            "Key Vault Data Access Administrator", "Microsoft.EventGrid", "resource provider registered"]) {
            assert.ok(text.includes(needed), `table lacks ${needed}`);
        }
    });

    it("every node_modules line it quotes says what it quotes", () => {
        const citations = [...doc.matchAll(/`(@pulumi\/[^`]+\.(?:d\.ts|js))` lines? (\d+)(?:-(\d+))? \(([^)]*(?:\([^)]*\)[^)]*)*)\)/g)];
        assert.ok(citations.length >= 6, `${citations.length} citations`);
        for (const [, file, from, to, quoted] of citations) {
            const lines = fs.readFileSync(path.join(ROOT, "node_modules", file), "utf8").split("\n").slice(Number(from) - 1, Number(to ?? from));
            const quotes = [...quoted.matchAll(/"([^"]+)"|`([^`]+)`/g)].map((m) => m[1] ?? m[2]);
            assert.ok(quotes.length > 0, `${file}: nothing quoted`);
            for (const quote of quotes) assert.ok(lines.join(" ").includes(quote), `${file} lines ${from}-${to ?? from} do not say ${JSON.stringify(quote)}`);
        }
    });

    it("lists the vault hosts keyrelay accepts, and the retired Germany host is not one of them", () => {
        for (const suffix of VAULT_DNS_SUFFIXES) assert.ok(doc.includes(`<name>.${suffix}`), suffix);
        assert.ok(!VAULT_DNS_SUFFIXES.includes("vault.microsoftazure.de"));
        assert.match(doc, /Microsoft Cloud Germany \(`vault\.microsoftazure\.de`\) closed/);
        for (const setting of ["azuread:environment", "azure-native:environment", "ARM_ENVIRONMENT", "az cloud set"]) assert.ok(doc.includes(setting), setting);
    });
});
