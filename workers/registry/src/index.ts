/**
 * Registry (사회보장정보원): facilities and visits — facility, time and the
 * encrypted QR, never who (R-R1). This deployment serves health (with the
 * state of every trusted issuer's keys), keys, the authority handshake and a
 * landing page; facilities and the scan path come with the Registry issue.
 */
import {
  createApp,
  landingPage,
  mountAuthorityPing,
  mountPartyBasics,
  pinnedAuthorityJwks,
  signingKeys,
  type AuthorityAccessVariables,
} from "@kipass/shared";
import { issuerKeys } from "./trust.js";

type RegistryEnv = { Bindings: Env; Variables: AuthorityAccessVariables };

const identity = (env: Env) => ({ id: env.PARTY_ID, name: env.PARTY_NAME });

export const app = createApp<RegistryEnv>({
  title: "KI-Pass registry",
  description: "Facility registry and visit log: scanner, manager and signed authority APIs. Holds nothing that identifies a person.",
});

mountPartyBasics(app, {
  identity,
  keyRings: (env) => [signingKeys(env.SIGNING_KEYS)],
  health: async (env) => {
    const keys = issuerKeys(env.TRUSTED_ISSUERS);
    await keys.trustList();
    return { issuers: keys.status() };
  },
  page: () =>
    landingPage("KI-Pass 출입명부 등록소 Registry", [
      "전자출입명부 방문 기록 서버입니다. 시설 등록과 스캔은 준비 중입니다.",
      "KI-Pass registry. Facility registration and scanning are not built yet: this deployment serves health, keys and the authority handshake.",
    ]),
});

mountAuthorityPing(app, {
  identity,
  signingKeys: (env) => signingKeys(env.SIGNING_KEYS),
  access: (env) => ({ audience: env.PARTY_ID, jwks: pinnedAuthorityJwks(env.AUTHORITY_JWKS), db: env.DB }),
});

export default app satisfies ExportedHandler<Env>;
