/**
 * Facility: one object per facility (architecture.md). It holds the
 * facility's status, its live device sessions (R-F5: removing a staff
 * account revokes them here at once), its visits and hourly counts, and
 * the 28-day sweep. Hot path step 4 runs here, after the worker's claim in
 * the TokenLedger (scan.ts): once the device and the facility pass, the
 * visit is recorded — time, device, the token encrypted again under the day
 * key (R-R1 double encryption), a keyed hash of its id — and the hourly
 * counter bumped (R-R4). Idempotent by token hash.
 */
import { DurableObject } from "cloudflare:workers";
import { DueWork, RetentionSchedule, addDays, decryptField, encryptField, kstDay, kstDayStart, kstHour, migrateSchema, sqlTag, wipeObject } from "@kipass/shared";
import type { RegistryBindings } from "../config.js";
import { DayKeyCache, firstOfEachDay } from "./day-key-cache.js";
import { deleteDayChunk, sweepDue, type SweepResult } from "./retention.js";
import { vaultShard } from "./shards.js";

const MIGRATIONS = [
  `CREATE TABLE facility (
     id TEXT PRIMARY KEY,
     status TEXT NOT NULL,
     valid_from INTEGER,
     valid_until INTEGER
   );
   CREATE TABLE devices (
     session_hash TEXT PRIMARY KEY,
     account_id TEXT NOT NULL,
     expires_at INTEGER NOT NULL,
     revoked_at INTEGER
   );
   CREATE INDEX devices_account ON devices (account_id);
   CREATE TABLE visits (
     token_hash TEXT PRIMARY KEY,
     day TEXT NOT NULL,
     at INTEGER NOT NULL,
     device TEXT NOT NULL,
     token TEXT NOT NULL -- the QR as scanned, encrypted under the day key
   );
   CREATE INDEX visits_day ON visits (day, at);
   CREATE TABLE hourly (
     day TEXT NOT NULL,
     hour INTEGER NOT NULL,
     visits INTEGER NOT NULL,
     PRIMARY KEY (day, hour)
   );`,
  // The directory's config_version of the status held here: an older push is ignored.
  `ALTER TABLE facility ADD COLUMN version INTEGER NOT NULL DEFAULT 0;`,
];

export type FacilityStatus = "active" | "pending" | "suspended" | "rejected";

export interface FacilityConfig {
  facilityId: string;
  status: FacilityStatus;
  /** Events (R-F9): scans only within [validFrom, validUntil). */
  validFrom: number | null;
  validUntil: number | null;
  /** D1's facilities.config_version when this was read: it only grows, so the newest wins whatever order pushes arrive in. */
  version: number;
}

export type ScanRefusal =
  | "facility_unknown"
  | "facility_pending"
  | "facility_suspended"
  | "facility_rejected"
  | "event_not_active"
  | "session_invalid"
  | "device_revoked"
  | "day_closed";

export type ScanOutcome = { ok: true; repeat: boolean; at: number } | { ok: false; code: ScanRefusal };

export interface ScanInput {
  sessionHash: string;
  tokenHash: string;
  qr: string;
  now: number;
}

/** A login that may scan here (R-F5). */
/** A session the directory has revoked; its row stays until it would have expired. */
export interface RevokedSession {
  hash: string;
  accountId: string;
  expiresAt: number;
}

interface DeviceSession {
  accountId: string;
  expiresAt: number;
  revokedAt: number | null;
}

export interface VisitOfToken {
  tokenHash: string;
  at: number;
  device: string;
}

export interface TokensPage {
  /** Where the last page stopped: the rowid of its last row (rows are numbered in the order recorded). */
  after: number | null;
  limit: number;
}

interface SealedVisit {
  tokenHash: string;
  day: string;
  at: number;
  device: string;
  /** The QR as scanned, encrypted under the day key. */
  token: string;
}

const visitContext = (facilityId: string, tokenHash: string) => `visit|${facilityId}|${tokenHash}`;

