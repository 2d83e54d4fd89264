// keyrelay's Pulumi type tokens, chosen once: renaming one later needs aliases in every user's stack.
export const TYPE_TOKENS = {
    rotatedAppRegistration: "keyrelay:index:RotatedAppRegistration",
    rotatingPassword: "keyrelay:index:RotatingPassword",
    federatedAppRegistration: "keyrelay:index:FederatedAppRegistration",
    expiryAlerts: "keyrelay:index:ExpiryAlerts",
    /** A dynamic resource's token is pulumi-nodejs:dynamic/<module>:<type>. */
    vaultSecret: "pulumi-nodejs:dynamic/keyrelay:VaultSecret",
} as const;

export const VAULT_SECRET_MODULE = "keyrelay";
export const VAULT_SECRET_TYPE_NAME = "VaultSecret";
