/**
 * Retention (R-R2) shared by Facility and TokenLedger: each day with records
 * gets one due row "expire-day" at the start of day + 29 (KST), when its last
 * visit is 28 days old (`expiresAt`, `RetentionSchedule` in @kipass/shared). The sweep deletes that day's rows in chunks so a large day
 * never stalls scans (the alarm fires again at once while rows remain), and
 * the day key is shredded in the vault.
 */
import { EXPIRE_DAY, type DoSql, type DueWork } from "@kipass/shared";

/** Rows deleted per alarm run; small enough that scans interleave between runs. */
export const SWEEP_CHUNK = 500;

export interface SweepResult {
  /** Days whose rows are all gone. */
  expired: string[];
  /** Rows deleted in this run. */
  deleted: number;
  /** True while an expired day still has rows (the alarm is re-armed at once). */
  more: boolean;
}

/**
 * One bounded sweep: deletes at most SWEEP_CHUNK rows through `deleteChunk`
 * (returns rows deleted) and marks a day done once it has none left.
 */
export async function sweepDue(
  due: DueWork,
  now: number,
  deleteChunk: (day: string, limit: number) => number,
  dayDone: (day: string) => void,
): Promise<SweepResult> {
  const result: SweepResult = { expired: [], deleted: 0, more: false };
  for (const item of due.due(now, 50)) {
    if (item.kind !== EXPIRE_DAY) continue;
    const budget = SWEEP_CHUNK - result.deleted;
    if (budget <= 0) {
      result.more = true;
      break;
    }
    const n = deleteChunk(item.key, budget);
    result.deleted += n;
    if (n < budget) {
      dayDone(item.key);
      due.done(EXPIRE_DAY, item.key);
      result.expired.push(item.key);
    } else {
      result.more = true;
      break;
    }
  }
  await due.arm();
  return result;
}

/** Deletes up to `limit` rows of `day` from `table` (a fixed name, never input); returns how many. */
export function deleteDayChunk(sql: DoSql, table: "claims" | "visits", day: string, limit: number): number {
  const n = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${table} WHERE day = ? LIMIT ?)`, day, limit).toArray()[0]?.n ?? 0;
  if (n > 0) sql.exec(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE day = ? LIMIT ?)`, day, limit);
  return n;
}
