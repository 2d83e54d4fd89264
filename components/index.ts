// keyrelay's public API, `import { ... } from "keyrelay"`: every name listed on purpose (0.x: the
// list may still change). Helpers the CLI, the tests and the provider share are imported from their
// own modules and carry the internal tag, so stripInternal leaves them out of the published typings.
// (This comment must not spell that tag: stripInternal drops any statement whose comment holds it.)
export { RotatedAppRegistration, RotatedAppRegistrationArgs, VaultTarget, KEY_VAULT_SECRETS_USER_ROLE_ID } from "./rotatedAppRegistration";
export { RotatingPassword, RotatingPasswordArgs, CredentialSummary } from "./rotatingPassword";
export { VaultSecret, VaultSecretArgs } from "./vaultSecret";
export { VaultSecretOutputs, MANAGED_BY_TAG, MANAGED_BY_VALUE } from "./provider/vaultSecretProvider";
export { createAzureCredential, AzureCredentialOptions } from "./provider/azureCredential";
export { ExpiryAlerts, ExpiryAlertsArgs, StorageQueueTarget, EXPIRY_EVENT_TYPES, IN_USE_EVENT_TYPES } from "./expiryAlerts";
export {
    DEFAULT_EVERY, PlannedCredential, PreviousRotationSettings, RotationSchedule, RotationSettings, SlotName,
    inServiceCredential, nextRotation, plannedCredentials, rotationSchedule,
} from "./schedule";
export { Reader } from "./validate";
export { RetireSettings, RetirementDecision } from "./retirementGate";
export { GraphError, InputError, KeyrelayError, VaultError, isGraphError, isInputError, isKeyrelayError, isVaultError } from "../lib/errors";
export { TYPE_TOKENS } from "./typeTokens";
export { FederatedAppRegistration, FederatedAppRegistrationArgs, validateFederatedAppRegistration } from "./federatedAppRegistration";
export { FederatedTrust, GitHubTrust, AzureDevOpsTrust, KubernetesTrust, ManagedIdentityTrust, OidcTrust, FederatedCredentialSpec, federatedCredentials, TOKEN_EXCHANGE_AUDIENCE, MAX_FEDERATED_CREDENTIALS } from "./federatedTrusts";
export { ConsumerKind, CONSUMER_KINDS } from "../policies/lib/consumerHints";
