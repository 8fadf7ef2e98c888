/**
 * Tamper-evident audit log of authority access (R-A3): every signed request a
 * party receives, accepted or refused, is one entry whose hash covers the
 * previous entry's hash. Editing, deleting or reordering any entry breaks the
 * chain at that point, which `verifyAuditChain` reports.
 *
 * Table (in each party's D1 migrations):
 *   authority_audit(seq INTEGER PRIMARY KEY, at, request_id, case_id,
 *                   investigator, purpose, method, path, outcome, prev_hash, hash)
 */
import { sha256, utf8 } from "./bytes.js";
import { isConstraintError, type SqlDatabase } from "./sql.js";

export const GENESIS_HASH = "0".repeat(64);

export interface AuditRecord {
  at: number;
  requestId: string | null;
  caseId: string | null;
  investigator: string | null;
  purpose: string | null;
  method: string;
  path: string;
  /** "accepted 200", or the refusal code ("replayed", "expired", …). */
  outcome: string;
}

export interface AuditEntry extends AuditRecord {
  seq: number;
  prevHash: string;
  hash: string;
}

export async function auditHash(seq: number, prevHash: string, r: AuditRecord): Promise<string> {
  const canonical = JSON.stringify([seq, prevHash, r.at, r.requestId, r.caseId, r.investigator, r.purpose, r.method, r.path, r.outcome]);
  return [...(await sha256(utf8(canonical)))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Checks an ordered log from seq 1: contiguous, linked, every hash recomputed. */
export async function verifyAuditChain(
  entries: readonly AuditEntry[],
): Promise<{ ok: true; length: number } | { ok: false; seq: number; reason: string }> {
  let prev = GENESIS_HASH;
  for (const [i, e] of entries.entries()) {
    if (e.seq !== i + 1) return { ok: false, seq: i + 1, reason: "entry missing" };
    if (e.prevHash !== prev) return { ok: false, seq: e.seq, reason: "chain broken" };
    if ((await auditHash(e.seq, e.prevHash, e)) !== e.hash) return { ok: false, seq: e.seq, reason: "entry altered" };
    prev = e.hash;
  }
  return { ok: true, length: entries.length };
}

interface AuditRow {
  seq: number;
  at: number;
  request_id: string | null;
  case_id: string | null;
  investigator: string | null;
  purpose: string | null;
  method: string;
  path: string;
  outcome: string;
  prev_hash: string;
  hash: string;
}

/** Appends queued per database within this isolate, so they never race each other. */
const appendQueues = new WeakMap<SqlDatabase, Promise<unknown>>();

export class AuditLog {
  constructor(private readonly db: SqlDatabase) {}

  /**
   * Appends one entry. Within an isolate appends are queued; across isolates
   * they race for the next seq (its primary key), and the loser re-reads the
   * chain head and retries after a jittered pause.
   */
  append(record: AuditRecord): Promise<AuditEntry> {
    const previous = appendQueues.get(this.db) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.appendNow(record));
    appendQueues.set(this.db, next);
    return next;
  }

  private async appendNow(record: AuditRecord): Promise<AuditEntry> {
    for (let attempt = 0; attempt < 10; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      const last = await this.db.prepare("SELECT seq, hash FROM authority_audit ORDER BY seq DESC LIMIT 1").first<{ seq: number; hash: string }>();
      const seq = (last?.seq ?? 0) + 1;
      const prevHash = last?.hash ?? GENESIS_HASH;
      const hash = await auditHash(seq, prevHash, record);
      try {
        await this.db
          .prepare(
            `INSERT INTO authority_audit (seq, at, request_id, case_id, investigator, purpose, method, path, outcome, prev_hash, hash)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .bind(seq, record.at, record.requestId, record.caseId, record.investigator, record.purpose, record.method, record.path, record.outcome, prevHash, hash)
          .run();
        return { ...record, seq, prevHash, hash };
      } catch (err) {
        if (!isConstraintError(err)) throw err;
      }
    }
    throw new Error("audit log is too contended to append");
  }

  async entries(fromSeq = 1, limit = 1000): Promise<AuditEntry[]> {
    const { results } = await this.db
      .prepare("SELECT * FROM authority_audit WHERE seq >= ? ORDER BY seq LIMIT ?")
      .bind(fromSeq, limit)
      .all<AuditRow>();
    return results.map((r) => ({
      seq: r.seq,
      at: r.at,
      requestId: r.request_id,
      caseId: r.case_id,
      investigator: r.investigator,
      purpose: r.purpose,
      method: r.method,
      path: r.path,
      outcome: r.outcome,
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
  }
}
