/** Stubs of the registry's Durable Objects, by the names the design gives them. */
import { operatingMode } from "@kipass/shared";
import type { RegistryBindings } from "../config.js";
import type { FacilityConfig, FacilityStatus, RevokedSession } from "../durable/facility.js";

export const facilityObject = (env: RegistryBindings, facilityId: string) => env.FACILITY.getByName(facilityId);

/** A TokenLedger shard by its name: `ledgerShard(tokenHash)` for a token, `ledgerShardName(n)` to walk them all. */
export const ledgerObject = (env: RegistryBindings, shard: string) => env.TOKEN_LEDGER.getByName(shard);

/**
 * D1 is the directory of record; the Facility object mirrors what the scan
 * path needs. A change to a facility's status or sessions goes in one D1
 * batch with `markFacility`; `syncFacility` then brings the object up to date
 * and clears the mark, and `repairFacilities` (the cron) retries any mark a
 * failed or cut-off sync left (migrations/0004_facility_sync.sql).
 */
/** Shut down for good (R-O4): cached in the isolate, no D1 query per call. */
export const shutDown = async (env: RegistryBindings): Promise<boolean> => (await operatingMode(env.DB)).shutDownAt !== null;

export const markFacility = (env: RegistryBindings, facilityId: string): D1PreparedStatement =>
  env.DB.prepare("INSERT INTO facility_sync (facility_id, version) VALUES (?, 1) ON CONFLICT (facility_id) DO UPDATE SET version = version + 1").bind(facilityId);

const readConfig = async (env: RegistryBindings, facilityId: string): Promise<FacilityConfig | null> => {
  const row = await env.DB.prepare("SELECT status, valid_from, valid_until, config_version FROM facilities WHERE id = ?")
    .bind(facilityId)
    .first<{ status: FacilityStatus; valid_from: number | null; valid_until: number | null; config_version: number }>();
  return row ? { facilityId, status: row.status, validFrom: row.valid_from, validUntil: row.valid_until, version: row.config_version } : null;
};

/**
 * Pushes the directory's view of one facility to its object: status, period,
 * revoked live sessions. Two syncs can reach the object in the other order
 * than they read D1, and a late push of an older status (an approval read
 * before a suspension) must not undo the later one, even when its own reply
 * is lost and no mark is left for the cron. So the config carries its row's
 * version (migrations/0008_facility_config_version.sql) and the object keeps
 * the newest it has seen. Revocations only add, so an older list undoes nothing.
 */
export async function syncFacility(env: RegistryBindings, facilityId: string, now: number): Promise<void> {
  // The mark is read first: a change made meanwhile bumps it, and its mark stays for its own sync.
  const mark = await env.DB.prepare("SELECT version FROM facility_sync WHERE facility_id = ?").bind(facilityId).first<{ version: number }>();
  const config = await readConfig(env, facilityId);
  // After shutdown (R-O4) the objects stay as the receipt left them, empty: nothing scans any more to follow a change.
  if (config && !(await shutDown(env))) {
    const { results } = await env.DB.prepare(
      "SELECT s.hash, s.account_id AS accountId, s.expires_at AS expiresAt FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE a.facility_id = ? AND s.revoked_at IS NOT NULL AND s.expires_at > ?",
    )
      .bind(facilityId, now)
      .all<RevokedSession>();
    await facilityObject(env, facilityId).reconcile(config, results, now);
  }
  if (mark) await env.DB.prepare("DELETE FROM facility_sync WHERE facility_id = ? AND version = ?").bind(facilityId, mark.version).run();
}

/** When the scanner side follows a committed change: the object took it now, or the cron applies it within a minute. */
export type TakesEffect = "now" | "within_a_minute";

/**
 * After a change's D1 batch committed: brings the object up to date. A failed
 * call does not fail the request: the change is recorded, its mark makes the
 * cron apply it within a minute, and a retry would be refused as already done
 * (another approver decided, a used report code, a taken ID). So the caller
 * answers success and says when it takes effect.
 */
export async function applyToFacility(env: RegistryBindings, facilityId: string, now: number): Promise<TakesEffect> {
  try {
    await syncFacility(env, facilityId, now);
    return "now";
  } catch (err) {
    console.error("facility sync failed; the cron retries", facilityId, err instanceof Error ? err.message : String(err));
    return "within_a_minute";
  }
}

/** Facilities the cron brings up to date per run (each a few D1 reads and one object call). */
export const REPAIR_BATCH = 100;

/** The cron: retries every sync a failed or cut-off request left behind. */
export async function repairFacilities(env: RegistryBindings, now: number): Promise<{ repaired: number; failed: number }> {
  const { results } = await env.DB.prepare("SELECT facility_id FROM facility_sync ORDER BY facility_id LIMIT ?").bind(REPAIR_BATCH).all<{ facility_id: string }>();
  const outcomes = await Promise.allSettled(results.map((r) => syncFacility(env, r.facility_id, now)));
  const failed = outcomes.filter((o) => o.status === "rejected");
  for (const f of failed) console.error("facility sync still failing", f.reason instanceof Error ? f.reason.message : String(f.reason));
  return { repaired: outcomes.length - failed.length, failed: failed.length };
}
