/**
 * The issuer's configuration: its identity and bindings. Field encryption,
 * look-up hashes and the SMS provider are shared with the registry
 * (shared/src/party-config.ts).
 */
import type { AuthorityAccessVariables, PartySecrets } from "@kipass/shared";

export { devMode, devOutbox, fieldKey, lookupHash, smsProvider } from "@kipass/shared";

/** Env plus the production-only SMS gateway key (a secret, absent locally), OPERATOR_TOKEN (alert level, shutdown) and the registry the wallet asks about its token (relay check). */
export type IssuerBindings = Env & PartySecrets & { OPERATOR_TOKEN?: string; REGISTRY_URL?: string };
export type IssuerEnv = { Bindings: IssuerBindings; Variables: AuthorityAccessVariables };

export const identity = (env: IssuerBindings) => ({ id: env.PARTY_ID, name: env.PARTY_NAME });

/** R-U4: how many times the wallet regenerates an expired QR by itself (Naver 2, KakaoTalk 3). */
export function autoRegenerations(env: IssuerBindings): number {
  const n = Number(env.QR_AUTO_REGENERATIONS);
  return Number.isInteger(n) && n >= 0 && n <= 10 ? n : 2;
}
