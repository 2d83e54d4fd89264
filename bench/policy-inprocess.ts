// The policies' own cost, without the protocol: the benchmark stack of policy-analyze.ts, plain
// properties (secrets unwrapped, as the SDK hands them over), every policy called directly.
//   npx ts-node --transpile-only bench/policy-inprocess.ts [resources=10000] [rounds=5]
import type { PolicyResource, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { DateTime } from "luxon";
import { keyrelayPolicies } from "../policies/policies";
import { SECRET_SIG_KEY } from "../test/policies/analyzerProcess";
import { benchmarkStack } from "./policy-analyze";

function unwrapSecrets(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value !== null && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (SECRET_SIG_KEY in record) return unwrapSecrets(record.value);
        return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

const options = (parent?: string) => ({
    protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, parent,
});

async function main() {
    const count = Number(process.argv[2] ?? 10000);
    const rounds = Number(process.argv[3] ?? 5);
    const stack = benchmarkStack(count, DateTime.utc()).map((r) => ({ ...r, properties: unwrapSecrets(r.properties) as Record<string, unknown> }));
    for (let round = 0; round < rounds; round++) {
        let violations = 0;
        const report = () => { violations++; };
        const started = process.hrtime.bigint();
        for (const r of stack) {
            const args = { type: r.type, name: r.name, urn: r.urn, props: r.properties, opts: options(r.parent), getConfig: () => ({}) } as unknown as ResourceValidationArgs;
            for (const policy of keyrelayPolicies) {
                const validate = "validateResource" in policy ? policy.validateResource : undefined;
                for (const v of Array.isArray(validate) ? validate : validate ? [validate] : []) await v(args, report);
            }
        }
        const resourceDone = process.hrtime.bigint();
        const resources: PolicyResource[] = stack.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.properties, opts: options(r.parent), dependencies: [], propertyDependencies: {} } as unknown as PolicyResource));
        const byUrn = new Map(resources.map((r) => [r.urn, r]));
        stack.forEach((r, i) => {
            for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) {
                resources[i].propertyDependencies[key] = urns.map((u) => byUrn.get(u)).filter((d): d is PolicyResource => d !== undefined);
            }
        });
        const stackStarted = process.hrtime.bigint();
        const stackArgs = { resources, getConfig: () => ({}) } as unknown as StackValidationArgs;
        for (const policy of keyrelayPolicies) if ("validateStack" in policy) await policy.validateStack(stackArgs, report);
        const done = process.hrtime.bigint();
        const resourceMs = Number(resourceDone - started) / 1e6;
        const stackMs = Number(done - stackStarted) / 1e6;
        console.log(JSON.stringify({ round, resources: stack.length, resourcePoliciesMs: Math.round(resourceMs), stackPoliciesMs: Math.round(stackMs), perResourceUs: Math.round(((resourceMs + stackMs) * 1000) / stack.length), violations }));
        if (violations !== 0) throw new Error(`the benchmark stack should be compliant, but ${violations} violations were reported`);
    }
}

main().catch((error) => { console.error(error); process.exit(1); });
