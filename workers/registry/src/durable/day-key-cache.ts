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
