// Faults under load at the issuer: one user's UserTokens object asked for
// tokens by many concurrent requests while every Durable Object is aborted
// mid-run. Afterwards the rate limit has held (2 s apart, 60 per rolling
// hour), no nonce or token id was issued twice, every token a caller received
// is in the issued-token log, and the log and the nonce agree.
//
// Time is driven through the object's `mint(userRef, now)` (the token
// endpoint's clock, c.var.clock, is the real one), so two hours of requests
// run in a minute; the HTTP burst at the end uses the real endpoint.
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { HOUR, SECOND, parseJwks, verifyToken } from "@kipass/shared";
import { recordFigure } from "../../../tests/reliability.js";
import { vaultOf } from "../src/tokens/day-key-vault.js";
import { MAX_PER_HOUR, MIN_GAP_MS, userTokensOf, type MintResult } from "../src/tokens/user-tokens.js";
import { newUserRef, toHex } from "../src/user-ref.js";
import { call, enrol, mint } from "./wallet-client.js";

/** Two hours of one user's requests: the clock advances by these gaps in turn (around and well past the 2 s limit). */
const SPAN = 2 * HOUR;
const GAPS = [500, 500, 1000, 1500, 20 * SECOND];
/** Concurrent requests per step: a burst every 10th step, two otherwise. */
const BURST = 20;
const BURST_EVERY = 10;
const ABORT_EVERY = 100;

async function mintWithRetry(ref: string, now: number, failures: { count: number }): Promise<MintResult> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      return await userTokensOf(env, ref).mint(ref, now);
    } catch {
      failures.count++; // the object died under the call: the client asks again
    }
  }
  throw new Error("mint never answered after 20 attempts");
}

describe("faults under load at the issuer", () => {
  it("one user's concurrent token requests with every object aborted mid-run: rate limit holds, no duplicate nonce or jti, log consistent", async ({ task }) => {
    const ref = newUserRef();
    const t0 = Date.now();
    const failures = { count: 0 };
    const received: { qr: string; jti: string; issuedAt: number }[] = [];
    let requests = 0;
    let aborts = 0;
    for (let step = 0, now = t0; now < t0 + SPAN; now += GAPS[step % GAPS.length]!, step++) {
      const n = step % BURST_EVERY === 0 ? BURST : 2;
      const answers = Promise.all(Array.from({ length: n }, () => mintWithRetry(ref, now, failures)));
      // Abort twice in a row: the second lands while the fresh object waits for today's key from the vault.
      if (step % ABORT_EVERY === 0 || step % ABORT_EVERY === 1) {
        await abortAllDurableObjects();
        aborts++;
      }
      for (const a of await answers) if (a.ok) received.push({ qr: a.qr, jti: a.jti, issuedAt: now });
      requests += n;
    }

    // Rate limit: at most one token per 2 s and 60 per rolling hour, over what callers got and over the log.
    const log = await userTokensOf(env, ref).issuedBetween(t0, t0 + SPAN, t0 + SPAN);
    const times = log.map((e) => e.issuedAt);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(MIN_GAP_MS);
    for (let i = MAX_PER_HOUR; i < times.length; i++) expect(times[i]! - times[i - MAX_PER_HOUR]!).toBeGreaterThanOrEqual(HOUR);
    expect(log.length).toBeGreaterThanOrEqual(2 * MAX_PER_HOUR - 1); // the limit was reached, not just obeyed

    // No duplicate jti; every token a caller received is in the log (none lost).
    const logged = new Set(log.map((e) => e.jti));
    expect(logged.size).toBe(log.length);
    const missing = received.filter((r) => !logged.has(r.jti));
    expect(missing).toEqual([]);
    expect(new Set(received.map((r) => r.jti)).size).toBe(received.length);

    // No duplicate nonce: each received token opens to this user with its own nonce; the stored nonce counts the log.
    const trust = { naver: parseJwks(await (await call("/.well-known/jwks.json")).json())! };
    const nonces = new Set<number>();
    for (const r of received) {
      const v = await verifyToken(r.qr, trust, r.issuedAt);
      if (!v.ok) throw new Error(`issued token does not verify: ${v.code}`);
      const handle = await vaultOf(env).open("naver", v.sealed, v.issuedAt, r.issuedAt);
      expect(handle && toHex(handle.userRef)).toBe(ref);
      nonces.add(handle!.nonce);
    }
    expect(nonces.size).toBe(received.length);
    const stored = await runInDurableObject(userTokensOf(env, ref), (_, state) =>
      state.storage.sql.exec<{ nonce: number; issued: number }>("SELECT nonce, (SELECT COUNT(*) FROM issued) AS issued FROM owner").one(),
    );
    expect(stored.nonce).toBe(stored.issued);
    expect(stored.issued).toBe(log.length);

    // The log's expiry survives the aborts: the due-work row re-arms the alarm on wake.
    await runInDurableObject(userTokensOf(env, ref), (_, state) => state.storage.deleteAlarm());
    await abortAllDurableObjects();
    aborts++;
    expect(await runInDurableObject(userTokensOf(env, ref), (_, state) => state.storage.getAlarm())).not.toBeNull();

    recordFigure(task, { area: "load held", what: "issuer: one user's token requests over 2 simulated hours, bursts of 20 concurrent, objects aborted mid-run", count: requests });
    recordFigure(task, { area: "faults survived", what: "issuer: aborts of every Durable Object during the token run", count: aborts });
    recordFigure(task, { area: "faults survived", what: "issuer: token requests that failed under an abort and were asked again", count: failures.count });
    recordFigure(task, { area: "records lost", what: "issuer: tokens handed to the wallet but missing from the issued-token log", count: missing.length });
  }, 300_000);

  it("a burst of concurrent requests at the token endpoint with an abort in the middle issues at most one token", async ({ task }) => {
    const device = await enrol();
    const burst = Array.from({ length: 50 }, () => mint(device.credential).then((r) => r.status, () => 503));
    await abortAllDurableObjects();
    const statuses = await Promise.all(burst);
    // 201 at most once; the rest refused by the limit (429) or lost to the abort (5xx), never a second token.
    expect(statuses.filter((s) => s === 201).length).toBeLessThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 429 || s >= 500)).toBe(true);
    recordFigure(task, { area: "load held", what: "issuer: concurrent token requests of one user at the endpoint around an abort", count: statuses.length });
  });
});
