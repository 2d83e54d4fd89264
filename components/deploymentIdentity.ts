// Who runs the deployment, asked of the azuread provider once per deployment: the deploying
// principal's object id (the owner RotatedAppRegistration adds) and its tenant (where the proof asks
// for tokens: the azuread provider creates the apps in that tenant).
import * as pulumi from "@pulumi/pulumi";
import type * as azuread from "@pulumi/azuread";

const processWideDeployment = {};
const clientConfigByDeployment = new WeakMap<object, pulumi.Output<azuread.GetClientConfigResult>>();

function currentDeployment(): object {
    return (pulumi.runtime.getMonitor() as object | undefined) ?? processWideDeployment;
}

/** One getClientConfig invoke per deployment; @pulumi/azuread loads only when one is needed. */
export function deployingClientConfig(): pulumi.Output<azuread.GetClientConfigResult> {
    const deployment = currentDeployment();
    let config = clientConfigByDeployment.get(deployment);
    if (!config) {
        const provider = require("@pulumi/azuread") as typeof azuread;
        config = provider.getClientConfigOutput();
        clientConfigByDeployment.set(deployment, config);
    }
    return config;
}
