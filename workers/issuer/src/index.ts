/**
 * Issuer (QR 발급회사: Naver, PASS, KakaoTalk — same code, own account).
 * Knows who a user is and mints their one-time QR codes; never learns where
 * they are scanned (R-I1, R-I2). This deployment serves health, keys, the
 * authority handshake and a landing page; identity, consent and token
 * minting come with the Issuer issue.
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

type IssuerEnv = { Bindings: Env; Variables: AuthorityAccessVariables };

const identity = (env: Env) => ({ id: env.PARTY_ID, name: env.PARTY_NAME });

export const app = createApp<IssuerEnv>({
  title: "KI-Pass issuer",
  description: "QR token issuer: wallet app API and signed authority API. Never takes a facility id.",
});

mountPartyBasics(app, {
  identity,
  keyRings: (env) => [signingKeys(env.SIGNING_KEYS)],
  page: (env) =>
    landingPage(`KI-Pass 발급 ${env.PARTY_NAME}`, [
      "전자출입명부 QR 발급 서버입니다. 지갑 화면은 준비 중입니다.",
      "KI-Pass QR issuer. The wallet page is not built yet: this deployment serves health, keys and the authority handshake.",
    ]),
});

mountAuthorityPing(app, {
  identity,
  signingKeys: (env) => signingKeys(env.SIGNING_KEYS),
  access: (env) => ({ audience: env.PARTY_ID, jwks: pinnedAuthorityJwks(env.AUTHORITY_JWKS), db: env.DB }),
});

export default app satisfies ExportedHandler<Env>;
