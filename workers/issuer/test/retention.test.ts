// R-I1, R-I2: the token log keeps 28 days. A day older than that is deleted
// by the alarm and its day key destroyed at the start of day + 29, so a token
// of day −29 cannot be resolved by anyone, this issuer included; days 28 and 27
// are kept (every token at least 28 days: a 22:00 token still resolves at 23:00
// on day + 28). The alarm is re-armed after the object is evicted (alarms can be
// lost). The user's last issuance time (kept for the 2 s gap) goes with its day's log.
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DAY, DEV_NOW_HEADER, HOUR, addDays, kstDay, kstDayStart, parseJwks, verifyToken } from "@kipass/shared";
import { vaultOf } from "../src/tokens/day-key-vault.js";
import { MIN_GAP_MS, userTokensOf } from "../src/tokens/user-tokens.js";
import { newUserRef } from "../src/user-ref.js";
import { authorityKeys, openPartyAnswer, requestId, signedRequest } from "../../../tests/authority-client.js";
import { BASE, call, enrol } from "./wallet-client.js";

const testEnv = env as typeof env & { TEST_AUTHORITY_SIGNING: string; TEST_AUTHORITY_ENCRYPTION: string };
const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);

/** A signed authority request, answered as if it arrived at `now` (DEV_MODE clock). */
async function ask<T>(path: string, body: unknown, now = Date.now()): Promise<T> {
  const text = JSON.stringify(body);
  const req = await signedRequest(keys, BASE, { audience: "naver", path, body: text, now });
  const headers = new Headers(req.headers);
  headers.set(DEV_NOW_HEADER, String(now));
  const res = await exports.default.fetch(new Request(req.url, { method: "POST", headers, body: text }));
  expect(res.status).toBe(200);
  const { answer } = (await res.json()) as { answer: string };
  const opened = await openPartyAnswer(keys, answer, "naver", await (await call("/.well-known/jwks.json")).json(), requestId(req));
  if (!opened.ok) throw new Error("answer does not open");
  return opened.data as T;
}

const resolve = async (tokens: string[], now?: number) =>
  (await ask<{ resolutions: { status: string; name?: string; phone?: string; issuer?: string; issuedAt?: number }[] }>("/authority/v1/tokens/resolve", { tokens }, now)).resolutions;
const byPhone = async (phone: string, from: number, to: number, now?: number) =>
  (await ask<{ tokens: { jti: string; issuedAt: number }[] }>("/authority/v1/tokens/by-phone", { phone, from, to }, now)).tokens;

