/**
 * Operations (R-O3, R-O4), the same at every party that holds records:
 *
 * - Operating mode. Collection (registry scans, issuer tokens) runs only
 *   while the infectious-disease alert level is 경계 or 심각 (R-O3). The
 *   party's operator sets the level; at 관심/주의 collection is refused with
 *   `collection_suspended` (403), while the authority API keeps answering
 *   from data already held until it expires. A fresh deployment starts at
 *   경계: it is deployed because the alert was raised, and the operator sets
 *   the real level after deploying. After shutdown the mode is terminal:
 *   `collection_ended` (410).
 *   The level lives in D1 (`operating_mode`) and is cached in isolate memory
 *   for MODE_CACHE_MS, so the scan and token paths pay no D1 query per
 *   request; a change reaches every isolate within MODE_CACHE_MS (at once in
 *   the isolate that made it).
 * - Every change is appended to the party's audit chain (the hash-chained
 *   `authority_audit` log, investigator "operator"), next to authority access.
 * - Shutdown (the legal basis ended on 2022-02-19): one operator command
 *   sets the terminal mode, waits MODE_CACHE_MS for every isolate to see it,
 *   destroys every record and day key in chunks (POST again until `done`),
 *   then answers a destruction receipt signed with the party's key
 *   (receipt.ts). Each party names its phases; this file runs them.
 *
 * Operator auth: `Authorization: Bearer <OPERATOR_TOKEN>` (a secret per party).
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Env as HonoEnv, MiddlewareHandler } from "hono";
import { AuditLog } from "./audit.js";
import { equalBytes, sha256, utf8 } from "./bytes.js";
import { AppError } from "./errors.js";
import { errorResponses, type AppVariables } from "./http.js";
import type { KeyRing } from "./keys.js";
import type { PartyIdentity } from "./party.js";
import { destructionReceiptSchema, receiptFileSchema, signReceipt, type ReceiptFile } from "./receipt.js";
import type { SqlBatchDatabase, SqlDatabase } from "./sql.js";

/** The four levels of Korea's infectious-disease crisis alert, lowest first (blue, yellow, orange, red). */
export const ALERT_LEVELS = ["관심", "주의", "경계", "심각"] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];

/** R-O3: collection runs only at these levels. */
export const COLLECTING_LEVELS: readonly AlertLevel[] = ["경계", "심각"];
export const DEFAULT_ALERT_LEVEL: AlertLevel = "경계";

/** How long an isolate trusts its cached mode: the most a level change takes to reach every isolate. */
export const MODE_CACHE_MS = 10_000;
/** How long one shutdown call holds the next chunk: far longer than a chunk of a few dozen object calls or one D1 delete takes. */
export const SHUTDOWN_LEASE_MS = 60_000;

export interface OperatingMode {
  level: AlertLevel;
  collecting: boolean;
  changedAt: number | null;
  shutDownAt: number | null;
}

interface ModeRow {
  level: AlertLevel;
  changed_at: number | null;
  shut_down_at: number | null;
}

const toMode = (row: ModeRow | null): OperatingMode => {
  const level = row?.level ?? DEFAULT_ALERT_LEVEL;
  const shutDownAt = row?.shut_down_at ?? null;
  return { level, collecting: shutDownAt === null && COLLECTING_LEVELS.includes(level), changedAt: row?.changed_at ?? null, shutDownAt };
};

const readMode = async (db: SqlDatabase): Promise<OperatingMode> =>
  toMode(await db.prepare("SELECT level, changed_at, shut_down_at FROM operating_mode WHERE id = 1").first<ModeRow>());

/** From this age on, one request reads the mode again while the others keep the held answer. */
export const MODE_REFRESH_AFTER_MS = MODE_CACHE_MS - 3_000;

/**
 * One slot per isolate (one party per isolate): env objects are rebuilt per
 * request, so keying by binding would miss every time. Real time, not the
 * request clock: this is about propagation between isolates.
 *
 * An answer is used for MODE_CACHE_MS from the moment its read began. From
 * MODE_REFRESH_AFTER_MS on, the first request reads again and waits for it;
 * the others keep the held answer meanwhile. Had they all waited, every
 * MODE_CACHE_MS a busy isolate's scans would queue behind one D1 read (in
 * production that read can cross a region).
 */
