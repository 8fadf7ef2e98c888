/**
 * Registry (사회보장정보원): facilities and visits — facility, time and the
 * encrypted QR, never who (R-R1). Layout:
 *   routes/     HTTP edge: scan, phone, facilities, accounts, approver, counts, authority
 *   scan.ts     the hot path (architecture.md)
 *   auth.ts     logins, lockout, sessions
 *   durable/    Facility, TokenLedger, DayKeyVault and the retention sweep
 *   directory/  D1 directory helpers (facilities, accounts; the every-minute cron
 *               that keeps Facility objects in step with it and deletes expired rows)
 */
import { allowBrowserOrigins, createApp, landingPage, mountAuthorityPing, mountDevOutbox, mountOperations, mountPartyBasics, pinnedAuthorityJwks, signingKeys } from "@kipass/shared";
import { identity, type RegistryBindings, type RegistryEnv } from "./config.js";
import { maintenanceHealth, runMaintenance } from "./directory/maintenance.js";
import { mountAccounts } from "./routes/accounts.js";
import { mountApprover } from "./routes/approver.js";
import { mountAuthority } from "./routes/authority.js";
import { mountBenchSeed } from "./routes/bench-seed.js";
import { mountCounts } from "./routes/counts.js";
import { mountFacilities } from "./routes/facilities.js";
import { mountPhone } from "./routes/phone.js";
import { mountScan } from "./routes/scan.js";
import { registryOperations } from "./operations.js";
import { mountTokenStatus } from "./routes/token-status.js";
import { issuerKeys } from "./trust.js";

export { DayKeyVault } from "./durable/day-key-vault.js";
export { Facility } from "./durable/facility.js";
export { TokenLedger } from "./durable/token-ledger.js";

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
    return { issuers: keys.status(), maintenance: await maintenanceHealth(env) };
  },
  page: () =>
    landingPage("KI-Pass 출입명부 등록소 Registry", [
      "전자출입명부 방문 기록 서버입니다. 시설 등록, 직원 기기, QR 스캔, 시간대별 통계를 제공합니다.",
      "KI-Pass registry: facility registration, staff devices, QR scanning and hourly counts. It stores facility, time and the encrypted QR — never who.",
    ]),
});

mountAuthorityPing(app, {
  identity,
  signingKeys: (env) => signingKeys(env.SIGNING_KEYS),
  access: (env) => ({ audience: env.PARTY_ID, jwks: pinnedAuthorityJwks(env.AUTHORITY_JWKS), db: env.DB }),
});

// The scanner UI is served from its own origin (UI_ORIGINS) and calls the public API from the browser.
app.use("/v1/*", allowBrowserOrigins<RegistryBindings>((env) => env.UI_ORIGINS));

mountScan(app);
mountTokenStatus(app);
mountPhone(app);
mountFacilities(app);
mountAccounts(app);
mountApprover(app);
mountCounts(app);
mountAuthority(app);
mountDevOutbox(app);
mountBenchSeed(app);
mountOperations(app, registryOperations);

export default {
  fetch: app.fetch,
  // Every minute (directory/maintenance.ts): facility sync repair and expiry.
  scheduled(controller, env, ctx) {
    ctx.waitUntil(runMaintenance(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;
