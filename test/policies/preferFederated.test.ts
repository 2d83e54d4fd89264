import * as assert from "assert";
import { preferFederated } from "../../policies/preferFederated";
import { consumersTag } from "../../policies/lib/consumerHints";
import { byName, keyrelayStack, plainResource, UNKNOWN } from "./fixtures";
import { FixtureResource, mutated, runResourcePolicy } from "./policyHarness";

async function notes(resource: FixtureResource) {
    return (await runResourcePolicy(preferFederated, resource, {})).map((v) => v.message);
}

const application = () => byName(keyrelayStack(), "billing-api", "azuread:index/application:Application");
const withTags = (tags: unknown[]) => mutated(application(), (r) => { r.inputs.tags = tags; r.outputs.tags = tags; });

describe("policy prefer-federated", () => {
    it("passes every resource keyrelay declares, and an app whose consumers include one that cannot federate", async () => {
        for (const resource of keyrelayStack()) assert.deepStrictEqual(await notes(resource), [], resource.name);
        assert.deepStrictEqual(await notes(withTags([consumersTag(["github-actions", "app-service"])])), []);
    });

    it("flags a rotating password read only by CI platforms or Kubernetes, naming the app, the consumers and the two steps", async () => {
        const [message, ...rest] = await notes(withTags(["team:billing", consumersTag(["kubernetes", "github-actions"])]));
        assert.strictEqual(rest.length, 0);
        assert.match(message, /^Application "billing-api" rotates a client secret, but its only consumers are github-actions, kubernetes, which can sign in with a federated identity credential/);
        assert.match(message, /`federated` argument/);
        assert.match(message, /keyrelay audit --sign-ins/);
        assert.match(message, /FederatedAppRegistration with aliases: \[\{ type: "keyrelay:index:RotatedAppRegistration" \}\]/);
    });

    it("says nothing while the tags are unknown, or for an application outside RotatedAppRegistration", async () => {
        assert.deepStrictEqual(await notes(withTags([UNKNOWN])), []);
        const outside = plainResource("azuread:index/application:Application", "other", { tags: [consumersTag(["azure-devops"])] });
        assert.deepStrictEqual(await notes(outside), []);
    });
});
