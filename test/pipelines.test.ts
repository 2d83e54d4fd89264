import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { buildProgram } from "../cli/main";
import { DAILY_RUN_HOUR_UTC } from "../cli/plan/options";
import { azureCredentialRoute } from "../components/provider/azureCredential";

const ROOT = path.resolve(__dirname, "..");
const PIPELINES = path.join(ROOT, "pipelines");
const packageJson = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
/** Tools the pipelines may call that are installed by the pipeline itself or present on the hosted agents. */
const EXTERNAL_TOOLS = new Set(["pulumi", "jq", "sed", "sort", "curl", "sh", "echo", "export", "set", "az"]);
const SHELL_SYNTAX = new Set(["for", "do", "done", "if", "then", "fi"]);
/** Where a user's repository has the policy pack: inside the installed keyrelay package. */
const INSTALLED_PACK = "node_modules/keyrelay/policies";
/** The stack outputs of the README's example program (examples/index.ts), the one users start from. */
const EXAMPLE_OUTPUTS = new Set([...fs.readFileSync(path.join(ROOT, "examples", "index.ts"), "utf8").matchAll(/^export const (\w+)/gm)].map((m) => m[1]));

function yamlFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        return e.isDirectory() ? yamlFiles(full) : /\.ya?ml$/.test(e.name) && !/^Pulumi(\.[\w-]+)?\.ya?ml$/.test(e.name) ? [full] : [];
    });
}

/** Every shell script in a pipeline: GitHub `run`, Azure DevOps `script` and AzureCLI `inlineScript`. */
function scriptsOf(node: unknown): string[] {
    if (Array.isArray(node)) return node.flatMap(scriptsOf);
    if (node && typeof node === "object") {
        return Object.entries(node).flatMap(([key, value]) =>
            ["run", "script", "inlineScript"].includes(key) && typeof value === "string" ? [value] : scriptsOf(value));
    }
    return [];
}

/** Splits a script into simple commands (words), on newlines, ;, &&, || and | outside quotes. */
export function commandsOf(script: string): string[][] {
    const commands: string[][] = [];
    let words: string[] = [];
    let word = "";
    let quote: string | undefined;
    let depth = 0;
    const endWord = () => { if (word) words.push(word); word = ""; };
    const endCommand = () => { endWord(); if (words.length) commands.push(words); words = []; };
    for (let i = 0; i < script.length; i++) {
        const c = script[i];
        if (quote) { if (c === quote) quote = undefined; else word += c; continue; }
        if (c === "$" && script[i + 1] === "(") { depth++; word += "$("; i++; continue; }
        if (depth > 0) { if (c === ")") depth--; word += c; continue; }
        if (c === "'" || c === "\"") { quote = c; continue; }
        if (c === "\n" || c === ";") { endCommand(); continue; }
        if (c === "&" && script[i + 1] === "&") { endCommand(); i++; continue; }
        if (c === "|") { endCommand(); if (script[i + 1] === "|") i++; continue; }
        if (c === " " || c === "\t") { endWord(); continue; }
        word += c;
    }
    endCommand();
    return commands;
}

function optionFlags(subcommand: string): Set<string> {
    const program = buildProgram({ stdout: () => undefined, stderr: () => undefined, isTTY: false, env: {} }, () => undefined);
    const command = program.commands.find((c) => c.name() === subcommand);
    assert.ok(command, `keyrelay has no subcommand "${subcommand}"`);
    return new Set(command.options.map((o) => o.long!));
}

