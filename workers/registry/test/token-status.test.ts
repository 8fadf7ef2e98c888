// Relay resistance (docs/threat-model.md): the wallet asks the registry
// whether its current token has been scanned. The answer is claimed + time,
// never the facility; unknown and old claims answer "not claimed"; only the
// issuers' wallet origins may call it from a browser; the scan path is the same.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEV_NOW_HEADER } from "../../../shared/src/index.js";
import { app } from "../src/index.js";
import { STATUS_WINDOW_MS } from "../src/routes/token-status.js";
import { activeFacility, json, mintQr, scan } from "./helpers.js";

const WALLET = "https://issuer-naver.example";

const status = (body: unknown, origin = WALLET) =>
  app.request("/wallet/v1/token-status", { method: "POST", headers: { "content-type": "application/json", origin }, body: JSON.stringify(body) }, env);

describe("token status for the wallet", () => {
  it("answers not claimed before the scan, then claimed with the scan time and nothing about where", async () => {
    const f = await activeFacility();
    const { qr, jti } = await mintQr();
    expect(await json(await status({ jti }), 200)).toEqual({ claimed: false, at: null });
    const scanned = await json<{ scannedAt: number }>(await scan(f.session, qr), 200);
    const res = await status({ jti });
    expect(res.headers.get("access-control-allow-origin")).toBe(WALLET);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await json(res, 200);
    expect(body).toEqual({ claimed: true, at: scanned.scannedAt });
    expect(JSON.stringify(body)).not.toContain(f.facilityId);
  });

  it("forgets a claim after the status window", async () => {
    const f = await activeFacility();
    const { qr, jti } = await mintQr();
    const { scannedAt } = await json<{ scannedAt: number }>(await scan(f.session, qr), 200);
    const at = (now: number) =>
      app.request(
        "/wallet/v1/token-status",
        { method: "POST", headers: { "content-type": "application/json", [DEV_NOW_HEADER]: String(now) }, body: JSON.stringify({ jti }) },
        env,
      );
    expect(await json(await at(scannedAt + STATUS_WINDOW_MS), 200)).toEqual({ claimed: true, at: scannedAt });
    expect(await json(await at(scannedAt + STATUS_WINDOW_MS + 1), 200)).toEqual({ claimed: false, at: null });
  });

  it("refuses what is not a token id, with the error envelope, and lets only wallet origins read it from a browser", async () => {
    for (const body of [{}, { jti: "short" }, { jti: "x".repeat(23) }, { jti: "a".repeat(21) + "!" }, { jti: "a".repeat(22), extra: 1 }]) {
      const res = await status(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBeTruthy();
    }
    const other = await status({ jti: "a".repeat(22) }, "https://evil.example");
    expect(other.status).toBe(200);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await app.request(
      "/wallet/v1/token-status",
      { method: "OPTIONS", headers: { origin: WALLET, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } },
      env,
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(WALLET);
    // The scanner UI's origin is not a wallet origin.
    const scanner = await status({ jti: "a".repeat(22) }, "https://scanner.example");
    expect(scanner.headers.get("access-control-allow-origin")).toBeNull();
  });
});