let held: { mode: Promise<OperatingMode>; readAt: number } | null = null;
let reading: { mode: Promise<OperatingMode>; startedAt: number } | null = null;

export function operatingMode(db: SqlDatabase): Promise<OperatingMode> {
  const t = Date.now();
  if (held) {
    const age = t - held.readAt;
    if (age < MODE_REFRESH_AFTER_MS || (age < MODE_CACHE_MS && reading)) return held.mode;
  }
  // A read that has not answered within MODE_CACHE_MS (its request was cancelled) is given up.
  if (reading && t - reading.startedAt < MODE_CACHE_MS) return reading.mode;
  const slot = { mode: readMode(db), startedAt: t };
  reading = slot;
  slot.mode.then(
    () => {
      if (reading !== slot) return; // forgotten meanwhile (a level change): its answer may be older
      held = { mode: slot.mode, readAt: t };
      reading = null;
    },
    () => {
      if (reading === slot) reading = null;
    },
  );
  return slot.mode;
}

/** This isolate changed the mode: the next request reads it. */
function forgetMode(): void {
  held = null;
  reading = null;
}

export const collectionEnded = () =>
  new AppError(410, "collection_ended", "전자출입명부 운영이 종료되어 기록을 받지 않습니다 / KI-Pass has been shut down: no records are collected");

/** After shutdown nothing personal is taken in at all (issuer enrolments too); before it, at any level, this passes. */
export async function assertNotShutDown(db: SqlDatabase): Promise<void> {
  if ((await operatingMode(db)).shutDownAt !== null) throw collectionEnded();
}

/** The gate on the scan and token paths (R-O3): cached, so no D1 query per request. */
export async function assertCollecting(db: SqlDatabase): Promise<void> {
  const mode = await operatingMode(db);
  if (mode.collecting) return;
  if (mode.shutDownAt !== null) throw collectionEnded();
  throw new AppError(
    403,
    "collection_suspended",
    `감염병 위기경보 '${mode.level}' 단계에서는 출입명부를 수집하지 않습니다 (경계·심각 단계에서만 운영) / Entry logging is suspended at alert level ${mode.level}: it runs only at 경계 (orange) or 심각 (red)`,
  );
}

// ---------------------------------------------------------------- routes

export interface OperationsBindings {
  DB: SqlBatchDatabase;
  OPERATOR_TOKEN?: string;
}

/** One chunk of a shutdown phase: what it destroyed and where the next chunk starts (null: phase done). */
export interface ShutdownChunk {
  destroyed: Record<string, number>;
  keyIds: string[];
  next: string | null;
  /**
   * Rows of a D1 table to delete: counted and deleted in the transaction that
   * records the progress, so a call that dies between them loses no count.
   */
  d1Rows?: { table: string; uptoRowid: number };
}

/**
 * A D1 table's next chunk: its first `rows` rows (deleted with the progress,
 * see d1Rows), then `again` to come back for more; once it is empty, `then`.
 * Counted as `d1.<table>`, so an empty table is in the receipt as 0.
 */
export async function d1TableChunk(db: SqlDatabase, table: string, rows: number, cursors: { again: string; then: string | null }): Promise<ShutdownChunk> {
  const last = await db.prepare(`SELECT MAX(rowid) AS upto FROM (SELECT rowid FROM ${table} ORDER BY rowid LIMIT ?)`).bind(rows).first<{ upto: number | null }>();
  if (last?.upto == null) return { destroyed: { [`d1.${table}`]: 0 }, keyIds: [], next: cursors.then };
  return { destroyed: {}, keyIds: [], next: cursors.again, d1Rows: { table, uptoRowid: last.upto } };
}

/** Adds counts into a tally. */
export function addCounts(into: Record<string, number>, more: Record<string, number>): void {
  for (const [what, n] of Object.entries(more)) into[what] = (into[what] ?? 0) + n;
}