export class Facility extends DurableObject<RegistryBindings> {
  private readonly sql = sqlTag(this.ctx.storage.sql);
  private readonly due: DueWork;
  private readonly retention: RetentionSchedule;
  private readonly keys: DayKeyCache;
  /**
   * What a scan checks, kept in memory: every change to it comes through this
   * object, so the copy cannot go stale, and the hot path reads no row before
   * its write. `undefined`: not read since this wake.
   */
  private facility: FacilityConfig | null | undefined;
  /** Device sessions added or read since this wake (a session with no row is not kept). */
  private readonly devices = new Map<string, DeviceSession>();

  constructor(ctx: DurableObjectState, env: RegistryBindings) {
    super(ctx, env);
    migrateSchema(ctx.storage, MIGRATIONS);
    this.due = new DueWork(ctx.storage);
    this.retention = new RetentionSchedule(this.due);
    this.keys = new DayKeyCache(env, () => {
      const id = this.config()?.facilityId;
      return id === undefined ? null : vaultShard(`facility:${id}`);
    });
    // Alarms can be lost across a restart: re-arm on every wake.
    ctx.blockConcurrencyWhile(async () => {
      await this.due.arm();
    });
  }

  /** The facility's own id and status, kept in its storage (ctx.id.name is missing on an alarm wake). */
  private config(): FacilityConfig | null {
    if (this.facility === undefined) {
      const row = this.sql<{ id: string; status: string; valid_from: number | null; valid_until: number | null; version: number }>`SELECT * FROM facility`[0];
      this.facility = row
        ? { facilityId: row.id, status: row.status as FacilityStatus, validFrom: row.valid_from, validUntil: row.valid_until, version: row.version }
        : null;
    }
    return this.facility;
  }

  /**
   * Sets the status from the directory (registration, approval, report,
   * review). A config older than the one held is a push that arrived late: it
   * is ignored, so it cannot undo a later change.
   */
  configure(config: FacilityConfig): void {
    const current = this.config();
    if (current && current.facilityId !== config.facilityId) throw new Error("facility object bound to another id");
    if (current && config.version < current.version) return;
    this.sql`INSERT INTO facility (id, status, valid_from, valid_until, version) VALUES (${config.facilityId}, ${config.status}, ${config.validFrom}, ${config.validUntil}, ${config.version})
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, valid_from = excluded.valid_from, valid_until = excluded.valid_until, version = excluded.version`;
    this.facility = config;
  }

  /**
   * The directory's view (directory/objects.ts syncFacility): status and
   * period, unless older than the one held, and the sessions it has revoked,
   * always (they only add).
   */
  reconcile(config: FacilityConfig, revokedSessions: RevokedSession[], now: number): void {
    this.configure(config);
    for (const session of revokedSessions) this.revokeSession(session, now);
  }

  /** A device session, from memory or its row. */
  private device(sessionHash: string): DeviceSession | null {
    const known = this.devices.get(sessionHash);
    if (known) return known;
    const row = this.sql<{ account_id: string; expires_at: number; revoked_at: number | null }>`SELECT account_id, expires_at, revoked_at FROM devices WHERE session_hash = ${sessionHash}`[0];
    if (!row) return null;
    const device = { accountId: row.account_id, expiresAt: row.expires_at, revokedAt: row.revoked_at };
    this.devices.set(sessionHash, device);
    return device;
  }

  /**
   * A staff or owner login that may scan here. Never over a row already there: a
   * login racing its account's removal can arrive after the revocation (R-F5).
   */
  addDevice(input: { sessionHash: string; accountId: string; expiresAt: number }): void {
    this.sql`INSERT INTO devices (session_hash, account_id, expires_at, revoked_at) VALUES (${input.sessionHash}, ${input.accountId}, ${input.expiresAt}, NULL)
      ON CONFLICT (session_hash) DO NOTHING`;
    this.devices.delete(input.sessionHash); // read back from the row: it may be a revocation that came first
  }

  /** R-F5: a revoked session (logout, removed staff account) is refused from the next scan on, even if its login reaches this object later. */
  revokeSession(session: RevokedSession, now: number): void {
    this.sql`INSERT INTO devices (session_hash, account_id, expires_at, revoked_at) VALUES (${session.hash}, ${session.accountId}, ${session.expiresAt}, ${now})
      ON CONFLICT (session_hash) DO UPDATE SET revoked_at = COALESCE(revoked_at, excluded.revoked_at)`;
    const device = this.devices.get(session.hash);
    if (device) device.revokedAt ??= now;
  }

