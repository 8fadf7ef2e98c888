// Retention (R-R2): a visit day older than 28 days is gone — rows in Facility
// and TokenLedger, and the day key in the vault — at the start of day + 29,
// while days 28 and 27 are kept: every visit is kept at least 28 days ("4주(28일)
// 동안 저장"), so a 22:00 visit is still there for the authority at 23:00 on
// day + 28. The sweep is chunked; the alarm is re-armed on every wake. Times are
// in 2030 so the real clock never reaches them (this file's storage is its own).
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DAY, DEV_NOW_HEADER, HOUR, addDays, expiresAt, kstDay, kstDayStart } from "../../../shared/src/index.js";
import { authorityKeys, openPartyAnswer, requestId, signedRequest } from "../../../tests/authority-client.js";
import { ledgerShard, vaultShard } from "../src/durable/shards.js";
import { SWEEP_CHUNK } from "../src/durable/retention.js";
import { BASE, send, testEnv } from "./helpers.js";

const D0 = "2030-01-01";
const D1 = addDays(D0, 1);
const at = (day: string, hour: number) => kstDayStart(day) + hour * HOUR;

async function facilityWithDevice(id: string) {
  const stub = env.FACILITY.getByName(id);
  await stub.configure({ facilityId: id, status: "active", validFrom: null, validUntil: null, version: 0 });
  await stub.addDevice({ sessionHash: `session-${id}`, accountId: "acc_device", expiresAt: at("2031-01-01", 0) });
  return stub;
}

const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);

/** The authority's tracing step 4 (POST /authority/v1/facility-tokens), answered as if it arrived at `now` (DEV_MODE clock). */
async function facilityTokensAt(facilityId: string, from: number, to: number, now: number) {
  const body = JSON.stringify({ facilityId, from, to });
  const req = await signedRequest(keys, BASE, { audience: "registry", path: "/authority/v1/facility-tokens", body, now });
  const headers = new Headers(req.headers);
  headers.set(DEV_NOW_HEADER, String(now));
  const res = await send(new Request(req.url, { method: "POST", headers, body }));
  expect(res.status).toBe(200);
  const { answer } = (await res.json()) as { answer: string };
  const opened = await openPartyAnswer(keys, answer, "registry", await (await send(new Request(`${BASE}/.well-known/jwks.json`))).json(), requestId(req));
  if (!opened.ok) throw new Error(opened.message);
  return (opened.data as { tokens: { qr: string; scannedAt: number }[] }).tokens;
}

const rows = (id: string, table: string) =>
  runInDurableObject(env.FACILITY.getByName(id), (_, state) =>
    state.storage.sql.exec<{ day: string; n: number }>(`SELECT day, COUNT(*) AS n FROM ${table} GROUP BY day ORDER BY day`).toArray(),
  );

