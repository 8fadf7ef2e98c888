/**
 * TokenLedger: the one-time claim of every token id across all facilities
 * (architecture.md, hot path step 3), sharded by keyed token hash
 * (shards.ts). A claim from the facility that already holds it is harmless
 * (R-U8 re-scan); from any other facility it is a replay. The worker claims
 * before the facility checks its device and status (scan.ts), so a claim
 * whose scan the facility refuses is released again — unless a re-scan
 * there has relied on it meanwhile (`rescans`, `first_refused`). Each claim also
 * indexes token → facility for the authority (tracing step 2). The facility
 * is stored encrypted under the day key, so a shredded day cannot be read
 * back from a point-in-time copy (R-R2).
 */
import { DurableObject } from "cloudflare:workers";
import { DueWork, RetentionSchedule, decryptField, encryptField, kstDay, migrateSchema, sqlTag, wipeObject } from "@kipass/shared";
import type { RegistryBindings } from "../config.js";
import { DayKeyCache, firstOfEachDay } from "./day-key-cache.js";
import { deleteDayChunk, sweepDue, type SweepResult } from "./retention.js";
import { vaultShard } from "./shards.js";

const MIGRATIONS = [
  `CREATE TABLE shard (name TEXT PRIMARY KEY);
   CREATE TABLE claims (
     token_hash TEXT PRIMARY KEY,
     day TEXT NOT NULL,
     at INTEGER NOT NULL,
     facility TEXT NOT NULL -- encrypted under the day key
   );
   CREATE INDEX claims_day ON claims (day);`,
  `ALTER TABLE claims ADD COLUMN rescans INTEGER NOT NULL DEFAULT 0;`,
  `ALTER TABLE claims ADD COLUMN first_refused INTEGER NOT NULL DEFAULT 0;`,
];

export type ClaimRefusal = "token_used" | "day_closed";
export type ClaimOutcome = { ok: true; first: boolean } | { ok: false; code: ClaimRefusal };

export interface ClaimedToken {
  tokenHash: string;
  facilityId: string;
  at: number;
}

const claimContext = (tokenHash: string) => `claim|${tokenHash}`;

export class TokenLedger extends DurableObject<RegistryBindings> {
  private readonly sql = sqlTag(this.ctx.storage.sql);
  private readonly due: DueWork;
  private readonly retention: RetentionSchedule;
  private readonly keys: DayKeyCache;
  private name: string | null = null;

  constructor(ctx: DurableObjectState, env: RegistryBindings) {
    super(ctx, env);
    migrateSchema(ctx.storage, MIGRATIONS);
    this.due = new DueWork(ctx.storage);
    this.retention = new RetentionSchedule(this.due);
    // ctx.id.name can be missing on an alarm wake: the shard keeps its own name.
    this.name = this.sql<{ name: string }>`SELECT name FROM shard`[0]?.name ?? null;
    this.keys = new DayKeyCache(env, () => (this.name === null ? null : vaultShard(`ledger:${this.name}`)));
    ctx.blockConcurrencyWhile(async () => {
      await this.due.arm();
    });
  }

  private remember(shard: string): void {
    if (this.name !== null) return;
    this.name = shard;
    this.sql`INSERT OR IGNORE INTO shard (name) VALUES (${shard})`;
  }

  /** Claims a token for a facility: first claim wins; the same facility again is a harmless repeat. */
  async claimToken(input: { shard: string; tokenHash: string; facilityId: string; now: number }): Promise<ClaimOutcome> {
    this.remember(input.shard);
    const day = kstDay(input.now);
    const key = await this.keys.get(day, input.now);
    if (!key) return { ok: false, code: "day_closed" };
    const claim = { tokenHash: input.tokenHash, day, at: input.now, facility: await encryptField(key, input.facilityId, claimContext(input.tokenHash)) };
    for (;;) {
      const existing = this.write(claim);
      if (!existing) {
        await this.retention.ensure(day);
        return { ok: true, first: true };
      }
      const existingKey = await this.keys.get(existing.day, input.now);
      const holder = existingKey ? await decryptField(existingKey, existing.facility, claimContext(input.tokenHash)) : null;
      if (holder !== input.facilityId) return { ok: false, code: "token_used" };
      // A re-scan by the holder: from now on a refusal of the first scan does not release the claim this one relies on.
      const kept = this.ctx.storage.sql.exec("UPDATE claims SET rescans = rescans + 1 WHERE token_hash = ? AND facility = ?", input.tokenHash, existing.facility).rowsWritten;
      if (kept > 0) return { ok: true, first: false };
      // Released while the holder was read: claim it afresh.
    }
  }

