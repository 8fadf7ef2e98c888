/**
 * Durable Object storage helpers, typed structurally so this package needs
 * no Workers bindings (a DurableObjectStorage satisfies these interfaces):
 * - `sqlTag`: a tagged template so every query binds its parameters;
 * - `migrateSchema`: versioned schema in a table, run in the constructor
 *   under blockConcurrencyWhile;
 * - `DueWork`: the alarm scheduler — due work lives in a table, one alarm is
 *   armed for the earliest row, and `arm()` is called on every wake because
 *   alarms are at-least-once and can be lost across a restart;
 * - `RetentionSchedule`: each day with records gets one "expire-day" row at
 *   `expiresAt(day)`, the start of day + 29 (R-R2, R-I1), written once, not
 *   per record.
 */
import { expiresAt } from "./retention.js";
export type SqlValue = ArrayBuffer | string | number | null;

export interface DoSqlCursor<T> {
  toArray(): T[];
  readonly rowsWritten: number;
}

export interface DoSql {
  exec<T extends Record<string, SqlValue>>(query: string, ...bindings: SqlValue[]): DoSqlCursor<T>;
}

export interface DoStorage {
  sql: DoSql;
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number): Promise<void>;
  transactionSync<T>(closure: () => T): T;
}

/** sql`SELECT * FROM visits WHERE day = ${day}` → rows; values are always bound, never spliced. */
export function sqlTag(sql: DoSql) {
  return <T extends Record<string, SqlValue> = Record<string, SqlValue>>(strings: TemplateStringsArray, ...values: SqlValue[]): T[] =>
    sql.exec<T>(queryText(strings), ...values).toArray();
}

/** A call site's template is one object for the life of the isolate: its text is joined once, not per statement. */
const queryTexts = new WeakMap<TemplateStringsArray, string>();
function queryText(strings: TemplateStringsArray): string {
  let text = queryTexts.get(strings);
  if (text === undefined) queryTexts.set(strings, (text = strings.join("?")));
  return text;
}

/**
 * Reads a table a fresh object does not have yet: the read is what every wake
 * of an existing object pays (each statement is prepared anew in a woken
 * object, so `CREATE TABLE IF NOT EXISTS` on every wake was not free); a
 * fresh object makes the table on the one "no such table" refusal.
 */
function readOrCreate<T>(read: () => T, create: () => T): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof Error && err.message.includes("no such table"))) throw err;
    return create();
  }
}

/** Applies migrations[version..] in order, each in its own transaction. */
export function migrateSchema(storage: DoStorage, migrations: readonly string[]): void {
  const version = readOrCreate(
    () => storage.sql.exec<{ version: number }>("SELECT version FROM _schema").toArray()[0]?.version ?? null,
    () => {
      storage.sql.exec("CREATE TABLE _schema (version INTEGER NOT NULL)");
      return null;
    },
  );
  if (version === null) storage.sql.exec("INSERT INTO _schema (version) VALUES (0)");
  for (let v = version ?? 0; v < migrations.length; v++) {
    storage.transactionSync(() => {
      storage.sql.exec(migrations[v]!);
      storage.sql.exec("UPDATE _schema SET version = ?", v + 1);
    });
  }
}

export interface DueItem {
  kind: string;
  key: string;
  dueAt: number;
}

export class DueWork {
  /** The rows as they were when the object woke (one read), for `keysAtWake` and the wake's `arm`; dropped at the first change or arm. */
  private atWake: DueItem[] | null;

  constructor(private readonly storage: DoStorage) {
    this.atWake = readOrCreate(
      () =>
        storage.sql
          .exec<{ kind: string; key: string; due_at: number }>("SELECT kind, key, due_at FROM due_work ORDER BY kind, key")
          .toArray()
          .map((r) => ({ kind: r.kind, key: r.key, dueAt: r.due_at })),
      () => {
        storage.sql.exec("CREATE TABLE due_work (kind TEXT NOT NULL, key TEXT NOT NULL, due_at INTEGER NOT NULL, PRIMARY KEY (kind, key))");
        return [];
      },
    );
  }

  /** Records work due at `dueAt` (the earlier time wins if already scheduled). Call `arm()` after. */
  schedule(kind: string, key: string, dueAt: number): void {
    this.atWake = null;
    this.storage.sql.exec(
      "INSERT INTO due_work (kind, key, due_at) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET due_at = MIN(due_at, excluded.due_at)",
      kind,
      key,
      dueAt,
    );
  }

