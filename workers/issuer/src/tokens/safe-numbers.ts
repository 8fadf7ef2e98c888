/**
 * Safe numbers (개인안심번호, R-P1, R-U6): a six-character code the visitor
 * writes on a paper log instead of their phone; the authority resolves it
 * through this issuer with a signed request, like a token.
 *
 * One code per user per KST day (daily rotation: a paper entry carries its
 * date, so day + code is exact; the visitor can write the same code all day;
 * facilities cannot link entries across days). The candidates are
 * HMAC(day key, user reference ‖ attempt): deterministic while the day key
 * lives, so nothing about the code is stored at the user's side, and
 * impossible to recompute once the key is destroyed at the start of day + 29.
 *
 * SafeNumberLedger (SQLite, 64 shards by keyed code hash) makes a code unique
 * among the live codes of this issuer and day: a claim of a code someone else
 * holds fails and the user's object tries its next candidate. A row holds the
 * keyed hash of (day, code) under LOOKUP_KEY and the user reference
 * encrypted under the day key; the alarm deletes the day's rows at the start
 * of day + 29, when the vault destroys the key (same retention as the token
 * log: a paper entry of day D can be resolved until every entry of D is 28
 * days old).
 */
import { DurableObject } from "cloudflare:workers";
import { DueWork, EXPIRE_DAY, RetentionSchedule, fromBase64url, lookupHash, migrateSchema, sqlTag, utf8, wipeObject, type Bytes } from "@kipass/shared";

export const SAFE_NUMBER_SHARDS = 64;

const MIGRATIONS = [
  `CREATE TABLE codes (
     code_hash TEXT PRIMARY KEY, -- keyed hash of (day, code)
     day TEXT NOT NULL,
     owner TEXT NOT NULL         -- user reference, encrypted under the day key
   );
   CREATE INDEX codes_day ON codes (day);`,
];


/** Keyed hash of a code on a day (LOOKUP_KEY, its own domain): the ledger never sees the code itself. */
export const safeNumberHash = (env: Env, day: string, code: string) => lookupHash(env, "safe-number", `${day}:${code}`);

/** AES-GCM context of a code's owner: bound to the issuer, the day and the row. */
export const safeNumberContext = (issuer: string, day: string, codeHash: string) => `safe-number ${issuer} ${day} ${codeHash}`;

/** The name of shard `i` (shutdown visits every one). */
export const safeNumberShardName = (i: number): string => `safe-numbers-${i}`;

/** The ledger shard that holds a code hash. */
export function safeNumberShard(codeHash: string): string {
  const b = fromBase64url(codeHash) ?? new Uint8Array(2);
  return safeNumberShardName(((b[0]! << 8) | b[1]!) % SAFE_NUMBER_SHARDS);
}

export const safeNumberLedgerOf = (env: Env, codeHash: string) => env.SAFE_NUMBERS.getByName(safeNumberShard(codeHash));

/** The HMAC key a day's safe numbers are drawn with, derived from the day key's bytes (HKDF, its own purpose). */
export async function safeNumberKey(dayKey: Bytes): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey("raw", dayKey, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8("kipass safe-number v1") },
    ikm,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign"],
  );
}

export class SafeNumberLedger extends DurableObject<Env> {
  private readonly sql = sqlTag(this.ctx.storage.sql);
  private readonly due: DueWork;
  private readonly retention: RetentionSchedule;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrateSchema(ctx.storage, MIGRATIONS);
    this.due = new DueWork(ctx.storage);
    this.retention = new RetentionSchedule(this.due);
    // Every wake re-arms from the due_work table: alarms are at-least-once and can be lost.
    void ctx.blockConcurrencyWhile(async () => {
      await this.due.arm();
    });
  }

  /**
   * Claims a code for `owner` (encrypted by the caller). First claim wins;
   * otherwise the holder's encrypted owner comes back, so the caller can tell
   * "mine already" from "someone else's".
   */
  async claim(day: string, codeHash: string, owner: string): Promise<{ claimed: true } | { claimed: false; owner: string }> {
    // No await between the read and the insert: check-and-claim is atomic in this object.
    const existing = this.sql<{ owner: string }>`SELECT owner FROM codes WHERE code_hash = ${codeHash}`[0];
    if (existing) return { claimed: false, owner: existing.owner };
    this.sql`INSERT INTO codes (code_hash, day, owner) VALUES (${codeHash}, ${day}, ${owner})`;
    await this.retention.ensure(day);
    return { claimed: true };
  }

  /** The encrypted owners of these code hashes (authority resolve); unknown ones are left out. */
  lookup(codeHashes: string[]): { codeHash: string; day: string; owner: string }[] {
    return codeHashes.flatMap((codeHash) => {
      const row = this.sql<{ day: string; owner: string }>`SELECT day, owner FROM codes WHERE code_hash = ${codeHash}`[0];
      return row ? [{ codeHash, ...row }] : [];
    });
  }

  /** Days that still have codes (tests, audits). */
  days(): string[] {
    return this.sql<{ day: string }>`SELECT DISTINCT day FROM codes ORDER BY day`.map((r) => r.day);
  }

  /** R-I1: a day's codes go at the start of day + 29, with its key. What the alarm runs; tests call it with a chosen `now`. */
  async sweep(now: number): Promise<void> {
    for (const item of this.due.due(now)) {
      if (item.kind === EXPIRE_DAY) this.sql`DELETE FROM codes WHERE day <= ${item.key}`;
      this.due.done(item.kind, item.key);
    }
    await this.due.arm();
  }

  /** Shutdown (R-O4): every code row and the due work go; the owners were sealed under day keys already destroyed. */
  async destroyRecords(): Promise<Record<string, number>> {
    const deleted = await wipeObject(this.ctx.storage);
    this.retention.forget();
    return deleted;
  }

  override async alarm(): Promise<void> {
    await this.sweep(Date.now());
  }
}