/** Shards [cursor, cursor + chunk) of a fixed count of sharded objects, destroyed together. */
export async function shardChunk(count: number, chunk: number, cursor: string | null, destroy: (shard: number) => Promise<ShutdownChunk>): Promise<ShutdownChunk> {
  const from = Number(cursor ?? 0);
  const to = Math.min(count, from + chunk);
  const out: ShutdownChunk = { destroyed: {}, keyIds: [], next: to < count ? String(to) : null };
  for (const part of await Promise.all(Array.from({ length: to - from }, (_, i) => destroy(from + i)))) {
    addCounts(out.destroyed, part.destroyed);
    out.keyIds.push(...part.keyIds);
  }
  return out;
}

export interface ShutdownPhase<B> {
  name: string;
  /** Destroys one bounded chunk (a few dozen object calls at most: one invocation's subrequest budget). */
  run: (env: B, cursor: string | null, now: number) => Promise<ShutdownChunk>;
}

export interface Operations<B> {
  identity: (env: B) => PartyIdentity;
  signingKeys: (env: B) => KeyRing;
  /** Parties that collect (issuers, registry) have an alert level; the authority only shuts down. */
  alertLevel: boolean;
  shutdown: ShutdownPhase<B>[];
}

const modeOut = z
  .object({
    level: z.enum(ALERT_LEVELS),
    collecting: z.boolean(),
    changedAt: z.number().int().nullable(),
    shutDownAt: z.number().int().nullable(),
  })
  .openapi("OperatingMode");

const modeRoute = createRoute({
  method: "get",
  path: "/operations/v1/mode",
  summary: "The alert level this party runs at and whether it collects (R-O3)",
  responses: { 200: { description: "Mode", content: { "application/json": { schema: modeOut } } } },
});

const levelRoute = createRoute({
  method: "put",
  path: "/operations/v1/alert-level",
  summary: "Operator: set the infectious-disease alert level (Authorization: Bearer OPERATOR_TOKEN); audited",
  request: { body: { content: { "application/json": { schema: z.object({ level: z.enum(ALERT_LEVELS) }).strict() } }, required: true } },
  responses: { 200: { description: "Mode after the change", content: { "application/json": { schema: modeOut } } }, ...errorResponses(400, 401, 410) },
});

/** Typed deliberately: a shutdown is never started by accident. */
export const SHUTDOWN_CONFIRMATION = "destroy all records";

const shutdownOut = z
  .object({
    done: z.boolean(),
    phase: z.string().nullable(),
    destroyed: z.record(z.string(), z.number().int()),
    /** Call again after this long: collection is still stopping in other isolates. */
    waitMs: z.number().int().optional(),
    receipt: receiptFileSchema.optional(),
  })
  .openapi("ShutdownProgress");

const shutdownRoute = createRoute({
  method: "post",
  path: "/operations/v1/shutdown",
  summary: "Operator: stop collecting for good and destroy every record and day key, one chunk per call; POST again until done (R-O4)",
  request: { body: { content: { "application/json": { schema: z.object({ confirm: z.literal(SHUTDOWN_CONFIRMATION) }).strict() } }, required: true } },
  responses: { 200: { description: "Progress; the signed destruction receipt once done", content: { "application/json": { schema: shutdownOut } } }, ...errorResponses(400, 401) },
});

const receiptRoute = createRoute({
  method: "get",
  path: "/operations/v1/shutdown/receipt",
  summary: "The signed destruction receipt, once shutdown is complete (verify with npm run verify-receipt)",
  responses: { 200: { description: "Receipt", content: { "application/json": { schema: receiptFileSchema } } }, ...errorResponses(404) },
});

/** Constant-time check of the operator token (both sides hashed, so lengths do not leak either). */
export function requireOperator<E extends HonoEnv & { Bindings: OperationsBindings }>(): MiddlewareHandler<E> {
  return async (c, next) => {
    const m = /^Bearer (\S{1,200})$/.exec(c.req.header("authorization") ?? "");
    const expected = c.env.OPERATOR_TOKEN;
    const ok = !!m && !!expected && equalBytes(await sha256(utf8(m[1]!)), await sha256(utf8(expected)));
    if (!ok) throw new AppError(401, "not_operator", "운영자 인증이 필요합니다 / Operator token required");
    await next();
  };
}