describe("retention", () => {
  it("a day older than 28 days is gone with its key; day 28 is kept", async () => {
    const id = "fac_retention0001";
    const stub = await facilityWithDevice(id);
    // Each scan as the worker makes it: the claim in the ledger, then the visit.
    for (const [tokenHash, qr, now] of [["token-old", "KP1:OLD", at(D0, 10)], ["token-new", "KP1:NEW", at(D1, 10)]] as const) {
      const shard = ledgerShard(tokenHash);
      expect(await env.TOKEN_LEDGER.getByName(shard).claimToken({ shard, tokenHash, facilityId: id, now })).toEqual({ ok: true, first: true });
      expect(await stub.scan({ sessionHash: `session-${id}`, tokenHash, qr, now })).toMatchObject({ ok: true });
    }
    expect(await rows(id, "visits")).toEqual([
      { day: D0, n: 1 },
      { day: D1, n: 1 },
    ]);

    // 29 days after D0: D0 is expired (its visit 29 days 15 h old), D1 is day 28 (its visit 28 days 15 h old) and kept.
    const now = at(addDays(D0, 29), 1);
    expect(kstDay(now)).toBe(addDays(D0, 29));
    const swept = await stub.sweep(now);
    expect(swept.expired).toEqual([D0]);
    expect(await rows(id, "visits")).toEqual([{ day: D1, n: 1 }]);
    expect((await rows(id, "hourly")).map((r) => r.day)).toEqual([D1]);
    expect(await stub.hourlyCounts(D0)).toEqual(new Array(24).fill(0));

    // The day key is destroyed in the key-value vault; D1's is still there.
    const vault = env.DAY_KEY_VAULT.getByName(vaultShard(`facility:${id}`));
    const live = await vault.liveDays();
    expect(live).not.toContain(D0);
    expect(live).toContain(D1);
    expect(await vault.keyFor(D0, now, false)).toBeNull();
    // The kept token is still readable for the authority; the shredded one cannot come back.
    expect(await stub.tokensBetween(at(D0, 0), at(addDays(D1, 1), 0), now, { after: null, limit: 10 })).toEqual({ tokens: [{ qr: "KP1:NEW", at: at(D1, 10) }], next: null });

    // The ledger forgets D0's claim too.
    const ledger = env.TOKEN_LEDGER.getByName(ledgerShard("token-old"));
    await ledger.sweep(now);
    expect(await ledger.whereClaimed(["token-old"], now)).toEqual([]);
    const newLedger = env.TOKEN_LEDGER.getByName(ledgerShard("token-new"));
    await newLedger.sweep(now);
    expect(await newLedger.whereClaimed(["token-new"], now)).toEqual([{ tokenHash: "token-new", facilityId: id, at: at(D1, 10) }]);
  });

  it("sweeps a large day in chunks and re-arms the alarm until it is done", async () => {
    const id = "fac_retention0002";
    const stub = await facilityWithDevice(id);
    await stub.scan({ sessionHash: `session-${id}`, tokenHash: "seed", qr: "KP1:SEED", now: at(D0, 9) });
    await runInDurableObject(stub, (_, state) => {
      for (let i = 0; i < 1200; i++) {
        state.storage.sql.exec("INSERT INTO visits (token_hash, day, at, device, token) VALUES (?, ?, ?, 'd', 'x')", `bulk-${i}`, D0, at(D0, 9));
      }
    });
    const now = at(addDays(D0, 29), 0) + 1; // the first moment D0 is due
    const first = await stub.sweep(now);
    expect(first).toMatchObject({ deleted: SWEEP_CHUNK, more: true, expired: [] });
    // due work remains, so the alarm is armed at once (its due time is past)
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeLessThanOrEqual(now);
    let last = first;
    while (last.more) last = await stub.sweep(now);
    expect(last.expired).toEqual([D0]);
    expect(await rows(id, "visits")).toEqual([]);
  });

  it("re-arms a lost alarm when the object wakes after eviction", async () => {
    const id = "fac_retention0003";
    const stub = await facilityWithDevice(id);
    await stub.scan({ sessionHash: `session-${id}`, tokenHash: "t3", qr: "KP1:T3", now: at(D1, 12) });
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBe(expiresAt(D1));
    // Lose the alarm, evict, wake: the constructor re-arms from the due-work table.
    await runInDurableObject(stub, (_, state) => state.storage.deleteAlarm());
    await abortAllDurableObjects();
    const woken = env.FACILITY.getByName(id);
    expect(await runInDurableObject(woken, (_, state) => state.storage.getAlarm())).toBe(expiresAt(D1));
    expect(expiresAt(D1)).toBe(kstDayStart(addDays(D1, 29)));
    expect(expiresAt(D1) - at(D1, 0)).toBe(29 * DAY);
  });

  // Last in this file: its times are the latest (a vault shreds by the latest time it has seen).
  it("keeps a 22:00 visit of day D for the authority at 23:00 on D + 28 (over 28 days on), and it is gone at 00:00 on D + 29", async () => {
    const D = "2030-02-10";
    const id = "fac_kept28days01";
    const stub = await facilityWithDevice(id);
    const scannedAt = at(D, 22);
    const shard = ledgerShard("token-late");
    const ledger = env.TOKEN_LEDGER.getByName(shard);
    expect(await ledger.claimToken({ shard, tokenHash: "token-late", facilityId: id, now: scannedAt })).toEqual({ ok: true, first: true });
    expect(await stub.scan({ sessionHash: `session-${id}`, tokenHash: "token-late", qr: "KP1:LATE", now: scannedAt })).toMatchObject({ ok: true });
    const vault = env.DAY_KEY_VAULT.getByName(vaultShard(`facility:${id}`));

    // 23:00 on D + 28: 28 days and an hour after the scan, the sweep keeps it and the authority reads it.
    const late = at(addDays(D, 28), 23);
    expect(late - scannedAt).toBe(28 * DAY + HOUR);
    expect(await stub.sweep(late)).toMatchObject({ expired: [] });
    await ledger.sweep(late);
    expect(await facilityTokensAt(id, at(D, 21), at(D, 23), late)).toEqual([{ qr: "KP1:LATE", issuer: null, scannedAt }]);
    expect(await ledger.whereClaimed(["token-late"], late)).toEqual([{ tokenHash: "token-late", facilityId: id, at: scannedAt }]);
    expect(await vault.liveDays()).toContain(D);

    // 00:00 on D + 29 (and a millisecond): the day is gone, rows and key.
    const gone = kstDayStart(addDays(D, 29)) + 1;
    expect(await stub.sweep(gone)).toMatchObject({ expired: [D] });
    await ledger.sweep(gone);
    expect(await rows(id, "visits")).toEqual([]);
    expect(await facilityTokensAt(id, at(D, 21), at(D, 23), gone)).toEqual([]);
    expect(await ledger.whereClaimed(["token-late"], gone)).toEqual([]);
    expect(await vault.liveDays()).not.toContain(D);
    expect(await vault.keyFor(D, gone, false)).toBeNull();
  });
});
