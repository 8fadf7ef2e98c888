// Operators see the every-minute cron at /healthz: when it last ran, what it
// did, and how many facilities' objects still lag the directory. A cron that
// stopped (no trigger, a run that keeps failing) would otherwise show only as
// a suspended facility or a removed device that still scans (R-F3, R-F5).
import { exports, env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { markFacility } from "../src/directory/objects.js";
import { activeFacility, errorCode, mintQr, runCron, scan } from "./helpers.js";

interface Maintenance {
  lastRunAt: number | null;
  lastRun: { sync: { repaired?: number; failed?: number; error?: string }; deleted: Record<string, number> & { error?: string } } | null;
  facilitiesOutOfSync: number;
}
const maintenance = async () => {
  const res = await exports.default.fetch(new Request("https://registry.test/healthz"));
  expect(res.status).toBe(200);
  return ((await res.json()) as { maintenance: Maintenance }).maintenance;
};

describe("the cron at /healthz", () => {
  it("shows never run, then each run's time and outcome, and the facilities still out of step", async () => {
    expect(await maintenance()).toEqual({ lastRunAt: null, lastRun: null, facilitiesOutOfSync: 0 });

    // A suspension whose call to the object was lost, and a cron run that cannot repair it (D1 accounts out of reach).
    const f = await activeFacility();
    await env.DB.batch([
      env.DB.prepare("UPDATE facilities SET status = 'suspended', status_reason = 'reported_bogus' WHERE id = ?").bind(f.facilityId),
      markFacility(env, f.facilityId),
    ]);
    expect((await maintenance()).facilitiesOutOfSync).toBe(1);
    const first = Date.now() + 60_000;
    await env.DB.exec("ALTER TABLE accounts RENAME TO accounts_away");
    try {
      await runCron(first);
    } finally {
      await env.DB.exec("ALTER TABLE accounts_away RENAME TO accounts");
    }
    expect(await maintenance()).toMatchObject({ lastRunAt: first, lastRun: { sync: { repaired: 0, failed: 1 } }, facilitiesOutOfSync: 1 });

    const second = first + 60_000;
    await runCron(second);
    expect(await maintenance()).toMatchObject({ lastRunAt: second, lastRun: { sync: { repaired: 1, failed: 0 }, deleted: { sessions: 0 } }, facilitiesOutOfSync: 0 });
    expect(await errorCode(await scan(f.session, (await mintQr()).qr))).toEqual({ status: 403, code: "facility_suspended" });
  });

  it("records a run whose expiry failed, and the run fails", async () => {
    const at = Date.now() + 120_000;
    await env.DB.exec("ALTER TABLE phone_proofs RENAME TO phone_proofs_away");
    try {
      await expect(runCron(at)).rejects.toThrow();
    } finally {
      await env.DB.exec("ALTER TABLE phone_proofs_away RENAME TO phone_proofs");
    }
    const m = await maintenance();
    expect(m.lastRunAt).toBe(at);
    expect(m.lastRun?.deleted.error).toMatch(/phone_proofs/);
  });
});