  /**
   * The facility refused a scan of this token: the claim goes once no scan
   * there relies on it, so the visitor's QR still works elsewhere. `rescans`
   * counts the re-scans that passed here and may have been recorded; a
   * refused one takes its count back. The claim goes when the first scan was
   * refused and no re-scan is left (two refused scans at once: whichever is
   * answered last releases). A re-scan the facility accepted keeps its count,
   * so the visit it recorded keeps its claim. Returns whether the claim went.
   */
  async releaseClaim(input: { tokenHash: string; facilityId: string; first: boolean; now: number }): Promise<boolean> {
    const row = this.sql<{ day: string; facility: string }>`SELECT day, facility FROM claims WHERE token_hash = ${input.tokenHash}`[0];
    if (!row) return false;
    const key = await this.keys.get(row.day, input.now);
    const holder = key ? await decryptField(key, row.facility, claimContext(input.tokenHash)) : null;
    if (holder !== input.facilityId) return false;
    // Synchronous from here, and matched on the sealed holder: a claim released and taken elsewhere meanwhile is not touched.
    if (input.first) this.sql`UPDATE claims SET first_refused = 1 WHERE token_hash = ${input.tokenHash} AND facility = ${row.facility}`;
    else this.sql`UPDATE claims SET rescans = rescans - 1 WHERE token_hash = ${input.tokenHash} AND facility = ${row.facility} AND rescans > 0`;
    return (
      this.ctx.storage.sql.exec("DELETE FROM claims WHERE token_hash = ? AND facility = ? AND rescans = 0 AND first_refused = 1", input.tokenHash, row.facility)
        .rowsWritten > 0
    );
  }

  /** Inserts a sealed claim unless the token is claimed already (then returns that claim). Synchronous: check and claim are atomic. */
  private write(claim: { tokenHash: string; day: string; at: number; facility: string }): { day: string; facility: string } | null {
    const claimed = this.sql`INSERT INTO claims (token_hash, day, at, facility) VALUES (${claim.tokenHash}, ${claim.day}, ${claim.at}, ${claim.facility})
      ON CONFLICT (token_hash) DO NOTHING RETURNING 1`;
    return claimed.length > 0 ? null : this.sql<{ day: string; facility: string }>`SELECT day, facility FROM claims WHERE token_hash = ${claim.tokenHash}`[0]!;
  }

  /**
   * Benchmark seeding only (routes/bench-seed.ts, DEV_MODE): first claims as
   * scans at their moments would make them, sealed and written by the same
   * code as claimToken — written together rather than one commit per claim.
   */
  async seedClaims(shard: string, claims: { tokenHash: string; facilityId: string; at: number }[]): Promise<number> {
    this.remember(shard);
    const sorted = [...claims].sort((a, b) => a.at - b.at);
    await this.keys.prefetch(firstOfEachDay(sorted));
    const sealed = await Promise.all(
      sorted.map(async (c) => {
        const day = kstDay(c.at);
        const key = await this.keys.get(day, c.at);
        return key ? { tokenHash: c.tokenHash, day, at: c.at, facility: await encryptField(key, c.facilityId, claimContext(c.tokenHash)) } : null;
      }),
    );
    let first = 0;
    for (const c of sealed) if (c && !this.write(c)) first++;
    for (const day of new Set(sealed.map((c) => c?.day))) if (day) await this.retention.ensure(day);
    return first;
  }

  /** The wallet's relay check (routes/token-status.ts): when this token was claimed, if at or after `since`; never where. */
  claimedSince(tokenHash: string, since: number): number | null {
    return this.sql<{ at: number }>`SELECT at FROM claims WHERE token_hash = ${tokenHash} AND at >= ${since}`[0]?.at ?? null;
  }

  /** Authority (tracing step 2): where and when these tokens were claimed. Unknown or expired ones are left out. */
  async whereClaimed(tokenHashes: string[], now: number): Promise<ClaimedToken[]> {
    const out: ClaimedToken[] = [];
    for (const tokenHash of tokenHashes) {
      const row = this.sql<{ day: string; at: number; facility: string }>`SELECT day, at, facility FROM claims WHERE token_hash = ${tokenHash}`[0];
      if (!row) continue;
      const key = await this.keys.get(row.day, now);
      const facilityId = key ? await decryptField(key, row.facility, claimContext(tokenHash)) : null;
      if (facilityId) out.push({ tokenHash, facilityId, at: row.at });
    }
    return out;
  }

  /** Retention sweep (R-R2): what the alarm runs; tests call it with a chosen `now`. */
  async sweep(now: number): Promise<SweepResult> {
    const result = await sweepDue(
      this.due,
      now,
      (day, limit) => deleteDayChunk(this.ctx.storage.sql, "claims", day, limit),
      (day) => this.retention.forget(day),
    );
    if (this.name !== null) await this.keys.expire(now);
    return result;
  }

  /** Shutdown (R-O4): every claim and the due work are deleted. */
  async destroyRecords(): Promise<Record<string, number>> {
    const deleted = await wipeObject(this.ctx.storage);
    this.keys.forgetAll();
    this.retention.forget();
    return deleted;
  }

  override async alarm(): Promise<void> {
    await this.sweep(Date.now());
  }
}
