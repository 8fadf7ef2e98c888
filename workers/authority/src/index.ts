/**
 * Authority (방역당국, KDCA): when a case is confirmed, sends signed requests
 * to every issuer and the registry and joins their sealed answers into a
 * contact list (R-A1..R-A5). This deployment serves health, its signing and
 * encryption keys and a landing page; investigators and tracing come with
 * the Authority issue.
 */
import { createApp, landingPage, memoize, mountPartyBasics, parseKeyRing, signingKeys } from "@kipass/shared";

const encryptionKeys = memoize((text) => parseKeyRing(text, "ENCRYPTION_KEYS"));

export const app = createApp<{ Bindings: Env }>({
  title: "KI-Pass authority",
  description: "Contact tracing for confirmed cases over audited, signed requests to the issuers and the registry.",
});

mountPartyBasics(app, {
  identity: (env) => ({ id: env.PARTY_ID, name: env.PARTY_NAME }),
  keyRings: (env) => [signingKeys(env.SIGNING_KEYS), encryptionKeys(env.ENCRYPTION_KEYS)],
  page: () =>
    landingPage("KI-Pass 역학조사 Authority", [
      "방역당국 역학조사 서버입니다. 조사관 화면은 준비 중입니다.",
      "KI-Pass authority. The investigator page and tracing are not built yet: this deployment serves health and keys.",
    ]),
});

export default app satisfies ExportedHandler<Env>;