  /** Up to `limit` items due at `now`, earliest first. */
  due(now: number, limit = 100): DueItem[] {
    return this.storage.sql
      .exec<{ kind: string; key: string; due_at: number }>("SELECT kind, key, due_at FROM due_work WHERE due_at <= ? ORDER BY due_at LIMIT ?", now, limit)
      .toArray()
      .map((r) => ({ kind: r.kind, key: r.key, dueAt: r.due_at }));
  }

  /** The keys of `kind` scheduled when the object woke, in order: what a wake need not schedule again. */
  keysAtWake(kind: string): string[] {
    if (this.atWake) return this.atWake.filter((r) => r.kind === kind).map((r) => r.key);
    return this.storage.sql.exec<{ key: string }>("SELECT key FROM due_work WHERE kind = ? ORDER BY key", kind).toArray().map((r) => r.key);
  }

  done(kind: string, key: string): void {
    this.atWake = null;
    this.storage.sql.exec("DELETE FROM due_work WHERE kind = ? AND key = ?", kind, key);
  }

  /** Ensures the alarm fires no later than the earliest due row. */
  async arm(): Promise<number | null> {
    const next = this.atWake
      ? this.atWake.reduce<number | null>((min, r) => (min === null || r.dueAt < min ? r.dueAt : min), null)
      : (this.storage.sql.exec<{ next: number | null }>("SELECT MIN(due_at) AS next FROM due_work").toArray()[0]?.next ?? null);
    this.atWake = null; // used once: later arms read the table
    if (next === null) return null;
    const current = await this.storage.getAlarm();
    if (current === null || current > next) await this.storage.setAlarm(next);
    return next;
  }
}

export const EXPIRE_DAY = "expire-day";

/** Schedules each day's expiry once per object wake; a wake reads the days already scheduled, so it writes none again. */
export class RetentionSchedule {
  private readonly scheduled: Set<string>;

  /** Construct after the due_work table exists (after `new DueWork`). */
  constructor(private readonly due: DueWork) {
    this.scheduled = new Set(due.keysAtWake(EXPIRE_DAY));
  }

  async ensure(day: string): Promise<void> {
    if (this.scheduled.has(day)) return;
    this.due.schedule(EXPIRE_DAY, day, expiresAt(day));
    this.scheduled.add(day);
    await this.due.arm();
  }

  /** A day's rows are gone (sweep) or every row is (shutdown). */
  forget(day?: string): void {
    if (day === undefined) this.scheduled.clear();
    else this.scheduled.delete(day);
  }
}

/** Where a wiped object keeps what it destroyed: table names and counts, nothing else. */
export const DESTROYED_TABLE = "_destroyed";

/**
 * Shutdown (R-O4): deletes every row of every table but the schema version,
 * so the object stays usable (empty) and its constructor's migrations still
 * match, and deletes its alarm (no sweep wakes it again). Returns rows
 * deleted per table, counted over every call: the deletes and the tally
 * commit together, so a shutdown chunk retried after a failed call, or run
 * twice at once, still reports what this object destroyed.
 */
export async function wipeObject(storage: DoStorage & { deleteAlarm(): Promise<void> }): Promise<Record<string, number>> {
  const sql = storage.sql;
  sql.exec(`CREATE TABLE IF NOT EXISTS ${DESTROYED_TABLE} (tbl TEXT PRIMARY KEY, n INTEGER NOT NULL)`);
  const tables = sql
    .exec<{ name: string }>(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT IN ('_schema', '${DESTROYED_TABLE}')`,
    )
    .toArray();
  for (const { name } of tables) {
    const n = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM "${name}"`).toArray()[0]?.n ?? 0;
    sql.exec(`DELETE FROM "${name}"`);
    sql.exec(`INSERT INTO ${DESTROYED_TABLE} (tbl, n) VALUES (?, ?) ON CONFLICT (tbl) DO UPDATE SET n = n + excluded.n`, name, n);
  }
  await storage.deleteAlarm();
  return Object.fromEntries(sql.exec<{ tbl: string; n: number }>(`SELECT tbl, n FROM ${DESTROYED_TABLE}`).toArray().map((r) => [r.tbl, r.n]));
}
