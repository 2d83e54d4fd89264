export { RotatedAppRegistration, RotatedAppRegistrationArgs, VaultTarget, validateRotatedAppRegistration, KEY_VAULT_SECRETS_USER_ROLE_ID } from "./rotatedAppRegistration";
export { RotatingPassword, RotatingPasswordArgs, CredentialSummary, planRotatingPassword } from "./rotatingPassword";
export { VaultSecret, VaultSecretArgs } from "./vaultSecret";
export { createVaultSecretProvider, VaultSecretOutputs, MANAGED_BY_TAG, MANAGED_BY_VALUE } from "./vaultSecretProvider";
export { VaultSecretFields, vaultSecretChange } from "./vaultSecretDiff";
export { createAzureCredential, isKnownAuthorityHost } from "./azureCredential";
export * from "./schedule";
export { checkSecretName, checkVaultUrl, SECRET_NAME_PATTERN, VAULT_DNS_SUFFIXES } from "./validate";
export { ExpiryAlerts, ExpiryAlertsArgs, StorageQueueTarget, planExpiryAlerts, EXPIRY_EVENT_TYPES } from "./expiryAlerts";
