/**
 * DayKeyVault: the day keys that encrypt visits (Facility) and claims
 * (TokenLedger), R-R1/R-R2. Key-value-backed on purpose (wrangler
 * `new_classes`): it has no point-in-time recovery, so a shredded key is gone
 * for good, unlike rows in the SQLite objects or D1 (docs/privacy.md).
 * Callers import the key once and cache the CryptoKey in memory, so a scan
 * costs no extra hop.
 */
import { DurableObject } from "cloudflare:workers";
import { DayKeys, addDays, kstDay, kstDayStart, lastExpiredDay, type Bytes } from "@kipass/shared";
import type { RegistryBindings } from "../config.js";

export class DayKeyVault extends DurableObject<RegistryBindings> {
  private readonly keys = new DayKeys(this.ctx.storage);
  private shreddedFor: string | null = null;
  private readonly pending = new Map<string, Promise<Bytes | null>>();

  constructor(ctx: DurableObjectState, env: RegistryBindings) {
    super(ctx, env);
    // Re-arm on every wake: an alarm can be lost across a restart.
    ctx.blockConcurrencyWhile(async () => {
      const now = Date.now();
      if ((await ctx.storage.getAlarm()) === null) await ctx.storage.setAlarm(kstDayStart(addDays(kstDay(now), 1)));
    });
  }

  /**
   * The key bytes of `day` (created on first use), or null once that day is
   * shredded. Bytes, because a CryptoKey cannot cross RPC; the caller imports
   * it once and keeps it in memory.
   */
  async keyFor(day: string, now: number, create = true): Promise<Bytes | null> {
    await this.expire(now);
    if (day <= lastExpiredDay(kstDay(now))) return null;
    // One creation per day even if two objects ask at once: both must get the key that is stored.
    const slot = `${day}|${create}`;
    let raw = this.pending.get(slot);
    if (!raw) {
      raw = this.keys.rawKeyFor(day, create).finally(() => this.pending.delete(slot));
      this.pending.set(slot, raw);
    }
    return raw;
  }

  /** keyFor over many days in one call: an object filling its cache for a range of days (benchmark seeding). */
  keysFor(requests: { day: string; now: number }[]): Promise<(Bytes | null)[]> {
    return Promise.all(requests.map((r) => this.keyFor(r.day, r.now, r.day >= kstDay(r.now))));
  }

  /** Shreds the key of every day through `lastExpiredDay` (R-R2: day + 29, each visit kept 28 days) and arms the next midnight; returns the days shredded. */
  async expire(now: number): Promise<string[]> {
    const last = lastExpiredDay(kstDay(now));
    // Callers' clocks differ a little: a `now` behind the last sweep has nothing left to shred.
    if (this.shreddedFor !== null && last <= this.shreddedFor) return [];
    const shredded = await this.keys.shredThrough(last);
    this.shreddedFor = last;
    // Alarms are at-least-once and can be lost: the lazy check above covers a lost one.
    const next = kstDayStart(addDays(kstDay(now), 1));
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next) await this.ctx.storage.setAlarm(next);
    return shredded;
  }

  /** Shutdown (R-O4): destroys every key and never creates one again; returns the days destroyed. */
  async destroyAll(): Promise<string[]> {
    const days = await this.keys.destroyAll();
    await this.ctx.storage.deleteAlarm();
    return days;
  }

  /** Days that still have a key (audits and tests). */
  liveDays(): Promise<string[]> {
    return this.keys.liveDays();
  }

  override async alarm(): Promise<void> {
    this.shreddedFor = null;
    await this.expire(Date.now());
  }
}
