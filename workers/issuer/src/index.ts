/**
 * Issuer (QR 발급회사: Naver, PASS, KakaoTalk — same code, own account).
 * Knows who a user is and mints their one-time QR codes; never learns where
 * they are scanned (R-I1, R-I2).
 *
 *   routes/wallet-page.ts   the user's app: consent, phone, guardian, live QR (R-U2..R-U5)
 *   routes/wallet-api.ts    the API behind it: verification, device credentials, tokens
 *   routes/authority.ts     signed authority requests: tokens by phone, resolve tokens (R-A1)
 *   identity/               D1: users (encrypted), consents, SMS codes, devices
 *   tokens/user-tokens.ts   DO per user: nonce, rate limit, 28-day token log
 *   tokens/day-key-vault.ts KV DO: day keys that seal handles, destroyed at day + 29 (00:00 KST)
 */
import { createApp, mountAuthorityPing, mountDevOutbox, mountOperations, mountPartyBasics, pinnedAuthorityJwks, signingKeys } from "@kipass/shared";
import { identity, type IssuerEnv } from "./config.js";
import { issuerOperations } from "./operations.js";
import { mountAuthorityApi } from "./routes/authority.js";
import { mountWalletApi } from "./routes/wallet-api.js";
import { mountWalletPage } from "./routes/wallet-page.js";

export { UserTokens } from "./tokens/user-tokens.js";
export { DayKeyVault } from "./tokens/day-key-vault.js";
export { SafeNumberLedger } from "./tokens/safe-numbers.js";

export const app = createApp<IssuerEnv>({
  title: "KI-Pass issuer",
  description: "QR token issuer: wallet app API and signed authority API. Never takes a facility id.",
});

mountPartyBasics(app, {
  identity,
  keyRings: (env) => [signingKeys(env.SIGNING_KEYS)],
});

mountWalletPage(app);
mountWalletApi(app);
mountDevOutbox(app);

mountAuthorityPing(app, {
  identity,
  signingKeys: (env) => signingKeys(env.SIGNING_KEYS),
  access: (env) => ({ audience: env.PARTY_ID, jwks: pinnedAuthorityJwks(env.AUTHORITY_JWKS), db: env.DB }),
});
mountAuthorityApi(app);
mountOperations(app, issuerOperations);

export default app satisfies ExportedHandler<Env>;