const audit = (db: SqlDatabase, at: number, method: string, path: string, purpose: string, outcome: string) =>
  new AuditLog(db).append({ at, requestId: null, caseId: null, investigator: "operator", purpose, method, path, outcome });

interface ProgressRow {
  started_at: number;
  phase: number;
  cursor: string | null;
  destroyed: string;
  key_ids: string;
  receipt: string | null;
}

export function mountOperations<E extends HonoEnv & { Bindings: OperationsBindings; Variables: AppVariables }>(
  app: OpenAPIHono<E>,
  ops: Operations<E["Bindings"]>,
): void {
  const operator = requireOperator<E>();
  app.use(levelRoute.path, operator);
  app.use(shutdownRoute.path, operator);

  app.openapi(modeRoute, async (c) => c.json(await readMode(c.env.DB), 200));

  if (ops.alertLevel) {
    app.openapi(levelRoute, async (c) => {
      const { level } = c.req.valid("json");
      const now = c.var.clock.now();
      const before = await readMode(c.env.DB);
      if (before.shutDownAt !== null) throw collectionEnded();
      await c.env.DB.prepare(
        "INSERT INTO operating_mode (id, level, changed_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET level = excluded.level, changed_at = excluded.changed_at",
      )
        .bind(level, now)
        .run();
      forgetMode();
      await audit(c.env.DB, now, "PUT", levelRoute.path, "R-O3 alert level", `${before.level} → ${level}`);
      return c.json(await operatingMode(c.env.DB), 200);
    });
  }

  app.openapi(receiptRoute, async (c) => {
    const row = await c.env.DB.prepare("SELECT receipt FROM shutdown_progress WHERE id = 1").first<{ receipt: string | null }>();
    if (!row?.receipt) throw new AppError(404, "no_receipt", "종료 절차가 끝나지 않았습니다 / Shutdown has not completed");
    return c.json(JSON.parse(row.receipt) as ReceiptFile, 200);
  });

  app.openapi(shutdownRoute, async (c) => {
    const db = c.env.DB;
    const now = c.var.clock.now();
    let row = await db.prepare("SELECT * FROM shutdown_progress WHERE id = 1").first<ProgressRow>();
    if (!row) {
      // Terminal mode first: collection stops (within MODE_CACHE_MS everywhere) before anything is destroyed.
      await db.prepare("INSERT OR IGNORE INTO shutdown_progress (id, started_at, phase, cursor, destroyed, key_ids) VALUES (1, ?, 0, NULL, '{}', '[]')").bind(now).run();
      await db
        .prepare(
          "INSERT INTO operating_mode (id, level, changed_at, shut_down_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET shut_down_at = COALESCE(shut_down_at, excluded.shut_down_at)",
        )
        .bind(DEFAULT_ALERT_LEVEL, now, now)
        .run();
      forgetMode();
      await audit(db, now, "POST", shutdownRoute.path, "R-O4 shutdown", "started");
      row = (await db.prepare("SELECT * FROM shutdown_progress WHERE id = 1").first<ProgressRow>())!;
    }
    const destroyed = JSON.parse(row.destroyed) as Record<string, number>;
    if (row.receipt) return c.json({ done: true, phase: null, destroyed, receipt: JSON.parse(row.receipt) as ReceiptFile }, 200);
    // Nothing is destroyed until every isolate has dropped its cached mode, so no
    // scan or token accepted on a stale "collecting" can land after its object was emptied.
    const settling = row.started_at + MODE_CACHE_MS - now;
    if (settling > 0) return c.json({ done: false, phase: ops.shutdown[0]?.name ?? null, destroyed, waitMs: settling }, 200);

    // One call runs a chunk at a time: two at once would delete different D1 rows and only one tally would be saved.
    // The lease's end is this call's own mark: a later call's lease ends later.
    const leaseUntil = now + SHUTDOWN_LEASE_MS;
    const lease = await db
      .prepare("UPDATE shutdown_progress SET lease_until = ? WHERE id = 1 AND phase = ? AND cursor IS ? AND (lease_until IS NULL OR lease_until <= ?)")
      .bind(leaseUntil, row.phase, row.cursor, now)
      .run();
    if (lease.meta.changes !== 1) {
      const busy = await db.prepare("SELECT lease_until FROM shutdown_progress WHERE id = 1").first<{ lease_until: number | null }>();
      return c.json({ done: false, phase: ops.shutdown[row.phase]?.name ?? null, destroyed, waitMs: Math.max(1000, (busy?.lease_until ?? now) - now) }, 200);
    }
    const phase = ops.shutdown[row.phase];
    let next = { phase: row.phase, cursor: row.cursor };
    const keyIds = JSON.parse(row.key_ids) as string[];
    let d1Rows: ShutdownChunk["d1Rows"];
    if (phase) {
      let chunk: ShutdownChunk;
      try {
        chunk = await phase.run(c.env, row.cursor, now);
      } catch (e) {
        // The retry need not wait out the lease; objects count what they destroyed across calls (wipeObject).
        await db.prepare("UPDATE shutdown_progress SET lease_until = NULL WHERE id = 1 AND phase = ? AND cursor IS ?").bind(row.phase, row.cursor).run();
        throw e;
      }
      addCounts(destroyed, chunk.destroyed);
      keyIds.push(...chunk.keyIds);
      next = chunk.next === null ? { phase: row.phase + 1, cursor: null } : { phase: row.phase, cursor: chunk.next };
      // Its count is known only in the batch below, after the receipt would be signed: such a chunk ends no phase.
      if (chunk.d1Rows && chunk.next === null) throw new Error(`shutdown phase ${phase.name}: a chunk that deletes D1 rows must come back (next)`);
      d1Rows = chunk.d1Rows;
    }
    let receipt: ReceiptFile | null = null;
    if (next.phase >= ops.shutdown.length) {
      const { id, name } = ops.identity(c.env);
      const body = destructionReceiptSchema.parse({
        type: "kipass-destruction-receipt",
        party: id,
        partyName: name,
        startedAt: row.started_at,
        completedAt: now,
        destroyed,
        keyIds,
      });
      receipt = await signReceipt(body, ops.signingKeys(c.env).current);
    }
    // One transaction, guarded by this call's lease: a call that outlived its lease and lost it adds no tally and
    // deletes nothing. D1 rows are counted into the progress and then deleted in it, so no count is lost between.
    const destroyedNow = d1Rows
      ? `json_set(?5, '$."d1.${d1Rows.table}"', COALESCE(json_extract(?5, '$."d1.${d1Rows.table}"'), 0) + (SELECT COUNT(*) FROM ${d1Rows.table} WHERE rowid <= ${d1Rows.uptoRowid}))`
      : "?5";
    const batch = [
      db
        .prepare(
          `UPDATE shutdown_progress SET phase = ?1, cursor = ?2, key_ids = ?3, receipt = ?4, destroyed = ${destroyedNow}
           WHERE id = 1 AND phase = ?6 AND cursor IS ?7 AND lease_until = ?8 RETURNING destroyed`,
        )
        .bind(next.phase, next.cursor, JSON.stringify(keyIds), receipt ? JSON.stringify(receipt) : null, JSON.stringify(destroyed), row.phase, row.cursor, leaseUntil),
      ...(d1Rows
        ? [db.prepare(`DELETE FROM ${d1Rows.table} WHERE rowid <= ? AND EXISTS (SELECT 1 FROM shutdown_progress WHERE id = 1 AND lease_until = ?)`).bind(d1Rows.uptoRowid, leaseUntil)]
        : []),
      db.prepare("UPDATE shutdown_progress SET lease_until = NULL WHERE id = 1 AND lease_until = ?").bind(leaseUntil),
    ];
    const saved = (await db.batch<{ destroyed: string }>(batch))[0]?.results[0];
    if (saved) Object.assign(destroyed, JSON.parse(saved.destroyed) as Record<string, number>); // with the D1 rows counted
    if (saved && receipt) {
      await audit(db, now, "POST", shutdownRoute.path, "R-O4 shutdown", `complete: ${keyIds.length} day keys destroyed`);
    }
    return c.json({ done: receipt !== null && saved !== undefined, phase: ops.shutdown[next.phase]?.name ?? null, destroyed, ...(receipt && saved ? { receipt } : {}) }, 200);
  });
}
