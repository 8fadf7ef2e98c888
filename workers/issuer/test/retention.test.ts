// R-I1, R-I2: the token log keeps 28 days. A day older than that is deleted
// by the alarm and its day key destroyed, so a 29-day-old token cannot be
// resolved by anyone, this issuer included; day 27 is kept. The alarm is
// re-armed after the object is evicted (alarms can be lost). The user's last
// issuance time (kept for the 2 s gap) goes with its day's log.
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DAY, addDays, kstDay, kstDayStart, parseJwks, verifyToken } from "@kipass/shared";
import { vaultOf } from "../src/tokens/day-key-vault.js";
import { MIN_GAP_MS, userTokensOf } from "../src/tokens/user-tokens.js";
import { newUserRef } from "../src/user-ref.js";
import { authorityKeys, openPartyAnswer, requestId, signedRequest } from "../../../tests/authority-client.js";
import { BASE, call, enrol } from "./wallet-client.js";

const testEnv = env as typeof env & { TEST_AUTHORITY_SIGNING: string; TEST_AUTHORITY_ENCRYPTION: string };
const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);

async function resolve(tokens: string[]) {
  const req = await signedRequest(keys, BASE, { audience: "naver", path: "/authority/v1/tokens/resolve", body: JSON.stringify({ tokens }) });
  const res = await exports.default.fetch(req.clone());
  expect(res.status).toBe(200);
  const { answer } = (await res.json()) as { answer: string };
  const opened = await openPartyAnswer(keys, answer, "naver", await (await call("/.well-known/jwks.json")).json(), requestId(req));
  if (!opened.ok) throw new Error("answer does not open");
  return (opened.data as { resolutions: { status: string; name?: string; phone?: string; issuer?: string }[] }).resolutions;
}

describe("28-day retention", () => {
  // Runs first in this file: the vault shreds by the latest time it has seen.
  it("deletes days older than 28 and destroys their keys; keeps day 27", async () => {
    const person = await enrol({ name: "이보존", phone: "010-5555-0101" });
    const userRef = (await env.DB.prepare("SELECT user_ref FROM users ORDER BY created_at DESC LIMIT 1").first<{ user_ref: string }>())!.user_ref;
    const now = Date.now();
    const today = kstDay(now);
    const stub = userTokensOf(env, userRef);
    const minted: Record<string, string> = {};
    for (const age of [29, 28, 27, 0]) {
      const result = await stub.mint(userRef, now - age * DAY);
      if (!result.ok) throw new Error("mint refused");
      minted[age] = result.qr;
    }
    const trust = { naver: parseJwks(await (await call("/.well-known/jwks.json")).json())! };
    expect(await verifyToken(minted[0], trust, now)).toMatchObject({ ok: true });

    await runDurableObjectAlarm(stub); // may already have fired on its own: the past days were due at once
    expect(await stub.logDays()).toEqual([addDays(today, -27), today]);

    const [d29, d28, d27, d0] = await resolve([minted[29]!, minted[28]!, minted[27]!, minted[0]!]);
    expect(d29).toMatchObject({ status: "unknown" });
    expect(d28).toMatchObject({ status: "unknown" });
    expect(d27).toMatchObject({ status: "resolved", name: "이보존", phone: "01055550101", issuer: "naver" });
    expect(d0).toMatchObject({ status: "resolved", name: "이보존" });
    expect(person.guardianRequired).toBe(false);

    const live = await vaultOf(env).liveDays();
    expect(live).not.toContain(addDays(today, -29));
    expect(live).not.toContain(addDays(today, -28));
    expect(live).toEqual(expect.arrayContaining([addDays(today, -27), today]));

    // The authority's "tokens of phone P" sees only what is left.
    const req = await signedRequest(keys, BASE, {
      audience: "naver",
      path: "/authority/v1/tokens/by-phone",
      body: JSON.stringify({ phone: "010-5555-0101", from: now - 40 * DAY, to: now }),
    });
    const res = await exports.default.fetch(req.clone());
    const { answer } = (await res.json()) as { answer: string };
    const opened = await openPartyAnswer(keys, answer, "naver", await (await call("/.well-known/jwks.json")).json(), requestId(req));
    expect(opened.ok && (opened.data as { tokens: unknown[] }).tokens).toHaveLength(2);
  });

  it("re-arms the alarm after the object is evicted, from its due-work table", async () => {
    const userRef = (await env.DB.prepare("SELECT user_ref FROM users ORDER BY created_at DESC LIMIT 1").first<{ user_ref: string }>())!.user_ref;
    const stub = userTokensOf(env, userRef);
    const today = kstDay(Date.now());
    const dueFirst = kstDayStart(addDays(addDays(today, -27), 28)); // day 27's log is due tomorrow
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

  // Last in this file: minting 29 days ahead shreds today's key in the vault.
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
    await stub.sweep(later - 2 * DAY); // day + 27: kept
    expect(await ownerRow()).toEqual({ nonce: 1, last_mint_at: t0 });
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
});
