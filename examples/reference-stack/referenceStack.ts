// The reference stack: one RotatedAppRegistration per entry of the stack config's `keyrelay:apps`.
import * as pulumi from "@pulumi/pulumi";
import { RotatedAppRegistration } from "../../components";
import { referenceApps, referenceMaxLifetime } from "./stackConfig";

export function declareReferenceStack() {
    const config = new pulumi.Config("keyrelay");
    const apps = referenceApps(config.requireObject<unknown>("apps"), config.get("vaultUrl"));
    const maxLifetime = referenceMaxLifetime(config.get("maxLifetime"));
    const registrations = apps.map((app) => new RotatedAppRegistration(app.name, {
        displayName: app.displayName,
        rotation: app.rotation,
        vault: app.vault,
        readers: app.readers,
        owners: app.owners,
        maxLifetime,
    }));
    const byApp = <T>(pick: (r: RotatedAppRegistration) => pulumi.Output<T>) =>
        Object.fromEntries(registrations.map((r, i) => [apps[i].name, pick(r)]));
    return {
        clientIds: byApp((r) => r.clientId),
        secretUris: byApp((r) => r.secretUri),
        expiresAt: byApp((r) => r.expiresAt),
        nextRotation: byApp((r) => r.nextRotation),
    };
}
