/**
 * Expired directory rows go, so D1 keeps only what can still be used: sessions
 * past their 12 hours, phone proofs past 30 minutes (a proof holds the
 * encrypted phone number of someone who may never have registered), SMS codes
 * once expired and out of the hour the cap counts them in. Run by the cron
 * every minute, a bounded chunk per table.
 */
import { HOUR } from "@kipass/shared";
import type { RegistryBindings } from "../config.js";

/** Rows per table per run: at one run a minute, 1.4M a day per table. */
export const EXPIRY_CHUNK = 1_000;

/** Each table and when its rows are done with; `?1` is the time of the run. */
const EXPIRING = {
  sessions: "expires_at <= ?1",
  phone_codes: `expires_at <= ?1 AND window_start <= ?1 - ${HOUR}`,
  phone_proofs: "expires_at <= ?1",
} as const;
type Expiring = keyof typeof EXPIRING;

export async function deleteExpired(env: RegistryBindings, now: number): Promise<Record<Expiring, number>> {
  const tables = Object.keys(EXPIRING) as Expiring[];
  const results = await env.DB.batch(
    tables.map((table) =>
      env.DB.prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${EXPIRING[table]} LIMIT ?2)`).bind(now, EXPIRY_CHUNK),
    ),
  );
  return Object.fromEntries(tables.map((table, i) => [table, results[i]?.meta.changes ?? 0])) as Record<Expiring, number>;
}
