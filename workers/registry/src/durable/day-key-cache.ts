/**
 * The day keys an object uses, cached in memory after one call to its vault
 * shard: the scan path pays the vault hop once per day per object, not per
 * scan. Entries of expired days are dropped so a shredded key does not live
 * on in memory.
 */
import { aesKey, kstDay, lastExpiredDay } from "@kipass/shared";
import type { RegistryBindings } from "../config.js";

export class DayKeyCache {
  private readonly keys = new Map<string, Promise<CryptoKey | null>>();

  constructor(
    private readonly env: RegistryBindings,
    private readonly vault: () => string,
  ) {}

  /** Today's key is created on first use; older days are only read (null once shredded). */
  get(day: string, now: number): Promise<CryptoKey | null> {
    this.forgetThrough(lastExpiredDay(kstDay(now)));
    let key = this.keys.get(day);
    if (!key) {
      const stub = this.env.DAY_KEY_VAULT.get(this.env.DAY_KEY_VAULT.idFromName(this.vault()));
      key = stub.keyFor(day, now, day >= kstDay(now)).then((raw) => (raw ? aesKey(new Uint8Array(raw)) : null));
      this.keys.set(day, key);
      key.then((k) => k ?? this.keys.delete(day), () => this.keys.delete(day));
    }
    return key;
  }

  /** Fills the cache for many days with one call to the vault (each day as `get` would at its `now`). */
  async prefetch(requests: { day: string; now: number }[]): Promise<void> {
    const missing = requests.filter((r) => !this.keys.has(r.day));
    if (missing.length === 0) return;
    const raws = await this.env.DAY_KEY_VAULT.get(this.env.DAY_KEY_VAULT.idFromName(this.vault())).keysFor(missing);
    missing.forEach((r, i) => {
      const raw = raws[i];
      if (raw) this.keys.set(r.day, aesKey(new Uint8Array(raw)));
    });
  }

  /** Shutdown: nothing cached outlives the vault. */
  forgetAll(): void {
    this.keys.clear();
  }

  forgetThrough(day: string): void {
    for (const d of this.keys.keys()) if (d <= day) this.keys.delete(d);
  }

  /** Asks the vault to shred expired keys now (the vault's own alarm does too). */
  async expire(now: number): Promise<string[]> {
    this.forgetThrough(lastExpiredDay(kstDay(now)));
    return this.env.DAY_KEY_VAULT.get(this.env.DAY_KEY_VAULT.idFromName(this.vault())).expire(now);
  }
}

/** One { day, now } per KST day of time-sorted items: the first moment of each day. */
export const firstOfEachDay = (sorted: { at: number }[]): { day: string; now: number }[] => {
  const out = new Map<string, number>();
  for (const { at } of sorted) if (!out.has(kstDay(at))) out.set(kstDay(at), at);
  return [...out].map(([day, now]) => ({ day, now }));
};
