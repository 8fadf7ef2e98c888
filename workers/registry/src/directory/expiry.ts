/**
 * Expired directory rows go, so D1 keeps only what can still be used: sessions
 * past their 12 hours, SMS codes past 5 minutes and phone proofs past 30
 * (a proof holds the encrypted phone number of someone who may never have
 * registered). Run by the cron every minute, a bounded chunk per table.
 */
import type { RegistryBindings } from "../config.js";

/** Rows per table per run: at one run a minute, 1.4M a day per table. */
export const EXPIRY_CHUNK = 1_000;

const EXPIRING = ["sessions", "phone_codes", "phone_proofs"] as const;

export async function deleteExpired(env: RegistryBindings, now: number): Promise<Record<(typeof EXPIRING)[number], number>> {
  const results = await env.DB.batch(
    EXPIRING.map((table) =>
      env.DB.prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE expires_at <= ? LIMIT ?)`).bind(now, EXPIRY_CHUNK),
    ),
  );
  return { sessions: results[0]?.meta.changes ?? 0, phone_codes: results[1]?.meta.changes ?? 0, phone_proofs: results[2]?.meta.changes ?? 0 };
}
