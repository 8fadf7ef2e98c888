/**
 * Expired directory rows go, so D1 keeps only what can still be used: sessions
 * past their 12 hours, phone proofs past 30 minutes (a proof holds the
 * encrypted phone number of someone who may never have registered), SMS codes
 * once expired and out of the hour the cap counts them in. Run by the cron
 * every minute, a bounded chunk per table.
 */
import { HOUR } from "@kipass/shared";
import type { RegistryBindings } from "../config.js";

/** Rows per statement; a table with more due gets another chunk in the same run. */
export const EXPIRY_CHUNK = 1_000;
/**
 * Chunks per table per run: up to 10,000 rows a minute, 14M a day per table.
 * One chunk a run (1.4M a day) is less than the sessions of a million scanner
 * devices logging in twice a day, and the backlog would only grow.
 */
export const EXPIRY_ROUNDS = 10;

/** Each table and when its rows are done with; `?1` is the time of the run. */
const EXPIRING = {
  sessions: "expires_at <= ?1",
  phone_codes: `expires_at <= ?1 AND window_start <= ?1 - ${HOUR}`,
  phone_proofs: "expires_at <= ?1",
} as const;
type Expiring = keyof typeof EXPIRING;

export async function deleteExpired(env: RegistryBindings, now: number): Promise<Record<Expiring, number>> {
  const deleted: Record<Expiring, number> = { sessions: 0, phone_codes: 0, phone_proofs: 0 };
  let due = Object.keys(EXPIRING) as Expiring[];
  for (let round = 0; round < EXPIRY_ROUNDS && due.length > 0; round++) {
    const results = await env.DB.batch(
      due.map((table) => env.DB.prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${EXPIRING[table]} LIMIT ?2)`).bind(now, EXPIRY_CHUNK)),
    );
    const full: Expiring[] = [];
    due.forEach((table, i) => {
      const n = results[i]?.meta.changes ?? 0;
      deleted[table] += n;
      if (n === EXPIRY_CHUNK) full.push(table);
    });
    due = full;
  }
  return deleted;
}
