// The pack's policies, importable without starting the pack's gRPC server (index.ts does that).
import { Policies } from "@pulumi/policy";
import { credentialExpiryNear } from "./credentialExpiryNear";
import { credentialLifetime } from "./credentialLifetime";
import { guidShapedSecret } from "./guidShapedSecret";
import { passwordStoredInKeyVault } from "./passwordStoredInKeyVault";
import { preferFederated } from "./preferFederated";
import { secretIdNotValue } from "./secretIdNotValue";
import { secretValueHygiene } from "./secretValueHygiene";

export const POLICY_PACK_NAME = "keyrelay-credentials";

export const keyrelayPolicies: Policies = [
    credentialExpiryNear,
    credentialLifetime,
    secretIdNotValue,
    guidShapedSecret,
    secretValueHygiene,
    passwordStoredInKeyVault,
    preferFederated,
];
