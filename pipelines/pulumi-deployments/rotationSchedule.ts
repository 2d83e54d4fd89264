// A Pulumi Deployments schedule for the keyrelay stack: `pulumi up` daily at 03:00 UTC in Pulumi
// Cloud, signed in to Azure by OIDC (no stored secret). The program runs on Node.js 22 (the executor image).
// The policy pack: before each update a pre-run `pulumi preview --policy-pack node_modules/keyrelay/policies`
// fails the deployment on a mandatory violation, which works on every Pulumi Cloud edition. Server-side
// enforcement through a policy group (`pulumi policy publish node_modules/keyrelay/policies`, then add
// the pack to the stack's group) needs a paid edition; with one, set `policyPreview: false`.
import * as pulumi from "@pulumi/pulumi";
import * as pulumiservice from "@pulumi/pulumiservice";

export const DAILY_ROTATION_CRON = "0 3 * * *";
/** Pulumi's slim image with Node.js 22 (pulumi/pulumi-docker-containers publishes pulumi/pulumi-nodejs-22;
 * the default executor image's Node may be older than the >= 22 keyrelay and the SDKs declare). */
export const NODE_22_EXECUTOR_IMAGE = "pulumi/pulumi-nodejs-22:latest";

export interface RotationScheduleSettings {
    /** Pulumi Cloud organization, project and stack of the keyrelay program. */
    organization: string;
    project: string;
    stack: string;
    /** Git repository holding the program, and its branch. */
    repoUrl: string;
    branch: string;
    /** Directory of the program inside the repository; default the root. */
    repoDir?: string;
    /** The Entra app (with a federated credential for Pulumi Cloud) the deployment signs in as. */
    azure: { clientId: string; tenantId: string; subscriptionId: string };
    /** Preview with the policy pack before each update (default true); false when a policy group enforces it. */
    policyPreview?: boolean;
}

/** Where the policy pack is in a program that depends on keyrelay. */
export const INSTALLED_POLICY_PACK = "node_modules/keyrelay/policies";

/** Commands before each update: install, then (unless a policy group does it) preview with the pack. */
export function preRunCommands(settings: RotationScheduleSettings): string[] {
    const stack = `${settings.organization}/${settings.project}/${settings.stack}`;
    return settings.policyPreview === false ? ["npm ci"] : ["npm ci", `pulumi preview --stack ${stack} --policy-pack ${INSTALLED_POLICY_PACK}`];
}

export function declareRotationSchedule(settings: RotationScheduleSettings) {
    const stackRef = { organization: settings.organization, project: settings.project, stack: settings.stack };
    const deploymentSettings = new pulumiservice.DeploymentSettings("keyrelay-rotation", {
        ...stackRef,
        sourceContext: { git: { repoUrl: settings.repoUrl, branch: settings.branch, ...(settings.repoDir ? { repoDir: settings.repoDir } : {}) } },
        executorContext: { executorImage: NODE_22_EXECUTOR_IMAGE },
        operationContext: {
            oidc: { azure: settings.azure },
            environmentVariables: { ARM_USE_OIDC: "true", AZURE_TENANT_ID: settings.azure.tenantId },
            options: { skipInstallDependencies: true },
            preRunCommands: preRunCommands(settings),
        },
    });
    const schedule = new pulumiservice.DeploymentSchedule("keyrelay-daily-rotation", {
        ...stackRef,
        scheduleCron: DAILY_ROTATION_CRON,
        pulumiOperation: pulumiservice.PulumiOperation.Update,
    }, { dependsOn: [deploymentSettings] });
    return { deploymentSettings, schedule, scheduleId: schedule.scheduleId };
}

export function settingsFromConfig(config: pulumi.Config = new pulumi.Config()): RotationScheduleSettings {
    return {
        organization: config.require("organization"),
        // The Pulumi project of the program being rotated: the `name:` in its Pulumi.yaml.
        project: config.require("project"),
        stack: config.require("stack"),
        repoUrl: config.require("repoUrl"),
        branch: config.get("branch") ?? "refs/heads/main",
        repoDir: config.get("repoDir"),
        azure: { clientId: config.require("azureClientId"), tenantId: config.require("azureTenantId"), subscriptionId: config.require("azureSubscriptionId") },
        policyPreview: config.getBoolean("policyPreview") ?? true,
    };
}
