/**
 * The day keys the registry's objects use, cached in the isolate's memory
 * (never stored) after one call to a vault shard. Every object of the isolate
 * that uses the same shard shares the entry, so the scan path pays the vault
 * hop once per day, shard and isolate — not per scan, and not per cold wake
 * (most facilities see a visitor every few minutes, and their objects wake
 * cold). Entries of expired days are dropped so a shredded key does not live
 * on in memory.
 */
import { aesKey, kstDay, lastExpiredDay } from "@kipass/shared";
import type { RegistryBindings } from "../config.js";

/** `${vault shard} ${day}` → that day's key (null once shredded: not kept). */
const isolateKeys = new Map<string, { day: string; key: Promise<CryptoKey | null> }>();
/** The expired day the map was last cleared for: a scan compares one string; the map is walked when it changes. */
let forgottenThrough = "";

export class DayKeyCache {
  private vaultName: string | null = null;

  /** `shardOf` names the object's vault shard, or null while the object does not know its own id yet. */
  constructor(
    private readonly env: RegistryBindings,
    private readonly shardOf: () => string | null,
  ) {}

  /** The object's vault shard: its id never changes, so it is looked up once per wake. */
  private vault(): string {
    this.vaultName ??= this.shardOf();
    if (this.vaultName === null) throw new Error("day key asked for before the object knows its id");
    return this.vaultName;
  }

  /** Today's key is created on first use; older days are only read (null once shredded). */
  get(day: string, now: number): Promise<CryptoKey | null> {
    this.forgetThrough(lastExpiredDay(kstDay(now)));
    const vault = this.vault();
    const name = `${vault} ${day}`;
    const cached = isolateKeys.get(name);
    if (cached) return cached.key;
    const key = this.stub(vault)
      .keyFor(day, now, day >= kstDay(now))
      .then((raw) => (raw ? aesKey(new Uint8Array(raw)) : null));
    const entry = { day, key };
    isolateKeys.set(name, entry);
    const drop = () => isolateKeys.get(name) === entry && isolateKeys.delete(name);
    key.then((k) => k ?? drop(), drop);
    return key;
  }

  /** Fills the cache for many days with one call to the vault (each day as `get` would at its `now`). */
  async prefetch(requests: { day: string; now: number }[]): Promise<void> {
    const vault = this.vault();
    const missing = requests.filter((r) => !isolateKeys.has(`${vault} ${r.day}`));
    if (missing.length === 0) return;
    const raws = await this.stub(vault).keysFor(missing);
    missing.forEach((r, i) => {
      const raw = raws[i];
      if (raw) isolateKeys.set(`${vault} ${r.day}`, { day: r.day, key: aesKey(new Uint8Array(raw)) });
    });
  }

  /** Shutdown: nothing cached outlives the vault. */
  forgetAll(): void {
    isolateKeys.clear();
  }

  forgetThrough(day: string): void {
    if (day === forgottenThrough) return; // an expired day's key is never cached again (the vault answers null)
    for (const [name, entry] of isolateKeys) if (entry.day <= day) isolateKeys.delete(name);
    forgottenThrough = day;
  }

  private stub(vault: string) {
    return this.env.DAY_KEY_VAULT.getByName(vault);
  }

  /** Asks the vault to shred expired keys now (the vault's own alarm does too). */
  async expire(now: number): Promise<string[]> {
    this.forgetThrough(lastExpiredDay(kstDay(now)));
    return this.stub(this.vault()).expire(now);
  }
}

/** One { day, now } per KST day of time-sorted items: the first moment of each day. */
export const firstOfEachDay = (sorted: { at: number }[]): { day: string; now: number }[] => {
  const out = new Map<string, number>();
  for (const { at } of sorted) if (!out.has(kstDay(at))) out.set(kstDay(at), at);
  return [...out].map(([day, now]) => ({ day, now }));
};
