/**
 * Test helpers that wrap the D1 binding (handed to `app.fetch` in place of env.DB):
 * - `withProductionBindLimit`: refuses, as production D1 does, a statement binding
 *   more than 100 values (local D1 in miniflare accepts thousands, so an unchunked
 *   `IN (?, ?, …)` passes every local test and fails only in production);
 * - `holdingReads`: the first `parties` reads of one query wait for each other, so
 *   concurrent requests are sure to have all read before any of them writes.
 */
export const PRODUCTION_D1_MAX_BOUND = 100;

function wrapped<X extends object>(db: D1Database, onStatement: (query: string, stmt: D1PreparedStatement) => D1PreparedStatement, extra: X): D1Database & X {
  return {
    prepare: (query: string) => onStatement(query, db.prepare(query)),
    batch: <T = unknown>(statements: D1PreparedStatement[]) => db.batch<T>(statements),
    exec: (query: string) => db.exec(query),
    withSession: (constraintOrBookmark?: string) => db.withSession(constraintOrBookmark),
    dump: () => db.dump(),
    ...extra,
  };
}

export function withProductionBindLimit(db: D1Database, max = PRODUCTION_D1_MAX_BOUND): D1Database & { widest: () => number } {
  let widest = 0;
  const guard = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const bind = stmt.bind.bind(stmt);
    stmt.bind = (...values: unknown[]) => {
      widest = Math.max(widest, values.length);
      if (values.length > max) throw new Error(`D1_ERROR: too many SQL variables (${values.length} bound, at most ${max}): SQLITE_ERROR`);
      return guard(bind(...values));
    };
    return stmt;
  };
  /** The most values any statement bound so far. */
  return wrapped(db, (_query, stmt) => guard(stmt), { widest: () => widest });
}

export function holdingReads(db: D1Database, query: string, parties: number): D1Database {
  let arrived = 0;
  let open = () => {};
  const allRead = new Promise<void>((resolve) => (open = resolve));
  const hold = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const bind = stmt.bind.bind(stmt);
    stmt.bind = (...values: unknown[]) => {
      const bound = bind(...values);
      const first = bound.first.bind(bound);
      bound.first = (async () => {
        const row = await first();
        if (arrived < parties) {
          if (++arrived === parties) open();
          await allRead;
        }
        return row;
      }) as D1PreparedStatement["first"];
      return bound;
    };
    return stmt;
  };
  return wrapped(db, (q, stmt) => (q === query ? hold(stmt) : stmt), {});
}
