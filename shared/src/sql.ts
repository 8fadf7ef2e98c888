/**
 * The slice of D1 that shared code uses, typed structurally so this package
 * needs no Workers bindings (a D1Database satisfies it).
 */
export interface SqlStatement {
  bind(...values: unknown[]): SqlStatement;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  all<T = Record<string, unknown>>(): Promise<{ results: T[] }>;
  run(): Promise<{ meta: { changes: number } }>;
}

export interface SqlDatabase {
  prepare(query: string): SqlStatement;
}

/** D1's batch: the statements run in order in one transaction, all or none. */
export interface SqlBatchDatabase extends SqlDatabase {
  batch<T = Record<string, unknown>>(statements: SqlStatement[]): Promise<{ results: T[]; meta: { changes: number } }[]>;
}

export function isConstraintError(err: unknown): boolean {
  return /constraint/i.test(err instanceof Error ? err.message : String(err));
}

/** `items` in runs of at most `size` (requests and statements with a bounded list). */
export const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * Production D1 refuses a statement that binds more than 100 values (local
 * D1 in miniflare does not, so only production would fail). Every statement
 * that binds a list of variable length splits it with `chunksPerStatement`.
 */
export const D1_MAX_BOUND = 100;

/** `items` in runs that fit one statement beside `otherBound` values the statement binds besides the list. */
export function chunksPerStatement<T>(items: readonly T[], otherBound = 0): T[][] {
  if (otherBound >= D1_MAX_BOUND) throw new Error(`a statement binding ${otherBound} other values has no room for a list`);
  return chunks(items, D1_MAX_BOUND - otherBound);
}
