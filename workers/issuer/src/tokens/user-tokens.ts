/**
 * UserTokens: one SQLite-backed Durable Object per user (no global writer).
 * Mints that user's one-time QR tokens with the shared codec (R-U4): a
 * per-user nonce, a rate limit, and the issued-token log (time, jti) kept
 * 28 days (R-I1). It also holds what the hot path must check — the hashes of
 * the user's live device credentials and whether a guardian's consent is
 * still needed (R-U2, R-U3) — so issuing a token never touches D1 (D1 keeps
 * the same facts for everything else; revocation writes here first).
 *
 * It also draws the user's safe number of the day (R-P1, safe-numbers.ts)
 * from today's key, claiming it in the SafeNumberLedger.
 *
 * Log entries are encrypted under the issuer's day key, so when DayKeyVault
 * destroys the key at the start of day + 29 (the day's last token 28 days
 * old, R-I1) the rows left in this object's point-in-time recovery are
 * unreadable; the alarm deletes them then too.
 */
import { DurableObject } from "cloudflare:workers";
import {
  DueWork,
  EXPIRE_DAY,
  HOUR,
  RetentionSchedule,
  SECOND,
  addDays,
  decryptField,
  encryptField,
  importPartyKey,
  kstDay,
  kstDayStart,
  migrateSchema,
  mintToken,
  safeNumberFromBytes,
  sealHandle,
  signingKeys,
  sqlTag,
  wipeObject,
  utf8,
  type MintedToken,
} from "@kipass/shared";
import { fromHex } from "../user-ref.js";
import { forgetTodaysKeys, logContext, todaysKeys, vaultOf } from "./day-key-vault.js";
import { safeNumberContext, safeNumberHash, safeNumberLedgerOf } from "./safe-numbers.js";

/** Rate limit (stated choice): at least 2 s between tokens, at most 60 per rolling hour. */
export const MIN_GAP_MS = 2 * SECOND;
export const MAX_PER_HOUR = 60;

export type MintResult = ({ ok: true } & MintedToken) | { ok: false; code: "rate_limited"; retryAfterMs: number };
type CredentialRefusal = { ok: false; code: "revoked_credential" | "guardian_consent_required" };
export type CredentialMintResult = MintResult | CredentialRefusal;
export type SafeNumberResult =
  | { ok: true; safeNumber: string; day: string; validUntil: number }
  | CredentialRefusal
  | { ok: false; code: "safe_number_unavailable" };

/** Candidates tried before giving up; with 20M codes live out of 70.56M, 16 all taken has odds ≈ 0.28¹⁶ ≈ 10⁻⁹. */
export const SAFE_NUMBER_TRIES = 16;

const MIGRATIONS = [
  `CREATE TABLE owner (user_ref TEXT NOT NULL, nonce INTEGER NOT NULL, last_mint_at INTEGER NOT NULL, minor_until INTEGER, guardian_at INTEGER);
   CREATE TABLE devices (id TEXT PRIMARY KEY, credential_hash TEXT NOT NULL UNIQUE, revoked_at INTEGER);
   CREATE TABLE issued (seq INTEGER PRIMARY KEY, day TEXT NOT NULL, at INTEGER NOT NULL, entry TEXT NOT NULL);
   CREATE INDEX issued_at ON issued (at);
   CREATE INDEX issued_day ON issued (day);`,
  // A day's rows are found by time (a day is a range of `at`): one index less to write per token.
  `DROP INDEX issued_day;`,
  // R-I1: last_mint_at is an issuance time, so it goes with its day's log (NULL: none kept). An object
  // whose last mint was already swept (no log row at or after it) loses it now, not at a sweep that will never come.
  `CREATE TABLE owner_v3 (user_ref TEXT NOT NULL, nonce INTEGER NOT NULL, last_mint_at INTEGER, minor_until INTEGER, guardian_at INTEGER);
   INSERT INTO owner_v3 (user_ref, nonce, last_mint_at, minor_until, guardian_at)
     SELECT user_ref, nonce, CASE WHEN EXISTS (SELECT 1 FROM issued WHERE at >= owner.last_mint_at) THEN last_mint_at END, minor_until, guardian_at FROM owner;
   DROP TABLE owner;
   ALTER TABLE owner_v3 RENAME TO owner;`,
];


/** last_mint_at: the last token's time, for the 2 s gap; NULL before the first token and once that day is past retention (R-I1). */
type Owner = { user_ref: string; nonce: number; last_mint_at: number | null };

export const userTokensOf = (env: Env, userRef: string) => env.USER_TOKENS.getByName(userRef);

