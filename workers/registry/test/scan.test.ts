// The scan hot path (architecture.md): a device session, a verified token,
// a one-time claim across facilities, a visit recorded once — and a clear,
// distinct refusal for every bad input, with nothing stored.
import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { generatePartyKey, kstDay } from "../../../shared/src/index.js";
import { lookupHash } from "../src/config.js";
import { ledgerShard } from "../src/durable/shards.js";
import { activeFacility, addStaff, call, errorCode, hourly, issuerRings, json, mintQr, registerFacility, login, scan, send, BASE } from "./helpers.js";

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
    // The real session has scanned, so its check is held in the isolate (auth.ts scannerSession): its variants are still refused.
    await json(await scan(f.session, (await mintQr()).qr), 200);
    const forged = `${f.facilityId}.${"A".repeat(43)}`;
    expect(await errorCode(await scan(forged, qr))).toEqual({ status: 401, code: "session_invalid" });
    // A real session's shape with another facility's id, or a made-up one: refused before any object is called or made.
    const [, tag, secret] = f.session.split(".");
    const other = await activeFacility();
    const madeUp = "fac_madeUpFacili";
    for (const forgedSession of [`${other.facilityId}.${tag}.${secret}`, `${madeUp}.${tag}.${secret}`, `${madeUp}.${secret}`]) {
      expect(await errorCode(await scan(forgedSession, qr))).toEqual({ status: 401, code: "session_invalid" });
    }
    expect((await listDurableObjectIds(env.FACILITY)).some((id) => id.equals(env.FACILITY.idFromName(madeUp)))).toBe(false);
    expect((await hourly(other.session)).total).toBe(0);
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

  it("a scan the facility refuses (status, event period, removed device) leaves the QR usable elsewhere", async () => {
    const open = await activeFacility();
    const unapproved = await registerFacility({ businessNumber: "none" });
    const pending = await login(unapproved.loginId, unapproved.password);
    const tomorrow = kstDay(Date.now() + 86_400_000);
    const event = await registerFacility({ industry: "event", event: { from: tomorrow, to: tomorrow } });
    const staff = await addStaff(open.session);
    expect((await call("DELETE", `/v1/facility/staff/${staff.id}`, undefined, open.session)).status).toBe(204);
    for (const [session, code] of [
      [pending, "facility_pending"],
      [await login(event.loginId, event.password), "event_not_active"],
      [staff.session, "device_revoked"],
    ] as const) {
      const { qr, jti } = await mintQr();
      expect((await errorCode(await scan(session, qr))).code).toBe(code);
      const tokenHash = await lookupHash(env, "token", jti);
      expect(await env.TOKEN_LEDGER.getByName(ledgerShard(tokenHash)).whereClaimed([tokenHash], Date.now())).toEqual([]);
      expect(await json(await scan(open.session, qr), 200)).toMatchObject({ ok: true, repeat: false });
    }
    expect((await hourly(open.session)).total).toBe(3);
  });

  it("a refusal at a facility never releases a claim that another device's scan there relies on", async () => {
    const here = await activeFacility();
    const elsewhere = await activeFacility();
    const removed = await addStaff(here.session);
    expect((await call("DELETE", `/v1/facility/staff/${removed.id}`, undefined, here.session)).status).toBe(204);
    // In the ledger: a re-scan by the holder marks the claim, and the first scan's refusal no longer releases it.
    const tokenHash = "token-rescanned";
    const ledger = env.TOKEN_LEDGER.getByName(ledgerShard(tokenHash));
    const claim = (facilityId: string) => ledger.claimToken({ shard: ledgerShard(tokenHash), tokenHash, facilityId, now: Date.now() });
    expect(await claim(here.facilityId)).toEqual({ ok: true, first: true });
    expect(await claim(here.facilityId)).toEqual({ ok: true, first: false });
    expect(await ledger.releaseClaim({ tokenHash, facilityId: here.facilityId, first: true, now: Date.now() })).toBe(false);
    expect(await claim(elsewhere.facilityId)).toEqual({ ok: false, code: "token_used" });
    // Only the holder's refusal releases: another facility's release leaves the claim.
    const once = "token-refused-once";
    const onceLedger = env.TOKEN_LEDGER.getByName(ledgerShard(once));
    expect(await onceLedger.claimToken({ shard: ledgerShard(once), tokenHash: once, facilityId: here.facilityId, now: Date.now() })).toEqual({ ok: true, first: true });
    expect(await onceLedger.releaseClaim({ tokenHash: once, facilityId: elsewhere.facilityId, first: true, now: Date.now() })).toBe(false);
    expect(await onceLedger.releaseClaim({ tokenHash: once, facilityId: here.facilityId, first: true, now: Date.now() })).toBe(true);
    expect(await onceLedger.claimToken({ shard: ledgerShard(once), tokenHash: once, facilityId: elsewhere.facilityId, now: Date.now() })).toEqual({ ok: true, first: true });

    // Over HTTP: the removed device and the owner's scan the same QR at once; whichever claims first, the owner's visit keeps the claim.
    for (let i = 0; i < 20; i++) {
      const { qr } = await mintQr();
      const [refused, accepted] = await Promise.all([scan(removed.session, qr), scan(here.session, qr)]);
      expect((await errorCode(refused)).code).toBe("device_revoked");
      expect(await json(accepted, 200)).toMatchObject({ ok: true, repeat: false });
      expect(await errorCode(await scan(elsewhere.session, qr))).toEqual({ status: 409, code: "token_used" });
    }
    expect((await hourly(here.session)).total).toBe(20);
    expect((await hourly(elsewhere.session)).total).toBe(0);
  });

  it("the status and device a facility checks from memory go with its records", async () => {
    const f = await activeFacility();
    await json(await scan(f.session, (await mintQr()).qr), 200);
    await env.FACILITY.getByName(f.facilityId).destroyRecords();
    expect(await errorCode(await scan(f.session, (await mintQr()).qr))).toEqual({ status: 404, code: "facility_unknown" });
  });

  it("refuses a made-up session for a real facility as invalid, never telling the facility's status", async () => {
    const f = await registerFacility({ businessNumber: "none" });
    expect(f.status).toBe("pending");
    const forged = `${f.facilityId}.${"A".repeat(43)}`;
    expect(await errorCode(await scan(forged, (await mintQr()).qr))).toEqual({ status: 401, code: "session_invalid" });
  });
});
