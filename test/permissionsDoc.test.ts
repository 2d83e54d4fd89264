// docs/permissions.md is the one least-privilege table: every line names its source, and every
// .d.ts line it quotes says what the table claims, in the package versions this repository installs.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { execFileSync, spawnSync } from "child_process";
import { VAULT_DNS_SUFFIXES } from "../components/validate";
import { buildProgram } from "../cli/main";

const ROOT = path.resolve(__dirname, "..");
const doc = fs.readFileSync(path.join(ROOT, "docs", "permissions.md"), "utf8");
const BOOTSTRAP = path.join(ROOT, "docs", "bootstrap.sh");

/** The ids, checked by hand against Microsoft Learn: Graph application permissions from the permissions
 * reference (https://learn.microsoft.com/graph/permissions-reference), Azure roles from the built-in
 * roles pages (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security and
 * .../integration), the directory role from https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference.
 * A second entry of each, so a typo in the doc or the script cannot agree with itself. */
const KNOWN_IDS: Record<string, string> = {
    "Application.ReadWrite.OwnedBy": "18a4783c-866b-4cc7-a460-3d5e5662c884",
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "Policy.Read.All": "246dd0d5-5bd0-4def-940b-0421030a5b68",
    "AuditLog.Read.All": "b0afded3-3588-46d8-8b3d-9842eff778da",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Reader": "21090545-7ca7-4776-b22c-e363652d74d2",
    "Key Vault Data Access Administrator": "8b54135c-b56d-4d72-a534-26097cfdc8d8",
    "EventGrid Contributor": "1e241071-0855-49ea-94dc-649edcd759de",
    "EventGrid EventSubscription Contributor": "428e0ff0-5e57-4d9c-a221-2c70d0e0a443",
    "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
};
const GUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const SUBSCRIPTION = "/subscriptions/00000000-0000-4000-8000-000000000001";
const VAULT_ID = `${SUBSCRIPTION}/resourceGroups/rg-platform/providers/Microsoft.KeyVault/vaults/kv-platform`;