export class UserTokens extends DurableObject<Env> {
  private readonly sql = sqlTag(this.ctx.storage.sql);
  private readonly due: DueWork;
  private readonly retention: RetentionSchedule;
  /** Today's safe number, in memory only (it can always be drawn again from the day key). */
  private todaysSafeNumber: { day: string; code: string } | null = null;
  /** Mint times of the last hour (the 60-per-hour cap), loaded on first use. */
  private recent: number[] | null = null;
  /** The time of a mint in flight (not yet written): the rate limit counts it. */
  private reservedAt: number | null = null;

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

  /** Enrolment: a new device credential (hash only) and the user's under-14 state. */
  register(userRef: string, device: { id: string; credentialHash: string }, minorUntil: number | null, guardianAt: number | null): void {
    this.owner(userRef);
    this.sql`UPDATE owner SET minor_until = ${minorUntil}, guardian_at = COALESCE(guardian_at, ${guardianAt})`;
    this.sql`INSERT INTO devices (id, credential_hash) VALUES (${device.id}, ${device.credentialHash})`;
  }

  /** R-U3: the guardian has consented; the child mints alone from now on. */
  guardianConsented(at: number): void {
    this.sql`UPDATE owner SET guardian_at = COALESCE(guardian_at, ${at})`;
  }

  /** Revokes one device at once; returns how many were live. */
  revokeDevice(deviceId: string, now: number): number {
    return this.sql`UPDATE devices SET revoked_at = ${now} WHERE id = ${deviceId} AND revoked_at IS NULL RETURNING id`.length;
  }

  /** "Log out of all devices". */
  revokeAllDevices(now: number): number {
    return this.sql`UPDATE devices SET revoked_at = ${now} WHERE revoked_at IS NULL RETURNING id`.length;
  }

  /** The token endpoint's one call: a live credential of this user, no guardian pending, then mint. */
  async mintWithCredential(credentialHash: string, now: number): Promise<CredentialMintResult> {
    // One read for everything the hot path checks.
    const owner = this.liveOwner(credentialHash, now);
    return "ok" in owner ? owner : this.mintAs(owner, now);
  }

  /**
   * R-P1, R-U6: the user's safe number of today (KST) — the first of their
   * candidates for the day that nobody else at this issuer holds.
   */
  async safeNumberWithCredential(credentialHash: string, now: number): Promise<SafeNumberResult> {
    const owner = this.liveOwner(credentialHash, now);
    if ("ok" in owner) return owner;
    const day = kstDay(now);
    const validUntil = kstDayStart(addDays(day, 1));
    if (this.todaysSafeNumber?.day === day) return { ok: true, safeNumber: this.todaysSafeNumber.code, day, validUntil };
    const keys = await todaysKeys(this.env, now);
    for (let attempt = 0; attempt < SAFE_NUMBER_TRIES; attempt++) {
      const code = safeNumberFromBytes(new Uint8Array(await crypto.subtle.sign("HMAC", keys.safe, utf8(`${owner.user_ref}:${attempt}`))));
      const codeHash = await safeNumberHash(this.env, day, code);
      const context = safeNumberContext(this.env.PARTY_ID, day, codeHash);
      const claim = await safeNumberLedgerOf(this.env, codeHash).claim(day, codeHash, await encryptField(keys.aes, owner.user_ref, context));
      if (claim.claimed || (await decryptField(keys.aes, claim.owner, context)) === owner.user_ref) {
        this.todaysSafeNumber = { day, code };
        return { ok: true, safeNumber: code, day, validUntil };
      }
    }
    return { ok: false, code: "safe_number_unavailable" };
  }

  /** The owner, if this credential is live and no guardian's consent is pending — one read. */
  private liveOwner(credentialHash: string, now: number): Owner | CredentialRefusal {
    const row = this.sql<Owner & { minor_until: number | null; guardian_at: number | null; live: number }>`
      SELECT user_ref, nonce, last_mint_at, minor_until, guardian_at,
             EXISTS (SELECT 1 FROM devices WHERE credential_hash = ${credentialHash} AND revoked_at IS NULL) AS live
      FROM owner`[0];
    if (!row || !row.live) return { ok: false, code: "revoked_credential" };
    if (row.minor_until !== null && row.minor_until > now && row.guardian_at === null) return { ok: false, code: "guardian_consent_required" };
    return row;
  }

  /** Mints a token for this user at `now`, or refuses under the rate limit. */
  mint(userRef: string, now: number): Promise<MintResult> {
    return this.mintAs(this.owner(userRef), now);
  }

