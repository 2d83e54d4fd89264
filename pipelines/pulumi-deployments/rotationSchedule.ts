// A Pulumi Deployments schedule for the keyrelay stack: `pulumi up` daily at 03:00 UTC in Pulumi
// Cloud, signed in to Azure by OIDC (no stored secret). Enforce the policy pack through a Pulumi
// Cloud policy group: publish the pack your program installed (`pulumi policy publish
// node_modules/keyrelay/dist/policies`, a compiled pack that loads on its own) and add it to the stack's
// group; Deployments applies it to every update. The program runs on Node.js 22 (the executor image).
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
            preRunCommands: ["npm ci"],
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
        project: config.get("project") ?? "keyrelay",
        stack: config.require("stack"),
        repoUrl: config.require("repoUrl"),
        branch: config.get("branch") ?? "refs/heads/main",
        repoDir: config.get("repoDir"),
        azure: { clientId: config.require("azureClientId"), tenantId: config.require("azureTenantId"), subscriptionId: config.require("azureSubscriptionId") },
    };
}
