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

export function isConstraintError(err: unknown): boolean {
  return /constraint/i.test(err instanceof Error ? err.message : String(err));
}
