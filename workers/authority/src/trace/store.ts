/**
 * Traces at the authority: the query and result encrypted at rest (DATA_KEY),
 * kept TRACE_RETENTION after the trace last ran, then deleted on the next
 * trace (see docs/privacy.md for what D1 time travel means for that).
 */
import { AppError, DAY, aesKey, collectionEnded, decryptField, encryptField, memoize, newCredential } from "@kipass/shared";
import type { TraceQuery, TraceResult } from "./run.js";

export const TRACE_RETENTION = 28 * DAY;

const dataKey = memoize((text) => aesKey(text ?? ""));

/**
 * R-O4: part of every statement that writes or reads a trace, not a check
 * before it. A trace runs for seconds to minutes, and the shutdown deletes
 * traces MODE_CACHE_MS after it starts: a check made when the trace began
 * (or a cached mode) could let a trace be stored after the receipt.
 */
const NOT_SHUT_DOWN = "NOT EXISTS (SELECT 1 FROM operating_mode WHERE shut_down_at IS NOT NULL)";

export interface StoredTrace {
  id: string;
  caseId: string;
  kind: TraceQuery["kind"];
  query: TraceQuery;
  result: TraceResult;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

interface TraceRow {
  id: string;
  case_id: string;
  kind: TraceQuery["kind"];
  query_enc: string;
  result_enc: string;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export class Traces {
  constructor(private readonly env: Env) {}

  private key(): Promise<CryptoKey> {
    return dataKey(this.env.DATA_KEY);
  }

  async create(caseId: string, query: TraceQuery, result: TraceResult, by: string, now: number): Promise<StoredTrace> {
    await this.env.DB.prepare("DELETE FROM traces WHERE expires_at <= ?").bind(now).run();
    const id = `tr_${newCredential().slice(0, 16)}`;
    const key = await this.key();
    const { meta } = await this.env.DB.prepare(
      `INSERT INTO traces (id, case_id, kind, query_enc, status, failures, result_enc, created_by, created_at, updated_at, expires_at)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE ${NOT_SHUT_DOWN}`,
    )
      .bind(
        id,
        caseId,
        query.kind,
        await encryptField(key, JSON.stringify(query), `trace-query|${id}`),
        result.status,
        JSON.stringify(result.failures),
        await encryptField(key, JSON.stringify(result), `trace-result|${id}`),
        by,
        now,
        now,
        now + TRACE_RETENTION,
      )
      .run();
    if (meta.changes !== 1) throw collectionEnded();
    return { id, caseId, kind: query.kind, query, result, createdBy: by, createdAt: now, updatedAt: now };
  }

  async update(trace: StoredTrace, result: TraceResult, now: number): Promise<StoredTrace> {
    const { meta } = await this.env.DB.prepare(`UPDATE traces SET status = ?, failures = ?, result_enc = ?, updated_at = ?, expires_at = ? WHERE id = ? AND ${NOT_SHUT_DOWN}`)
      .bind(
        result.status,
        JSON.stringify(result.failures),
        await encryptField(await this.key(), JSON.stringify(result), `trace-result|${trace.id}`),
        now,
        now + TRACE_RETENTION,
        trace.id,
      )
      .run();
    if (meta.changes !== 1) throw await this.missing(trace.id);
    return { ...trace, result, updatedAt: now };
  }

  async get(id: string, now: number): Promise<StoredTrace> {
    const row = await this.env.DB.prepare(`SELECT * FROM traces WHERE id = ? AND expires_at > ? AND ${NOT_SHUT_DOWN}`).bind(id, now).first<TraceRow>();
    if (!row) throw await this.missing(id);
    const key = await this.key();
    const query = await decryptField(key, row.query_enc, `trace-query|${id}`);
    const result = await decryptField(key, row.result_enc, `trace-result|${id}`);
    if (query === null || result === null) throw new AppError(500, "trace_unreadable", "trace cannot be decrypted");
    return {
      id,
      caseId: row.case_id,
      kind: row.kind,
      query: JSON.parse(query) as TraceQuery,
      result: JSON.parse(result) as TraceResult,
      createdBy: row.created_by,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /** Why a trace is not there: the shutdown (410, as for new traces), or it never was or has expired (404). */
  private async missing(id: string): Promise<AppError> {
    const shutDown = await this.env.DB.prepare("SELECT 1 AS x FROM operating_mode WHERE shut_down_at IS NOT NULL").first();
    return shutDown ? collectionEnded() : new AppError(404, "trace_not_found", `no trace "${id}"`);
  }
}
