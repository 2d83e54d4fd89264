// One copy, kept in the policy pack so the pack stays self-contained (it is published on its own).
export { TYPE_TOKENS, VAULT_SECRET_MODULE, VAULT_SECRET_TYPE_NAME } from "../policies/lib/typeTokens";