function checkCommand(words: string[], file: string): void {
    if (words[0] === "for") return;
    let [tool, ...args] = words;
    while (SHELL_SYNTAX.has(tool) && args.length > 0) [tool, ...args] = args;
    if (SHELL_SYNTAX.has(tool) || /^\w+=/.test(tool)) return;
    const where = `${path.relative(ROOT, file)}: ${words.join(" ")}`;
    if (tool === "npm") {
        const script = args[0] === "run" ? args[1] : args[0];
        if (args[0] === "ci" || args[0] === "install") return;
        assert.ok(packageJson.scripts[script], `${where}: no npm script "${script}" in package.json`);
        return;
    }
    if (tool === "npx") {
        assert.equal(args[0], "keyrelay", `${where}: only this repo's own bin may run through npx`);
        const bin = packageJson.bin?.keyrelay;
        assert.ok(bin && fs.existsSync(path.join(ROOT, bin)), `${where}: package.json has no runnable keyrelay bin`);
        const flags = optionFlags(args[1]);
        for (const flag of args.filter((a) => a.startsWith("--"))) assert.ok(flags.has(flag), `${where}: keyrelay ${args[1]} has no option ${flag}`);
        return;
    }
    if (tool === "node") {
        assert.ok(fs.existsSync(path.join(ROOT, args[0])), `${where}: ${args[0]} does not exist`);
        return;
    }
    assert.ok(EXTERNAL_TOOLS.has(tool), `${where}: unknown command "${tool}"; add a check for it`);
    if (tool === "pulumi") {
        const pack = args.indexOf("--policy-pack");
        if (args[0] === "preview" || args[0] === "up") assert.ok(pack >= 0, `${where}: runs without the policy pack`);
        if (pack >= 0) {
            assert.equal(args[pack + 1], INSTALLED_PACK, `${where}: ${args[pack + 1]} is not the policy pack a user has (${INSTALLED_PACK})`);
            assert.ok(fs.existsSync(path.join(ROOT, "policies", "PulumiPolicy.yaml")) && packageJson.files.includes("policies/PulumiPolicy.yaml"), `${where}: the package does not ship the pack`);
        }
        if (args[0] === "stack" && args[1] === "output") assert.ok(EXAMPLE_OUTPUTS.has(args[2]), `${where}: the README's example program exports no ${args[2]}`);
    }
}

/** Files a script reads (`*.json` arguments) and writes (`> file`). */
function filesOf(script: string): { reads: Set<string>; writes: Set<string> } {
    const reads = new Set<string>(), writes = new Set<string>();
    for (const words of commandsOf(script)) {
        words.forEach((word, i) => {
            if (words[i - 1] === ">") writes.add(word);
            else if (/^[\w.-]+\.json$/.test(word)) reads.add(word);
        });
        for (const inner of words.filter((w) => w.startsWith("$("))) for (const f of filesOf(inner.slice(2, -1)).reads) reads.add(f);
    }
    return { reads, writes };
}

