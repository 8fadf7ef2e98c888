// Retention (R-R2): a visit day older than 28 days is gone — rows in Facility
// and TokenLedger, and the day key in the vault — while day 27 is kept; the
// sweep is chunked; the alarm is re-armed on every wake. Times are in 2030 so
// the real clock never reaches them (this file's storage is its own).
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DAY, HOUR, addDays, expiresAt, kstDay, kstDayStart } from "../../../shared/src/index.js";
import { ledgerShard, vaultShard } from "../src/durable/shards.js";
import { SWEEP_CHUNK } from "../src/durable/retention.js";

const D0 = "2030-01-01";
const D1 = addDays(D0, 1);
const at = (day: string, hour: number) => kstDayStart(day) + hour * HOUR;

async function facilityWithDevice(id: string) {
  const stub = env.FACILITY.getByName(id);
  await stub.configure({ facilityId: id, status: "active", validFrom: null, validUntil: null, version: 0 });
  await stub.addDevice({ sessionHash: `session-${id}`, accountId: "acc_device", expiresAt: at("2031-01-01", 0) });
  return stub;
}

const rows = (id: string, table: string) =>
  runInDurableObject(env.FACILITY.getByName(id), (_, state) =>
    state.storage.sql.exec<{ day: string; n: number }>(`SELECT day, COUNT(*) AS n FROM ${table} GROUP BY day ORDER BY day`).toArray(),
  );

describe("retention", () => {
  it("a day older than 28 days is gone with its key; day 27 is kept", async () => {
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

    // 28 days after D0: D0 is expired, D1 is day 27.
    const now = at(addDays(D0, 28), 1);
    expect(kstDay(now)).toBe(addDays(D0, 28));
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
    const now = at(addDays(D0, 28), 0) + 1;
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
    expect(expiresAt(D1)).toBe(kstDayStart(addDays(D1, 28)));
    expect(expiresAt(D1) - at(D1, 0)).toBe(28 * DAY);
  });
});
