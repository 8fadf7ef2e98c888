/**
 * The registry's configuration: its identity and bindings. Field encryption,
 * look-up hashes and the SMS provider (R-F3, R-F4) are shared with the
 * issuers (shared/src/party-config.ts).
 */
import type { AuthorityAccessVariables, PartySecrets } from "@kipass/shared";

export { devMode, devOutbox, fieldKey, lookupHash, smsProvider } from "@kipass/shared";

/**
 * Env plus the secrets (`npm run keys` writes them locally; `wrangler secret
 * put` in production): FIELD_KEY (AES, facility contact fields), LOOKUP_KEY
 * (HMAC: token ids, phones, outbox), ADMIN_TOKEN (creates approver accounts),
 * OPERATOR_TOKEN (alert level and shutdown, shared/src/operations.ts),
 * SMS_API_KEY (production SMS gateway only).
 */
export type RegistryBindings = Env & PartySecrets & { ADMIN_TOKEN?: string; OPERATOR_TOKEN?: string; UI_ORIGINS?: string; WALLET_ORIGINS?: string };
export type RegistryEnv = { Bindings: RegistryBindings; Variables: AuthorityAccessVariables };

export const identity = (env: RegistryBindings) => ({ id: env.PARTY_ID, name: env.PARTY_NAME });
