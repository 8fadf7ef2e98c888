// The scan hot path (architecture.md): a device session, a verified token,
// a one-time claim across facilities, a visit recorded once — and a clear,
// distinct refusal for every bad input, with nothing stored.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { generatePartyKey, kstDay } from "../../../shared/src/index.js";
import { activeFacility, call, errorCode, hourly, issuerRings, json, mintQr, registerFacility, login, scan, send, BASE } from "./helpers.js";

describe("scan", () => {
  it("accepts a fresh token and says 인증되었습니다", async () => {
    const f = await activeFacility();
    const { qr } = await mintQr();
    const body = await json<{ ok: boolean; message: string; repeat: boolean }>(await scan(f.session, qr), 200);
    expect(body).toMatchObject({ ok: true, repeat: false });
    expect(body.message).toContain("인증되었습니다");
    expect((await hourly(f.session)).total).toBe(1);
  });

  it("records the same token at the same facility once (a re-scan is harmless)", async () => {
    const f = await activeFacility();
    const { qr } = await mintQr();
    expect(await json(await scan(f.session, qr), 200)).toMatchObject({ ok: true, repeat: false });
    expect(await json(await scan(f.session, qr), 200)).toMatchObject({ ok: true, repeat: true });
    expect((await hourly(f.session)).total).toBe(1);
  });

  it("refuses the same token at another facility as a replay", async () => {
    const a = await activeFacility();
    const b = await activeFacility();
    const { qr } = await mintQr();
    await json(await scan(a.session, qr), 200);
    expect(await errorCode(await scan(b.session, qr))).toEqual({ status: 409, code: "token_used" });
    expect((await hourly(b.session)).total).toBe(0);
  });

  it("refuses an expired token", async () => {
    const f = await activeFacility();
    const { qr } = await mintQr({ now: Date.now() - 30_000 });
    expect(await errorCode(await scan(f.session, qr))).toEqual({ status: 422, code: "expired" });
    expect((await hourly(f.session)).total).toBe(0);
  });

  it("refuses a token with one character changed", async () => {
    const f = await activeFacility();
    const { qr } = await mintQr();
    // Change a character in the signature part, keeping the base45 alphabet.
    const i = qr.length - 10;
    const tampered = qr.slice(0, i) + (qr[i] === "A" ? "B" : "A") + qr.slice(i + 1);
    const refused = await errorCode(await scan(f.session, tampered));
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(["bad_signature", "malformed"]).toContain(refused.code);
    // and the real one still scans: the tampered attempt claimed nothing
    await json(await scan(f.session, qr), 200);
  });

  it("refuses a token from an issuer outside the trust list", async () => {
    const f = await activeFacility();
    const { qr } = await mintQr({ issuer: "evil", key: await generatePartyKey("sig") });
    expect(await errorCode(await scan(f.session, qr))).toEqual({ status: 422, code: "unknown_issuer" });
  });

  it("tells the device to scan again shortly when a trusted issuer's keys cannot be fetched", async () => {
    const f = await activeFacility();
    const { qr } = await mintQr({ issuer: "kakao", key: await generatePartyKey("sig") }); // kakao's JWKS endpoint is down (vitest.config.ts)
    expect(await errorCode(await scan(f.session, qr))).toEqual({ status: 503, code: "issuer_keys_unavailable" });
    expect(await errorCode(await scan(f.session, qr))).toEqual({ status: 503, code: "issuer_keys_unavailable" });
  });

  it("honours rotation: the retired key still verifies, a rotated-out key is refused, an old token is expired", async () => {
    const f = await activeFacility();
    // pass rotated twice: its first ring's next key is now retired but still published.
    const retired = issuerRings.passBefore.next;
    await json(await scan(f.session, (await mintQr({ issuer: "pass", key: retired })).qr), 200);
    const rotatedOut = issuerRings.passBefore.current;
    const late = await mintQr({ issuer: "pass", key: rotatedOut, now: Date.now() - 60_000 });
    expect(await errorCode(await scan(f.session, late.qr))).toEqual({ status: 422, code: "unknown_key" });
    const oldButKnown = await mintQr({ issuer: "pass", key: retired, now: Date.now() - 60_000 });
    expect(await errorCode(await scan(f.session, oldButKnown.qr))).toEqual({ status: 422, code: "expired" });
    expect((await hourly(f.session)).total).toBe(1);
  });

  it("refuses a scan without a device session, or with a forged one", async () => {
    const { qr } = await mintQr();
    expect(await errorCode(await call("POST", "/v1/scan", { qr }))).toEqual({ status: 401, code: "session_required" });
    const f = await activeFacility();
    const forged = `${f.facilityId}.${"A".repeat(43)}`;
    expect(await errorCode(await scan(forged, qr))).toEqual({ status: 401, code: "session_invalid" });
    await json(await scan(f.session, qr), 200);
  });

  it("refuses scans at a facility pending approval (R-F2)", async () => {
    const f = await registerFacility({ businessNumber: "none" });
    expect(f.status).toBe("pending");
    const session = await login(f.loginId, f.password);
    expect(await errorCode(await scan(session, (await mintQr()).qr))).toEqual({ status: 403, code: "facility_pending" });
  });

  it("refuses a body over 16 KiB with body_too_large", async () => {
    const f = await activeFacility();
    const res = await send(
      new Request(`${BASE}/v1/scan`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${f.session}` },
        body: JSON.stringify({ qr: "KP1:" + "A".repeat(20_000) }),
      }),
    );
    expect(await errorCode(res)).toEqual({ status: 413, code: "body_too_large" });
    expect((await hourly(f.session)).total).toBe(0);
  });

  it("refuses scans outside an event's period (R-F9)", async () => {
    const tomorrow = kstDay(Date.now() + 86_400_000);
    const f = await registerFacility({ industry: "event", event: { from: tomorrow, to: tomorrow } });
    const session = await login(f.loginId, f.password);
    expect(await errorCode(await scan(session, (await mintQr()).qr))).toEqual({ status: 403, code: "event_not_active" });
  });

  it("the status and device a facility checks from memory go with its records", async () => {
    const f = await activeFacility();
    await json(await scan(f.session, (await mintQr()).qr), 200);
    await env.FACILITY.getByName(f.facilityId).destroyRecords();
    expect(await errorCode(await scan(f.session, (await mintQr()).qr))).toEqual({ status: 404, code: "facility_unknown" });
  });
});
