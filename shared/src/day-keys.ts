/**
 * Day keys for crypto-shredding (R-R2, R-I1, R-O4). Records of a KST day are
 * encrypted under that day's random AES-256 key; at the start of day + 29
 * (`expiresAt`, retention.ts: every record of the day is 28 days old) the key
 * is deleted and the records become unreadable for good — including every copy
 * in point-in-time recovery (SQLite DOs, 30 days) or time travel (D1, 30
 * days), which a plain DELETE would leave readable.
 *
 * The keys must therefore live where no backup outlives them: a
 * key-value-backed Durable Object (no point-in-time recovery), never in D1
 * or in the SQLite storage of the object holding the records. See
 * docs/privacy.md.
 */
import { randomBytes, type Bytes } from "./bytes.js";
import { aesKey } from "./secrets.js";

/** The slice of a key-value Durable Object storage that day keys need. */
export interface KvStorage {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<boolean>;
  list<T>(options: { prefix: string }): Promise<Map<string, T>>;
}

const PREFIX = "daykey:";
const SHREDDED_THROUGH = "shredded-through";
/** Days whose keys shutdown destroyed: dates only, for the receipt. */
const DESTROYED_DAYS = "destroyed-days";
/** Later than any KST day: "shredded through" this means no day has a key any more. */
const LAST_DAY = "9999-12-31";

export class DayKeys {
  private readonly cache = new Map<string, Promise<CryptoKey | null>>();

  constructor(private readonly storage: KvStorage) {}

  /**
   * The key of `day`, created on first use. Null once the day is shredded:
   * a late write for a destroyed day must be refused, never re-keyed.
   */
  keyFor(day: string, create = true): Promise<CryptoKey | null> {
    let key = this.cache.get(day);
    if (!key) {
      key = this.load(day, create);
      this.cache.set(day, key);
      key.then((k) => k ?? this.cache.delete(day), () => this.cache.delete(day));
    }
    return key;
  }

  private async load(day: string, create: boolean): Promise<CryptoKey | null> {
    const raw = await this.rawKeyFor(day, create);
    return raw ? aesKey(raw) : null;
  }

  /**
   * The key bytes of `day` (same rules as keyFor), for a vault object that
   * hands keys to the objects using them: a CryptoKey cannot cross Durable
   * Object RPC ("does not support serialization"), bytes can.
   */
  async rawKeyFor(day: string, create = true): Promise<Bytes | null> {
    const shredded = await this.storage.get<string>(SHREDDED_THROUGH);
    if (shredded !== undefined && day <= shredded) return null;
    let raw = await this.storage.get<Bytes>(PREFIX + day);
    if (!raw) {
      if (!create) return null;
      raw = randomBytes(32);
      await this.storage.put(PREFIX + day, raw);
    }
    return new Uint8Array(raw);
  }

  /** Deletes the keys of every day up to and including `day`; returns the days shredded. */
  async shredThrough(day: string): Promise<string[]> {
    const current = await this.storage.get<string>(SHREDDED_THROUGH);
    if (current === undefined || day > current) await this.storage.put(SHREDDED_THROUGH, day);
    const shredded: string[] = [];
    for (const name of (await this.storage.list<Bytes>({ prefix: PREFIX })).keys()) {
      const d = name.slice(PREFIX.length);
      if (d <= day) {
        await this.storage.delete(name);
        shredded.push(d);
      }
    }
    for (const d of [...this.cache.keys()]) if (d <= day) this.cache.delete(d);
    return shredded;
  }

  /**
   * Shutdown (R-O4): deletes every key and marks every day shredded, so no
   * key is ever created again here; returns the days destroyed by every call
   * so far (noted before the keys go), so a retried shutdown chunk still
   * lists the keys an earlier, failed call destroyed.
   */
  async destroyAll(): Promise<string[]> {
    await this.storage.put(SHREDDED_THROUGH, LAST_DAY);
    const days = await this.liveDays();
    const destroyed = [...new Set([...((await this.storage.get<string[]>(DESTROYED_DAYS)) ?? []), ...days])].sort();
    await this.storage.put(DESTROYED_DAYS, destroyed);
    for (const d of days) await this.storage.delete(PREFIX + d);
    this.cache.clear();
    return destroyed;
  }

  /** Days that still have a key (for audits and tests). */
  async liveDays(): Promise<string[]> {
    return [...(await this.storage.list<Bytes>({ prefix: PREFIX })).keys()].map((k) => k.slice(PREFIX.length)).sort();
  }
}