/** The Graph permissions (backticked, `X.Read...`/`X.ReadWrite...`) and roles ("quoted") one table cell names. */
function namesIn(cell: string): string[] {
    const graph = [...cell.matchAll(/`([A-Z]\w+\.(?:Read|ReadWrite)(?:\.\w+)?)`/g)].map((m) => m[1]);
    const roles = [...cell.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    return [...graph, ...roles];
}

/** What the printed script grants: [id, name] from each grant line's id and its trailing comment. */
function grantsPrinted(args: string[]): Array<[string, string]> {
    const out = execFileSync("bash", [BOOTSTRAP, ...args], { encoding: "utf8" });
    execFileSync("bash", ["-n"], { input: out });
    const grants: Array<[string, string]> = [];
    for (const line of out.split("\n")) {
        const grant = new RegExp(`(?:--api-permissions (${GUID})=Role|--role (${GUID}) |"roleDefinitionId":"(${GUID})").*  # (.+)$`).exec(line);
        if (grant) grants.push([grant[1] ?? grant[2] ?? grant[3], grant[4]]);
        else assert.doesNotMatch(line, /^az (ad app permission add|role assignment create|rest)/, `a grant without its name: ${line}`);
    }
    return grants;
}

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
            "Key Vault Data Access Administrator", "Microsoft.EventGrid", "resource provider registered",
            "**`Directory.Read.All`** besides `Application.ReadWrite.OwnedBy`", "**`User.Read.All`** when an owner is a user",
            "Azure RBAC permission model", "**`Application.Read.All`**", "**`Policy.Read.All`**", "**\"Global Reader\"**",
            "**`AuditLog.Read.All`**, and an **Entra ID P1 or P2**", "`--read-values`"]) {
            assert.ok(text.includes(needed), `table lacks ${needed}`);
        }
        assert.doesNotMatch(doc, /no Graph `Directory\.\*` permission/, "adding an owner other than the caller needs Directory.Read.All");
    });

    it("has a row for every keyrelay command that talks to Azure, and status needs only metadata", () => {
        const rows = tableRows(doc, "| who | what for |");
        const program = buildProgram({ stdout: () => undefined, stderr: () => undefined, isTTY: false, env: {} }, () => undefined);
        const commands = program.commands.map((c) => c.name()).filter((name) => name !== "plan" && name !== "help");
        assert.ok(commands.length >= 3, commands.join());
        for (const command of commands) assert.ok(rows.some((r) => r[1].includes(`\`keyrelay ${command}\``)), `no row for keyrelay ${command}`);
        assert.match(doc, /`keyrelay plan` needs no permission/);
        const status = rows.find((r) => r[1].startsWith("`keyrelay status`"))!;
        assert.deepEqual(namesIn(status[2]), ["Key Vault Reader"]);
        // status lists properties only: no call in it reads a secret's value.
        const statusSource = fs.readFileSync(path.join(ROOT, "cli", "status", "report.ts"), "utf8");
        assert.match(statusSource, /listPropertiesOfSecrets/);
        assert.doesNotMatch(statusSource, /\.getSecret\(/);
    });

    it("names every permission and role by the id Microsoft Learn gives it", () => {
        const ids = tableRows(doc, "| name | kind | id |");
        const documented = new Map(ids.map((r) => [r[0].replace(/^[`"]|[`"]$/g, ""), r[2].replace(/`/g, "")]));
        assert.deepEqual(Object.fromEntries(documented), KNOWN_IDS);
        for (const row of ids) assert.match(row[3], /https:\/\/learn\.microsoft\.com\//, row[0]);
        const inTable = new Set(tableRows(doc, "| who | what for |").flatMap((r) => namesIn(r[2])));
        assert.deepEqual([...inTable].sort(), Object.keys(KNOWN_IDS).sort(), "the table names exactly the permissions and roles that have ids");
    });

    describe("docs/bootstrap.sh", () => {
        const everything = ["--platform", "github", "--github-repo", "contoso/platform-secrets", "--vault-id", VAULT_ID, "--user-owners", "--readers",
            "--alerts", `${SUBSCRIPTION}/resourceGroups/rg-platform`, "--audit", "--sign-ins", "--doctor", "--audit-user", "11111111-2222-4333-8444-555555555555"];
        const otherChoices = ["--platform", "azure-devops", "--ado-org-id", "22222222-2222-4222-8222-222222222222", "--ado-org", "contoso", "--ado-project", "platform",
            "--ado-connection", "keyrelay-rotation", "--vault-id", VAULT_ID, "--all-apps", "--read-values", "--alerts-existing-topic", `${SUBSCRIPTION}/resourceGroups/rg-events`];

        it("is valid bash, and so is what it prints", () => {
            execFileSync("bash", ["-n", BOOTSTRAP]);
            grantsPrinted(everything);
        });

        it("grants every permission and role of the table, each by its id, and nothing else", () => {
            const grants = [...grantsPrinted(everything), ...grantsPrinted(otherChoices)];
            for (const [id, name] of grants) assert.equal(id, KNOWN_IDS[name], `${name} granted as ${id}`);
            assert.deepEqual([...new Set(grants.map(([, name]) => name))].sort(), Object.keys(KNOWN_IDS).sort());
            const source = fs.readFileSync(BOOTSTRAP, "utf8");
            const mapped = [...source.matchAll(/^\s+"([^"]+)"\) echo (\S+) ;;$/gm)];
            assert.equal(mapped.length, Object.keys(KNOWN_IDS).length - 1, "every Graph permission and Azure role (Global Reader has its own line)");
            for (const [, name, id] of mapped) {
                assert.equal(id, KNOWN_IDS[name], `bootstrap.sh maps ${name} to ${id}`);
            }
        });

        it("grants only what the pipeline needs by default: OwnedBy and Key Vault Secrets Officer on the vault", () => {
            const grants = grantsPrinted(["--platform", "github", "--github-repo", "contoso/platform-secrets", "--vault-id", VAULT_ID]);
            assert.deepEqual(grants.map(([, name]) => name), ["Application.ReadWrite.OwnedBy", "Key Vault Secrets Officer"]);
        });

        it("trusts exactly the pipeline's issuer and subject", () => {
            const github = execFileSync("bash", [BOOTSTRAP, "--platform", "github", "--github-repo", "contoso/platform-secrets", "--vault-id", VAULT_ID], { encoding: "utf8" });
            assert.match(github, /"issuer":"https:\/\/token\.actions\.githubusercontent\.com","subject":"repo:contoso\/platform-secrets:ref:refs\/heads\/main","audiences":\["api:\/\/AzureADTokenExchange"\]/);
            const devops = execFileSync("bash", [BOOTSTRAP, ...otherChoices], { encoding: "utf8" });
            assert.match(devops, /"issuer":"https:\/\/vstoken\.dev\.azure\.com\/22222222-2222-4222-8222-222222222222","subject":"sc:\/\/contoso\/platform\/keyrelay-rotation"/);
        });

        it("takes its parameters from the environment as well as flags", () => {
            const out = execFileSync("bash", [BOOTSTRAP], { encoding: "utf8", env: { ...process.env, KEYRELAY_PLATFORM: "github", KEYRELAY_GITHUB_REPO: "contoso/x", KEYRELAY_VAULT_ID: VAULT_ID, KEYRELAY_READERS: "1" } });
            assert.match(out, /repo:contoso\/x:ref:refs\/heads\/main/);
            assert.match(out, /# Key Vault Data Access Administrator$/m);
        });

        it("refuses bad input naming the flag and the fix, and prints no command", () => {
            for (const [args, message] of [
                [["--platform", "github", "--github-repo", "contoso/x"], /--vault-id: give the vault's ARM id/],
                [["--platform", "gitlab", "--vault-id", VAULT_ID], /--platform: github or azure-devops/],
                [["--platform", "github", "--github-repo", "a/b'; rm -rf ~", "--vault-id", VAULT_ID], /--github-repo: give ORG\/REPO/],
                [["--platform", "azure-devops", "--ado-org-id", "x", "--vault-id", VAULT_ID], /--ado-org-id: the Azure DevOps organization id/],
                [["--platform", "github", "--github-repo", "a/b", "--vault-id", VAULT_ID, "--secrets"], /unknown option --secrets/],
            ] as Array<[string[], RegExp]>) {
                const run = spawnSync("bash", [BOOTSTRAP, ...args], { encoding: "utf8", env: { PATH: process.env.PATH } });
                assert.equal(run.status, 2, args.join(" "));
                assert.equal(run.stdout, "");
                assert.match(run.stderr, message);
            }
        });
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
