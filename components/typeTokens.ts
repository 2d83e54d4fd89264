// Spelled once, in the policy pack's contract (the pack ships self-contained); re-exported for the components and the CLI.
export { TYPE_TOKENS, PROVIDER_TYPE_TOKENS, VAULT_SECRET_MODULE, VAULT_SECRET_TYPE_NAME } from "../policies/lib/contract";