  private async mintAs(owner: Owner, now: number): Promise<MintResult> {
    // Checks and the reservation are synchronous: concurrent requests cannot interleave here.
    const last = Math.max(owner.last_mint_at ?? 0, this.reservedAt ?? 0);
    if (now - last < MIN_GAP_MS) return { ok: false, code: "rate_limited", retryAfterMs: last + MIN_GAP_MS - now };
    const hour = this.lastHour(now);
    if (hour.length >= MAX_PER_HOUR) return { ok: false, code: "rate_limited", retryAfterMs: hour[0]! + HOUR - now };
    // The 2 s gap allows one mint in flight at a time; it is reserved in memory and
    // written with its log row in one go afterwards (one commit per token, none for a failure).
    this.reservedAt = now;
    try {
      const nonce = (owner.nonce + 1) >>> 0;
      const day = kstDay(now);
      const issuer = this.env.PARTY_ID;
      const key = (await todaysKeys(this.env, now)).aes;
      const sealed = await sealHandle(key, issuer, { userRef: fromHex(owner.user_ref), nonce });
      const ring = signingKeys(this.env.SIGNING_KEYS);
      const token = await mintToken({ issuer, kid: ring.current.kid, privateKey: await importPartyKey(ring.current, "private"), sealed, now });
      const logEntry = await encryptField(key, token.jti, logContext(issuer, day));
      this.sql`UPDATE owner SET nonce = ${nonce}, last_mint_at = ${now}`;
      this.sql`INSERT INTO issued (day, at, entry) VALUES (${day}, ${now}, ${logEntry})`;
      hour.push(now);
      // R-I1: the day's log is deleted at expiresAt(day), the start of day + 29 (its key is destroyed then too).
      await this.retention.ensure(day);
      return { ok: true, ...token };
    } catch (err) {
      this.reservedAt = null;
      throw err;
    }
  }

  /** Tokens issued in [from, to] (R-A1 step 1): jti and time, decrypted with the day keys still alive. */
  async issuedBetween(from: number, to: number, now: number): Promise<{ jti: string; issuedAt: number }[]> {
    const rows = this.sql<{ day: string; at: number; entry: string }>`
      SELECT day, at, entry FROM issued WHERE at >= ${from} AND at <= ${to} ORDER BY at`;
    if (rows.length === 0) return [];
    const jtis = await vaultOf(this.env).readLog(this.env.PARTY_ID, rows, now);
    return rows.flatMap((r, i) => (jtis[i] ? [{ jti: jtis[i], issuedAt: r.at }] : []));
  }

  /** Days that still have log rows (tests, audits). */
  logDays(): string[] {
    return this.sql<{ day: string }>`SELECT DISTINCT day FROM issued ORDER BY day`.map((r) => r.day);
  }

  /** Shutdown (R-O4): the token log, credentials, nonce and due work are deleted; nothing stays in memory. */
  async destroyRecords(): Promise<Record<string, number>> {
    const deleted = await wipeObject(this.ctx.storage);
    forgetTodaysKeys();
    this.recent = null;
    this.retention.forget();
    return deleted;
  }

  override async alarm(): Promise<void> {
    await this.sweep(Date.now());
  }

  /** R-I1: a day's log rows (and the last issuance time, if that day's) go at the start of day + 29. What the alarm runs; tests call it with a chosen `now`. */
  async sweep(now: number): Promise<void> {
    for (const item of this.due.due(now)) {
      if (item.kind === EXPIRE_DAY) {
        const end = kstDayStart(addDays(item.key, 1)); // days ≤ key
        this.sql`DELETE FROM issued WHERE at < ${end}`;
        // R-I1: the last issuance time goes with its day's log. The 2 s gap needs no time that old; the
        // nonce stays (it only counts tokens, and must never repeat for this user).
        this.sql`UPDATE owner SET last_mint_at = NULL WHERE last_mint_at < ${end}`;
        if (this.reservedAt !== null && this.reservedAt < end) this.reservedAt = null;
      }
      this.due.done(item.kind, item.key);
    }
    await this.due.arm();
  }

  /** The object's own user, stored on first use (ctx.id.name is not available on an alarm wake). */
  /** Times of this user's tokens in the last hour, oldest first: read once per wake, then kept in memory. */
  private lastHour(now: number): number[] {
    this.recent ??= this.sql<{ at: number }>`SELECT at FROM issued WHERE at > ${now - HOUR} ORDER BY at`.map((r) => r.at);
    while (this.recent.length > 0 && this.recent[0]! <= now - HOUR) this.recent.shift();
    return this.recent;
  }

  private owner(userRef: string): Owner {
    const row = this.sql<Owner>`SELECT user_ref, nonce, last_mint_at FROM owner`[0];
    if (row) {
      if (row.user_ref !== userRef) throw new Error("UserTokens called for another user");
      return row;
    }
    this.sql`INSERT INTO owner (user_ref, nonce, last_mint_at) VALUES (${userRef}, 0, NULL)`;
    return { user_ref: userRef, nonce: 0, last_mint_at: null };
  }
}