/** Every line holding a GUID is explained by the comment above it (past lines that hold GUIDs themselves) or on it. */
function unexplainedGuids(text: string): string[] {
    const lines = text.split("\n");
    const guid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
    return lines.filter((line, i) => {
        if (!guid.test(line) || /^\s*(#|\/\/)/.test(line) || /\s#\s/.test(line)) return false;
        let above = i - 1;
        while (above >= 0 && guid.test(lines[above]) && !/^\s*#/.test(lines[above])) above--;
        return !(above >= 0 && /^\s*#/.test(lines[above]));
    });
}

/** The steps of each pipeline, as { if/condition, script }. */
function stepsOf(name: string, doc: any): Array<{ when?: string; script: string; step: any }> {
    const steps: any[] = name.startsWith("github/") ? doc.jobs.rotate.steps : doc.stages[0].jobs[0].strategy.runOnce.deploy.steps;
    return steps.map((step) => ({ when: step.if ?? step.condition, script: scriptsOf(step).join("\n"), step }));
}

describe("pipelines", () => {
    const files = yamlFiles(PIPELINES);
    const parsed = new Map(files.map((f) => [path.relative(PIPELINES, f), yaml.load(fs.readFileSync(f, "utf8")) as any]));

    it("has a GitHub Actions workflow and an Azure DevOps pipeline that parse as YAML", () => {
        assert.deepEqual([...parsed.keys()].sort(), ["azure-devops/keyrelay-rotate.yml", "github/keyrelay-rotate.yml"]);
    });

    it("runs only commands that exist: npm scripts, this repo's bin and its options, the policy pack directory", () => {
        let checked = 0;
        for (const [name, doc] of parsed) {
            const commands = scriptsOf(doc).flatMap(commandsOf);
            assert.ok(commands.length > 3, `${name} runs commands`);
            for (const words of commands) { checkCommand(words, path.join(PIPELINES, name)); checked++; }
            const all = commands.map((w) => w.join(" "));
            assert.ok(all.some((c) => c.startsWith("pulumi preview ") && c.includes(`--policy-pack ${INSTALLED_PACK}`)), `${name}: preview with the pack`);
            assert.ok(all.some((c) => c.startsWith("pulumi up --yes ") && c.includes(`--policy-pack ${INSTALLED_PACK}`)), `${name}: up with the pack`);
            assert.ok(all.some((c) => c.startsWith("pulumi stack output ")), `${name}: reads the stack's outputs`);
            assert.ok(all.some((c) => c.startsWith("npx keyrelay verify --vault")), `${name}: verify after the update`);
            const order = ["pulumi preview", "pulumi up", "npx keyrelay verify"].map((p) => all.findIndex((c) => c.startsWith(p)));
            assert.deepEqual([...order].sort((a, b) => a - b), order, `${name}: preview, then up, then verify`);
        }
        assert.ok(checked > 10);
    });

    it("the command checker catches a missing script, option, bin subcommand and pack directory", () => {
        const file = path.join(PIPELINES, "x.yml");
        assert.throws(() => checkCommand(["npm", "run", "rotate"], file), /no npm script "rotate"/);
        assert.throws(() => checkCommand(["npx", "keyrelay", "verify", "--secrets", "x"], file), /has no option --secrets/);
        assert.throws(() => checkCommand(["npx", "keyrelay", "rotate"], file), /no subcommand "rotate"/);
        assert.throws(() => checkCommand(["pulumi", "up", "--yes", "--policy-pack", "policies"], file), /policies is not the policy pack a user has/);
        assert.throws(() => checkCommand(["pulumi", "stack", "output", "secretUri"], file), /exports no secretUri/);
        assert.throws(() => checkCommand(["pulumi", "up", "--yes"], file), /without the policy pack/);
        assert.throws(() => checkCommand(["wget", "x"], file), /unknown command "wget"/);
        assert.deepEqual(commandsOf(`for uri in $(jq -r '.[]' f.json); do\n  npx keyrelay verify --vault "\${uri%/secrets/*}" && echo ok | sort\ndone`),
            [["for", "uri", "in", "$(jq -r '.[]' f.json)"], ["do"], ["npx", "keyrelay", "verify", "--vault", "${uri%/secrets/*}"], ["echo", "ok"], ["sort"], ["done"]]);
    });

    it("reports status even when the rotation failed, from the stack's outputs, not from a file another step writes", () => {
        for (const [name, doc] of parsed) {
            const steps = stepsOf(name, doc);
            const status = steps.filter((s) => /npx keyrelay status /.test(s.script));
            assert.equal(status.length, 1, `${name}: one status step`);
            const [step] = status;
            assert.match(String(step.when), /always\(\)|!cancelled\(\)|not\(canceled\(\)\)|succeededOrFailed\(\)/, `${name}: status must run after a failed pulumi up`);
            const { reads, writes } = filesOf(step.script);
            assert.ok(reads.size > 0, `${name}: status reads the stack's outputs`);
            for (const file of reads) assert.ok(writes.has(file), `${name}: the status step reads ${file}, which only another step writes`);
            assert.ok(steps.indexOf(step) > steps.findIndex((s) => /pulumi up --yes/.test(s.script)), `${name}: status after the update`);
        }
        assert.deepEqual([...filesOf("jq -r '.[]' a.json > b.json\nfor v in $(jq -r '.[]' c.json | sort); do echo; done").reads].sort(), ["a.json", "c.json"]);
    });

    it("installs the Pulumi CLI with Pulumi's own task or action, at a pinned version in Azure DevOps, never by curl | sh", () => {
        for (const [name, doc] of parsed) {
            for (const words of scriptsOf(doc).flatMap(commandsOf)) assert.notEqual(words[0], "curl", `${name}: ${words.join(" ")}`);
            assert.doesNotMatch(fs.readFileSync(path.join(PIPELINES, name), "utf8"), /get\.pulumi\.com[^\n]*\|\s*(ba)?sh/, name);
        }
        const devops = parsed.get("azure-devops/keyrelay-rotate.yml");
        const pulumiTask = stepsOf("azure-devops/", devops).find((s) => String(s.step.task) === "Pulumi@1")!.step;
        assert.equal(pulumiTask.inputs.versionSpec, "$(pulumiVersion)");
        assert.equal(devops.variables.pulumiVersion, packageJson.devDependencies["@pulumi/pulumi"], "the CLI pinned at the SDK version this package is tested with");
        assert.ok(pulumiTask.inputs.stack && pulumiTask.inputs.command, "the task needs a stack and a command");
        const github = parsed.get("github/keyrelay-rotate.yml");
        assert.ok(github.jobs.rotate.steps.some((s: any) => String(s.uses).startsWith("pulumi/actions@")));
    });

    it("leaves no GUID unexplained: each placeholder says where its value comes from", () => {
        const all = [...yamlFiles(PIPELINES), ...fs.readdirSync(path.join(PIPELINES, "pulumi-deployments")).map((f) => path.join(PIPELINES, "pulumi-deployments", f))];
        for (const file of new Set(all)) assert.deepEqual(unexplainedGuids(fs.readFileSync(file, "utf8")), [], path.relative(ROOT, file));
        assert.deepEqual(unexplainedGuids("a: 1\nid: 00000000-0000-0000-0000-000000000000\n"), ["id: 00000000-0000-0000-0000-000000000000"]);
        assert.deepEqual(unexplainedGuids("# from the portal\nid: 00000000-0000-0000-0000-000000000000\nother: 00000000-0000-0000-0000-000000000001\n"), []);
    });

    it("runs daily at the hour keyrelay plan simulates, and on demand, never two at once", () => {
        const cron = `0 ${DAILY_RUN_HOUR_UTC} * * *`;
        const github = parsed.get("github/keyrelay-rotate.yml");
        assert.deepEqual(github.on.schedule, [{ cron }]);
        assert.ok("workflow_dispatch" in github.on);
        assert.equal(github.concurrency["cancel-in-progress"], false);
        assert.match(github.concurrency.group, /keyrelay-rotate/);
        const devops = parsed.get("azure-devops/keyrelay-rotate.yml");
        assert.equal(devops.schedules[0].cron, cron);
        assert.equal(devops.schedules[0].always, true);
        assert.equal(devops.lockBehavior, "sequential");
    });

    it("uses Node.js 22, what keyrelay and the Pulumi and Azure SDKs declare", () => {
        assert.equal(packageJson.engines.node, ">=22");
        const setupNode = parsed.get("github/keyrelay-rotate.yml").jobs.rotate.steps.find((s: any) => String(s.uses).startsWith("actions/setup-node@"));
        assert.equal(String(setupNode.with["node-version"]), "22");
        const nodeTool = parsed.get("azure-devops/keyrelay-rotate.yml").stages[0].jobs[0].strategy.runOnce.deploy.steps.find((s: any) => String(s.task).startsWith("NodeTool@"));
        assert.equal(nodeTool.inputs.versionSpec, "22.x");
    });

    it("gives keyrelay what it needs to ask for a fresh federated token: each pipeline's variables pick its route", () => {
        const github = parsed.get("github/keyrelay-rotate.yml");
        // The runner adds ACTIONS_ID_TOKEN_REQUEST_* to every step when the workflow may write id-token.
        const githubEnv = { ...github.env, ACTIONS_ID_TOKEN_REQUEST_URL: "https://runner.example/token?api-version=2.0", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t" };
        assert.equal((azureCredentialRoute(githubEnv) as any).source?.kind, "github");
        const devops = parsed.get("azure-devops/keyrelay-rotate.yml");
        const step = devops.stages[0].jobs[0].strategy.runOnce.deploy.steps.find((s: any) => String(s.task).startsWith("AzureCLI@"));
        assert.equal(step.env.SYSTEM_ACCESSTOKEN, "$(System.AccessToken)", "the secret System.AccessToken must be mapped into the script");
        const exported: Record<string, string> = {};
        for (const words of commandsOf(step.inputs.inlineScript).filter((w) => w[0] === "export")) {
            for (const assignment of words.slice(1)) { const [k, ...v] = assignment.split("="); exported[k] = v.join("="); }
        }
        assert.equal(exported.ARM_OIDC_REQUEST_URL, "$SYSTEM_OIDCREQUESTURI");
        assert.ok(exported.ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID);
        const devopsEnv = { ...exported, SYSTEM_ACCESSTOKEN: "t", SYSTEM_OIDCREQUESTURI: "https://dev.azure.com/o/p/_apis/distributedtask/hubs/build/plans/x/jobs/y/oidctoken" };
        assert.equal((azureCredentialRoute(devopsEnv) as any).source?.kind, "azure-devops");
    });

    it("signs in to Azure by workload identity federation and stores no client secret", () => {
        const github = parsed.get("github/keyrelay-rotate.yml");
        assert.equal(github.permissions["id-token"], "write");
        const login = github.jobs.rotate.steps.find((s: any) => String(s.uses).startsWith("azure/login@"));
        assert.deepEqual(Object.keys(login.with).sort(), ["client-id", "subscription-id", "tenant-id"]);
        assert.equal(github.env.ARM_USE_OIDC, "true");
        const devops = parsed.get("azure-devops/keyrelay-rotate.yml");
        const azureCli = JSON.stringify(devops);
        assert.match(azureCli, /"addSpnToEnvironment":true/);
        assert.match(azureCli, /ARM_OIDC_TOKEN=\\"\$idToken\\"/);
        for (const file of files) {
            assert.doesNotMatch(fs.readFileSync(file, "utf8"), /CLIENT_SECRET|client-secret:|servicePrincipalKey/i, `${file} must not use a stored client secret`);
        }
    });

    describe("Pulumi Deployments schedule", () => {
        const registered: Array<{ type: string; name: string; inputs: any }> = [];
        before(() => {
            pulumi.runtime.setMocks({
                newResource: (args) => { registered.push({ type: args.type, name: args.name, inputs: args.inputs }); return { id: `${args.name}-id`, state: { ...args.inputs, scheduleId: "sched-1" } }; },
                call: (args) => { throw new Error(`unexpected call ${args.token}`); },
            }, "keyrelay-deployments", "prod", false);
        });

        const DEPLOYMENTS = path.join(PIPELINES, "pulumi-deployments");
        const exampleConfig = (yaml.load(fs.readFileSync(path.join(DEPLOYMENTS, "Pulumi.example.yaml"), "utf8")) as any).config as Record<string, unknown>;

        it("is a program that installs on its own: package.json with its SDKs, an example stack file with every key", () => {
            const own = JSON.parse(fs.readFileSync(path.join(DEPLOYMENTS, "package.json"), "utf8"));
            for (const dependency of ["@pulumi/pulumi", "@pulumi/pulumiservice"]) {
                const range = own.dependencies[dependency];
                assert.ok(range, `pulumi-deployments/package.json lacks ${dependency}`);
                assert.equal(range, `^${packageJson.devDependencies[dependency]}`, `${dependency}: the version this repository tests with`);
            }
            assert.equal(own.engines.node, ">=22");
            const projectName = (yaml.load(fs.readFileSync(path.join(DEPLOYMENTS, "Pulumi.yaml"), "utf8")) as any).name;
            const source = fs.readFileSync(path.join(DEPLOYMENTS, "rotationSchedule.ts"), "utf8");
            const keys = new Set([...source.matchAll(/config\.(?:require|get|getBoolean)\("(\w+)"\)/g)].map((m) => `${projectName}:${m[1]}`));
            assert.deepEqual(Object.keys(exampleConfig).sort(), [...keys].sort(), "the example stack sets every key the program reads");
            const examplesProject = (yaml.load(fs.readFileSync(path.join(ROOT, "examples", "Pulumi.yaml"), "utf8")) as any).name;
            assert.equal(exampleConfig[`${projectName}:project`], examplesProject, "the example rotates the example program's project");
        });

        it("requires the project of the program it rotates, and says which key is missing", async () => {
            const { settingsFromConfig } = await import("../pipelines/pulumi-deployments/rotationSchedule");
            const withoutProject = Object.fromEntries(Object.entries(exampleConfig).filter(([k]) => !k.endsWith(":project")).map(([k, v]) => [k, String(v)]));
            pulumi.runtime.setAllConfig(withoutProject);
            assert.throws(() => settingsFromConfig(new pulumi.Config("keyrelay-deployments")), /keyrelay-deployments:project/);
        });

        it("previews with the installed policy pack before each update unless a policy group enforces it", async () => {
            const { preRunCommands, settingsFromConfig } = await import("../pipelines/pulumi-deployments/rotationSchedule");
            pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(exampleConfig).map(([k, v]) => [k, String(v)])));
            const settings = settingsFromConfig(new pulumi.Config("keyrelay-deployments"));
            const commands = preRunCommands(settings);
            assert.deepEqual(commands, ["npm ci", "pulumi preview --stack contoso/platform-secrets/example --policy-pack node_modules/keyrelay/policies"]);
            for (const command of commands) checkCommand(commandsOf(command)[0], path.join(DEPLOYMENTS, "rotationSchedule.ts"));
            assert.deepEqual(preRunCommands({ ...settings, policyPreview: false }), ["npm ci"]);
            const operations = fs.readFileSync(path.join(ROOT, "docs", "operations.md"), "utf8");
            assert.match(operations, /policy groups?[^.]*paid/i, "docs/operations.md says policy groups need a paid edition");
            assert.match(operations, /--policy-pack node_modules\/keyrelay\/policies/);
        });

        it("schedules a daily `pulumi up` with Azure OIDC and the same cron", async () => {
            pulumi.runtime.setAllConfig({
                "keyrelay-deployments:organization": "contoso", "keyrelay-deployments:stack": "prod", "keyrelay-deployments:project": "platform-secrets",
                "keyrelay-deployments:repoUrl": "https://github.com/contoso/platform-secrets.git", "keyrelay-deployments:policyPreview": "false",
                "keyrelay-deployments:azureClientId": "c1", "keyrelay-deployments:azureTenantId": "t1", "keyrelay-deployments:azureSubscriptionId": "s1",
            });
            const { declareRotationSchedule, settingsFromConfig, DAILY_ROTATION_CRON } = await import("../pipelines/pulumi-deployments/rotationSchedule");
            assert.equal(DAILY_ROTATION_CRON, `0 ${DAILY_RUN_HOUR_UTC} * * *`);
            const declared = declareRotationSchedule(settingsFromConfig());
            assert.equal(await new Promise((resolve) => declared.scheduleId.apply(resolve)), "sched-1");
            const settings = registered.find((r) => r.type === "pulumiservice:index:DeploymentSettings")!.inputs;
            assert.deepEqual({ organization: settings.organization, project: settings.project, stack: settings.stack }, { organization: "contoso", project: "platform-secrets", stack: "prod" });
            assert.deepEqual(settings.operationContext.oidc, { azure: { clientId: "c1", tenantId: "t1", subscriptionId: "s1" } });
            assert.deepEqual(settings.sourceContext.git, { repoUrl: "https://github.com/contoso/platform-secrets.git", branch: "refs/heads/main" });
            assert.deepEqual(settings.operationContext.preRunCommands, ["npm ci"]);
            assert.deepEqual(settings.executorContext, { executorImage: "pulumi/pulumi-nodejs-22:latest" }, "Node.js 22 in Deployments too");
            const schedule = registered.find((r) => r.type === "pulumiservice:index:DeploymentSchedule")!.inputs;
            assert.equal(schedule.scheduleCron, "0 3 * * *");
            assert.equal(schedule.pulumiOperation, "update");
            assert.doesNotMatch(JSON.stringify(settings), /client_?secret|password/i, "no stored secret in the deployment settings");
        });
    });
});
