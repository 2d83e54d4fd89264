import { PolicyPack } from "@pulumi/policy";
import { POLICY_PACK_NAME, keyrelayPolicies } from "./policies";

new PolicyPack(POLICY_PACK_NAME, {
    description: "Entra ID client secrets and Key Vault secrets: near expiry, too long-lived, Secret ID used as the Value, stray whitespace or quotes, passwords kept outside Key Vault.",
    policies: keyrelayPolicies,
});