  /** Hot path step 4, for a token the worker has claimed for this facility. Refusals store nothing. */
  async scan(input: ScanInput): Promise<ScanOutcome> {
    // Status and device from memory: the hot path's only statements are its writes.
    const facility = this.config();
    if (!facility) return { ok: false, code: "facility_unknown" };
    // The device before the status: a made-up session for a real facility id learns nothing of it.
    const device = this.device(input.sessionHash);
    if (!device) return { ok: false, code: "session_invalid" };
    if (device.revokedAt !== null) return { ok: false, code: "device_revoked" };
    if (device.expiresAt <= input.now) return { ok: false, code: "session_invalid" };
    if (facility.status !== "active") return { ok: false, code: `facility_${facility.status}` };
    if ((facility.validFrom !== null && input.now < facility.validFrom) || (facility.validUntil !== null && input.now >= facility.validUntil)) {
      return { ok: false, code: "event_not_active" };
    }

    // A re-scan here passed the ledger (same facility): `write` records it as a repeat.
    const key = await this.keys.get(kstDay(input.now), input.now);
    if (!key) return { ok: false, code: "day_closed" };
    const visit = await this.seal(facility.facilityId, key, { tokenHash: input.tokenHash, qr: input.qr, at: input.now, device: device.accountId });
    const outcome = this.write(visit);
    if (!outcome.repeat) await this.retention.ensure(visit.day);
    return outcome;
  }

  /** A claimed token's visit, the QR encrypted again under its day key (R-R1). */
  private async seal(facilityId: string, key: CryptoKey, v: { tokenHash: string; qr: string; at: number; device: string }): Promise<SealedVisit> {
    return { tokenHash: v.tokenHash, day: kstDay(v.at), at: v.at, device: v.device, token: await encryptField(key, v.qr, visitContext(facilityId, v.tokenHash)) };
  }

  /**
   * Records a sealed visit and counts it in its hour. Concurrent scans of one
   * token all pass the ledger (same facility): the first write wins, the rest
   * are repeats. Synchronous, so the check and the write are atomic.
   */
  private write(v: SealedVisit): { ok: true; repeat: boolean; at: number } {
    const recorded = this.sql`INSERT INTO visits (token_hash, day, at, device, token) VALUES (${v.tokenHash}, ${v.day}, ${v.at}, ${v.device}, ${v.token})
      ON CONFLICT (token_hash) DO NOTHING RETURNING 1`;
    if (recorded.length === 0) return { ok: true, repeat: true, at: this.sql<{ at: number }>`SELECT at FROM visits WHERE token_hash = ${v.tokenHash}`[0]!.at };
    this.sql`INSERT INTO hourly (day, hour, visits) VALUES (${v.day}, ${kstHour(v.at)}, 1)
      ON CONFLICT (day, hour) DO UPDATE SET visits = visits + 1`;
    return { ok: true, repeat: false, at: v.at };
  }

  /**
   * Benchmark seeding only (routes/bench-seed.ts, DEV_MODE): visits whose
   * tokens the ledger has already claimed for this facility, sealed and
   * written by the same code as a scan, so the tables and indexes are what
   * scans build — written together rather than one commit per visit.
   */
  async seedVisits(facilityId: string, visits: { tokenHash: string; qr: string; at: number; device: string }[]): Promise<number> {
    if (!this.config()) this.configure({ facilityId, status: "active", validFrom: null, validUntil: null, version: 0 });
    // As scans at those moments would: each day's key is made on its day.
    const sorted = [...visits].sort((a, b) => a.at - b.at);
    await this.keys.prefetch(firstOfEachDay(sorted));
    const sealed = await Promise.all(
      sorted.map(async (v) => {
        const key = await this.keys.get(kstDay(v.at), v.at);
        return key ? this.seal(facilityId, key, v) : null;
      }),
    );
    let recorded = 0;
    for (const v of sealed) if (v && !this.write(v).repeat) recorded++;
    for (const day of new Set(sealed.map((v) => v?.day))) if (day) await this.retention.ensure(day);
    // A scan keeps today's key; seeding touched up to 28 days — hold no more than a scan would.
    this.keys.forgetAll();
    return recorded;
  }