describe("28-day retention", () => {
  // Runs first in this file: the vault shreds by the latest time it has seen.
  it("deletes days older than 28 and destroys their keys; keeps days 28 and 27", async () => {
    const person = await enrol({ name: "이보존", phone: "010-5555-0101" });
    const userRef = (await env.DB.prepare("SELECT user_ref FROM users ORDER BY created_at DESC LIMIT 1").first<{ user_ref: string }>())!.user_ref;
    const now = Date.now();
    const today = kstDay(now);
    const stub = userTokensOf(env, userRef);
    const minted: Record<string, string> = {};
    for (const age of [30, 29, 28, 27, 0]) {
      const result = await stub.mint(userRef, now - age * DAY);
      if (!result.ok) throw new Error("mint refused");
      minted[age] = result.qr;
    }
    const trust = { naver: parseJwks(await (await call("/.well-known/jwks.json")).json())! };
    expect(await verifyToken(minted[0], trust, now)).toMatchObject({ ok: true });

    await runDurableObjectAlarm(stub); // may already have fired on its own: the past days were due at once
    expect(await stub.logDays()).toEqual([addDays(today, -28), addDays(today, -27), today]);

    const [d30, d29, d28, d27, d0] = await resolve([minted[30]!, minted[29]!, minted[28]!, minted[27]!, minted[0]!]);
    expect(d30).toMatchObject({ status: "unknown" });
    expect(d29).toMatchObject({ status: "unknown" });
    expect(d28).toMatchObject({ status: "resolved", name: "이보존", phone: "01055550101", issuer: "naver" }); // exactly 28 days old: kept
    expect(d27).toMatchObject({ status: "resolved", name: "이보존", phone: "01055550101", issuer: "naver" });
    expect(d0).toMatchObject({ status: "resolved", name: "이보존" });
    expect(person.guardianRequired).toBe(false);

    const live = await vaultOf(env).liveDays();
    expect(live).not.toContain(addDays(today, -30));
    expect(live).not.toContain(addDays(today, -29));
    expect(live).toEqual(expect.arrayContaining([addDays(today, -28), addDays(today, -27), today]));

    // The authority's "tokens of phone P" sees only what is left.
    expect(await byPhone("010-5555-0101", now - 40 * DAY, now)).toHaveLength(3);
  });

  it("re-arms the alarm after the object is evicted, from its due-work table", async () => {
    const userRef = (await env.DB.prepare("SELECT user_ref FROM users ORDER BY created_at DESC LIMIT 1").first<{ user_ref: string }>())!.user_ref;
    const stub = userTokensOf(env, userRef);
    const today = kstDay(Date.now());
    const dueFirst = kstDayStart(addDays(addDays(today, -28), 29)); // day 28's log is due tomorrow, at day + 29
    await runInDurableObject(stub, async (_instance, state) => {
      expect(await state.storage.getAlarm()).toBe(dueFirst);
      await state.storage.deleteAlarm(); // as if the alarm were lost across a restart
    });
    await abortAllDurableObjects();
    // A new stub reaches a new instance: its constructor must find the due row and re-arm.
    await runInDurableObject(userTokensOf(env, userRef), async (_instance, state) => {
      expect(await state.storage.getAlarm()).toBe(dueFirst);
    });
  });

  it("arms the vault's daily shredding alarm for the next KST midnight, and again after eviction", async () => {
    const vault = vaultOf(env);
    const midnight = kstDayStart(addDays(kstDay(Date.now()), 1));
    await runInDurableObject(vault, async (_instance, state) => {
      expect(await state.storage.getAlarm()).toBe(midnight);
      await state.storage.deleteAlarm();
    });
    await abortAllDurableObjects();
    await runInDurableObject(vaultOf(env), async (_instance, state) => {
      expect(await state.storage.getAlarm()).toBe(midnight);
    });
  });

  // After the tests at today's time: minting 29 days ahead shreds today's key in the vault.
  it("clears the user's last issuance time with the log; nonce and rate limit still hold for the next token", async () => {
    const userRef = newUserRef();
    const stub = userTokensOf(env, userRef);
    const t0 = Date.now();
    const first = await stub.mint(userRef, t0);
    if (!first.ok) throw new Error("mint refused");
    const ownerRow = () =>
      runInDurableObject(stub, (_instance, state) => state.storage.sql.exec<{ nonce: number; last_mint_at: number | null }>("SELECT nonce, last_mint_at FROM owner").one());
    expect(await ownerRow()).toEqual({ nonce: 1, last_mint_at: t0 });

    const later = t0 + 29 * DAY;
    await stub.sweep(later - DAY); // day + 28: kept (the token is 28 days old)
    expect(await ownerRow()).toEqual({ nonce: 1, last_mint_at: t0 });
    expect(await stub.logDays()).toEqual([kstDay(t0)]);
    await stub.sweep(later);
    expect(await stub.logDays()).toEqual([]);
    expect(await ownerRow()).toEqual({ nonce: 1, last_mint_at: null }); // R-I1: no issuance time kept past 28 days

    // The user comes back: the nonce goes on from where it was (never repeats), the 2 s gap holds from the new token.
    const next = await stub.mint(userRef, later);
    if (!next.ok) throw new Error("mint refused");
    const trust = { naver: parseJwks(await (await call("/.well-known/jwks.json")).json())! };
    const verified = await verifyToken(next.qr, trust, later);
    if (!verified.ok) throw new Error("token does not verify");
    expect(await vaultOf(env).open("naver", verified.sealed, verified.issuedAt, later)).toMatchObject({ nonce: 2 });
    expect(await ownerRow()).toEqual({ nonce: 2, last_mint_at: later });
    expect(await stub.mint(userRef, later + MIN_GAP_MS - 1)).toMatchObject({ ok: false, code: "rate_limited" });
  });

  // Last in this file: its times are past every other test's (the vault shreds by the latest time it has seen).
  it("a token issued at 22:00 on day D still resolves at 23:00 on D + 28 (over 28 days on), and no longer at 00:00 on D + 29", async () => {
    const phone = "010-5555-0128";
    const person = await enrol({ name: "이십팔", phone });
    const userRef = (await env.DB.prepare("SELECT user_ref FROM devices WHERE id = ?").bind(person.deviceId).first<{ user_ref: string }>())!.user_ref;
    const stub = userTokensOf(env, userRef);
    const D = addDays(kstDay(Date.now()), 31); // after the test above's t0 + 29 days
    const issuedAt = kstDayStart(D) + 22 * HOUR;
    const minted = await stub.mint(userRef, issuedAt);
    if (!minted.ok) throw new Error("mint refused");

    // 23:00 on D + 28: 28 days and an hour on, the log keeps it and the authority resolves it.
    const late = kstDayStart(addDays(D, 28)) + 23 * HOUR;
    expect(late - issuedAt).toBe(28 * DAY + HOUR);
    await stub.sweep(late);
    expect(await stub.logDays()).toEqual([D]);
    expect(await resolve([minted.qr], late)).toEqual([expect.objectContaining({ status: "resolved", name: "이십팔", issuedAt })]);
    expect(await byPhone(phone, issuedAt - HOUR, issuedAt + HOUR, late)).toEqual([{ jti: minted.jti, issuedAt }]);
    expect(await vaultOf(env).liveDays()).toContain(D);

    // 00:00 on D + 29 (and a millisecond): the log row and the key are gone.
    const gone = kstDayStart(addDays(D, 29)) + 1;
    await stub.sweep(gone);
    expect(await stub.logDays()).toEqual([]);
    expect(await resolve([minted.qr], gone)).toEqual([expect.objectContaining({ status: "unknown" })]);
    expect(await byPhone(phone, issuedAt - HOUR, issuedAt + HOUR, gone)).toEqual([]);
    expect(await vaultOf(env).liveDays()).not.toContain(D);
  });
});
