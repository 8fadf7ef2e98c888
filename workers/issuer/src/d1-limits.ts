/**
 * Production D1 refuses a statement that binds more than 100 values (local
 * D1 in miniflare does not, so only production would fail). Every statement
 * that binds a list of variable length splits it with `chunksPerStatement`.
 */
export const D1_MAX_BOUND = 100;

/** `items` in runs that fit one statement beside `otherBound` values the statement binds besides the list. */
export function chunksPerStatement<T>(items: readonly T[], otherBound = 0): T[][] {
  const size = D1_MAX_BOUND - otherBound;
  if (size < 1) throw new Error(`a statement binding ${otherBound} other values has no room for a list`);
  const runs: T[][] = [];
  for (let i = 0; i < items.length; i += size) runs.push(items.slice(i, i + size));
  return runs;
}