  /** R-F8/R-R4: visitors per KST hour of `day` — counts only, never rows. */
  hourlyCounts(day: string): number[] {
    const hours = new Array<number>(24).fill(0);
    for (const r of this.sql<{ hour: number; visits: number }>`SELECT hour, visits FROM hourly WHERE day = ${day}`) hours[r.hour] = r.visits;
    return hours;
  }

  /** Totals per day in [from, to] (inclusive KST days). */
  dailyTotals(from: string, to: string): { day: string; visits: number }[] {
    return this.sql<{ day: string; visits: number }>`SELECT day, SUM(visits) AS visits FROM hourly WHERE day >= ${from} AND day <= ${to} GROUP BY day ORDER BY day`;
  }

  /** Authority (tracing step 2): time and device of these tokens' visits here. */
  visitsOf(tokenHashes: string[]): VisitOfToken[] {
    const out: VisitOfToken[] = [];
    for (const tokenHash of tokenHashes) {
      const row = this.sql<{ at: number; device: string }>`SELECT at, device FROM visits WHERE token_hash = ${tokenHash}`[0];
      if (row) out.push({ tokenHash, at: row.at, device: row.device });
    }
    return out;
  }

  /**
   * Authority (tracing step 4): one page of the tokens as scanned here in
   * [from, to), in the order they were recorded, decrypted with their day
   * keys. `next` resumes after the page's last rowid, so a window of any size
   * comes back whole, page by page. Not scan-time order: a scan is timed by
   * the worker before its ledger claim, so it can be recorded after a page
   * that reached past its time was read; its rowid is still after that page.
   * (Retention deletes the oldest days, never the newest rowid, so rowids are
   * not reused while a trace pages.)
   */
  async tokensBetween(from: number, to: number, now: number, page: TokensPage): Promise<{ tokens: { qr: string; at: number }[]; next: number | null }> {
    const config = this.config();
    if (!config) return { tokens: [], next: null };
    // The window through its (day, at) index: a page reads the window, never the facility's other days.
    const rows = this.sql<{ seq: number; token_hash: string; day: string; at: number; token: string }>`
      SELECT rowid AS seq, token_hash, day, at, token FROM visits INDEXED BY visits_day
      WHERE day >= ${kstDay(from)} AND day <= ${kstDay(to)} AND at >= ${from} AND at < ${to} AND rowid > ${page.after ?? 0}
      ORDER BY rowid LIMIT ${page.limit}`;
    const tokens: { qr: string; at: number }[] = [];
    for (const r of rows) {
      const key = await this.keys.get(r.day, now);
      const qr = key ? await decryptField(key, r.token, visitContext(config.facilityId, r.token_hash)) : null;
      if (qr) tokens.push({ qr, at: r.at });
    }
    const last = rows.at(-1);
    return { tokens, next: rows.length === page.limit && last ? last.seq : null };
  }

  /** Retention sweep (R-R2): what the alarm runs; tests call it with a chosen `now`. */
  async sweep(now: number): Promise<SweepResult> {
    const result = await sweepDue(
      this.due,
      now,
      (day, limit) => deleteDayChunk(this.ctx.storage.sql, "visits", day, limit),
      (day) => {
        this.sql`DELETE FROM hourly WHERE day = ${day}`;
        this.retention.forget(day);
      },
    );
    this.sql`DELETE FROM devices WHERE expires_at <= ${now - 1}`;
    for (const [hash, device] of this.devices) if (device.expiresAt <= now - 1) this.devices.delete(hash);
    if (this.config()) await this.keys.expire(now);
    return result;
  }

  /** Shutdown (R-O4): every row here (visits, counts, devices, due work) is deleted; rows written before are unreadable once the vaults are destroyed. */
  async destroyRecords(): Promise<Record<string, number>> {
    // Forgotten before the rows go, so no scan meanwhile passes on a copy.
    this.facility = undefined;
    this.devices.clear();
    const deleted = await wipeObject(this.ctx.storage);
    this.keys.forgetAll();
    this.retention.forget();
    return deleted;
  }

  override async alarm(): Promise<void> {
    await this.sweep(Date.now());
  }
}

/** The KST day range [from, to] as moments, for event validity (R-F9). */
export const eventWindow = (from: string, to: string) => ({ validFrom: kstDayStart(from), validUntil: kstDayStart(addDays(to, 1)) });
