/**
 * The every-minute cron: Facility objects a failed or cut-off request left
 * behind the directory catch up (objects.ts), and expired sessions, codes and
 * phone proofs go (expiry.ts). Each run records what it did, and /healthz
 * shows the last run, so a cron that stopped is seen rather than found out
 * from a removed device that still scans (migrations/0007_cron_runs.sql).
 */
import type { RegistryBindings } from "../config.js";
import { deleteExpired } from "./expiry.js";
import { repairFacilities } from "./objects.js";

const JOB = "maintenance";

export async function runMaintenance(env: RegistryBindings, now: number): Promise<void> {
  const [repair, expiry] = await Promise.allSettled([repairFacilities(env, now), deleteExpired(env, now)]);
  const outcome = (o: PromiseSettledResult<unknown>) => (o.status === "fulfilled" ? o.value : { error: o.reason instanceof Error ? o.reason.message : String(o.reason) });
  const result = JSON.stringify({ sync: outcome(repair), deleted: outcome(expiry) });
  await env.DB.prepare("INSERT INTO cron_runs (job, ran_at, result) VALUES (?1, ?2, ?3) ON CONFLICT (job) DO UPDATE SET ran_at = ?2, result = ?3")
    .bind(JOB, now, result)
    .run();
  // A failed part still fails the run, so the platform's cron log shows it too.
  for (const o of [repair, expiry]) if (o.status === "rejected") throw o.reason;
}

export interface MaintenanceHealth {
  /** When the cron last ran (null: never on this deployment). */
  lastRunAt: number | null;
  lastRun: unknown;
  /** Facilities whose object has not caught up with the directory yet. */
  facilitiesOutOfSync: number;
}

export async function maintenanceHealth(env: RegistryBindings): Promise<MaintenanceHealth> {
  const [run, sync] = await env.DB.batch([
    env.DB.prepare("SELECT ran_at, result FROM cron_runs WHERE job = ?").bind(JOB),
    env.DB.prepare("SELECT COUNT(*) AS n FROM facility_sync"),
  ]);
  const last = (run?.results[0] ?? null) as { ran_at: number; result: string } | null;
  const pending = (sync?.results[0] ?? null) as { n: number } | null;
  return { lastRunAt: last?.ran_at ?? null, lastRun: last ? (JSON.parse(last.result) as unknown) : null, facilitiesOutOfSync: pending?.n ?? 0 };
}
