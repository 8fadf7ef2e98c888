// The Facility object follows the D1 directory even when a request's call to
// it fails after D1 committed (R-F3 suspension, R-F5 removed device): the
// change's mark stays in facility_sync and the cron brings the object up to
// date. Here the lost call is what is left when the request stops right
// after its D1 batch; the scan path (which reads only the object) shows
// whether the object caught up.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RegistryBindings } from "../src/config.js";
import { markFacility, syncFacility } from "../src/directory/objects.js";
import { Facility } from "../src/durable/facility.js";
import { activeFacility, addStaff, approver, call, errorCode, json, lastSms, login, mintQr, phoneProof, randomPhone, registerFacility, registration, runCron, scan, validBusinessNumber } from "./helpers.js";

const marks = async () => (await env.DB.prepare("SELECT facility_id FROM facility_sync").all<{ facility_id: string }>()).results.map((r) => r.facility_id);

/** Runs `request` while D1 fails every batch that marks a facility (its table is out of reach). */
async function withMarksFailing(request: () => Promise<Response>): Promise<Response> {
  await env.DB.exec("ALTER TABLE facility_sync RENAME TO facility_sync_away");
  try {
    return await request();
  } finally {
    await env.DB.exec("ALTER TABLE facility_sync_away RENAME TO facility_sync");
  }
}

/** Runs `request` while every Facility object refuses the directory's changes (the call after the D1 batch fails). */
async function withObjectsFailing(request: () => Promise<Response>): Promise<Response> {
  const reconcile = Facility.prototype.reconcile;
  Facility.prototype.reconcile = () => {
    throw new Error("object unreachable");
  };
  try {
    return await request();
  } finally {
    Facility.prototype.reconcile = reconcile;
  }
}

/**
 * Approves a pending facility while a bogus report's suspension overtakes the
 * approval's sync: the approval read D1 ('active'), then the suspension commits
 * and its own sync lands and clears the mark, and only then does the
 * approval's push reach the object — its reply then delivered or lost. Runs in
 * the object, which holds its own D1 binding; the suspension's real sync calls
 * this same object through its stub. Returns the approval's answer.
 */
async function approveWhileSuspended(facilityId: string, approverSession: string, push: "delivered" | "reply lost"): Promise<Record<string, unknown>> {
  const reconcile = Facility.prototype.reconcile;
  let late = true;
  Facility.prototype.reconcile = async function (this: Facility, ...args: Parameters<Facility["reconcile"]>) {
    if (!late) return reconcile.apply(this, args);
    late = false;
    const objectEnv = (this as unknown as { env: RegistryBindings }).env;
    await objectEnv.DB.batch([
      objectEnv.DB.prepare("UPDATE facilities SET status = 'suspended', status_reason = 'reported_bogus' WHERE id = ?").bind(facilityId),
      markFacility(objectEnv, facilityId),
    ]);
    await syncFacility(objectEnv, facilityId, Date.now());
    reconcile.apply(this, args);
    if (push === "reply lost") throw new Error("lost reply");
  };
  try {
    return await json(await call("POST", `/v1/approver/facilities/${facilityId}/decision`, { decision: "approve" }, approverSession), 200);
  } finally {
    Facility.prototype.reconcile = reconcile;
  }
}

describe("facility sync", () => {
  it("a suspension whose call to the object was lost is enforced at the scanner after the cron", async () => {
    const f = await activeFacility();
    await json(await scan(f.session, (await mintQr()).qr), 200);
    // The report's D1 batch committed; its call to the object never happened.
    await env.DB.batch([
      env.DB.prepare("UPDATE facilities SET status = 'suspended', status_reason = 'reported_bogus' WHERE id = ?").bind(f.facilityId),
      markFacility(env, f.facilityId),
    ]);
    expect(await marks()).toContain(f.facilityId);

    await runCron();
    expect(await errorCode(await scan(f.session, (await mintQr()).qr))).toEqual({ status: 403, code: "facility_suspended" });
    expect(await marks()).not.toContain(f.facilityId);
  });

  it("a removed staff device whose revocation did not reach the object is refused after the cron (R-F5)", async () => {
    const f = await activeFacility();
    const staff = await addStaff(f.session);
    await json(await scan(staff.session, (await mintQr()).qr), 200);
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare("UPDATE accounts SET removed_at = ? WHERE id = ?").bind(now, staff.id),
      env.DB.prepare("UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL").bind(now, staff.id),
      markFacility(env, f.facilityId),
    ]);

    await runCron();
    expect(await errorCode(await scan(staff.session, (await mintQr()).qr))).toEqual({ status: 401, code: "device_revoked" });
    // The owner's own device is untouched.
    await json(await scan(f.session, (await mintQr()).qr), 200);
    expect(await marks()).not.toContain(f.facilityId);
  });

  it("a sync that reaches the object after a later one does not put back the older status (R-F3)", async () => {
    const f = await registerFacility({ businessNumber: "none" });
    const owner = await login(f.loginId, f.password);
    const answer = await approveWhileSuspended(f.facilityId, await approver(), "delivered");
    expect(answer).toMatchObject({ status: "active", takesEffect: "now" });
    expect((await env.DB.prepare("SELECT status FROM facilities WHERE id = ?").bind(f.facilityId).first<{ status: string }>())?.status).toBe("suspended");
    expect(await errorCode(await scan(owner, (await mintQr()).qr))).toEqual({ status: 403, code: "facility_suspended" });
  });

  it("a late sync whose reply is lost does not put back the older status, though no mark is left for the cron (R-F3)", async () => {
    const f = await registerFacility({ businessNumber: "none" });
    const owner = await login(f.loginId, f.password);
    const answer = await approveWhileSuspended(f.facilityId, await approver(), "reply lost");
    expect(answer).toMatchObject({ status: "active", takesEffect: "within_a_minute" });
    // The suspension's sync cleared the mark, and the approval's failed sync had none of its own left.
    expect(await marks()).not.toContain(f.facilityId);
    await runCron();
    expect((await env.DB.prepare("SELECT status FROM facilities WHERE id = ?").bind(f.facilityId).first<{ status: string }>())?.status).toBe("suspended");
    expect(await errorCode(await scan(owner, (await mintQr()).qr))).toEqual({ status: 403, code: "facility_suspended" });
  });

  it("a change committed during a sync keeps its mark, and the cron brings the object to it", async () => {
    const f = await registerFacility({ businessNumber: "none" });
    const owner = await login(f.loginId, f.password);
    const local = await approver();
    const reconcile = Facility.prototype.reconcile;
    Facility.prototype.reconcile = async function (this: Facility, ...args: Parameters<Facility["reconcile"]>) {
      // Every push meets a newer status: another change commits, marked as every change is.
      const objectEnv = (this as unknown as { env: RegistryBindings }).env;
      await objectEnv.DB.batch([
        objectEnv.DB.prepare("UPDATE facilities SET status = CASE status WHEN 'active' THEN 'suspended' ELSE 'active' END WHERE id = ?").bind(f.facilityId),
        markFacility(objectEnv, f.facilityId),
      ]);
      return reconcile.apply(this, args);
    };
    try {
      await json(await call("POST", `/v1/approver/facilities/${f.facilityId}/decision`, { decision: "approve" }, local), 200);
    } finally {
      Facility.prototype.reconcile = reconcile;
    }
    expect(await marks()).toContain(f.facilityId);
    await runCron();
    expect(await marks()).not.toContain(f.facilityId);
    // The directory ends suspended (flipped from active by each push), and so does the scanner.
    expect((await env.DB.prepare("SELECT status FROM facilities WHERE id = ?").bind(f.facilityId).first<{ status: string }>())?.status).toBe("suspended");
    expect(await errorCode(await scan(owner, (await mintQr()).qr))).toEqual({ status: 403, code: "facility_suspended" });
  });

  it("a staff removal whose D1 batch fails removes nothing, and removing again takes effect (R-F5)", async () => {
    const f = await activeFacility();
    const staff = await addStaff(f.session);
    const failed = await withMarksFailing(() => call("DELETE", `/v1/facility/staff/${staff.id}`, undefined, f.session));
    expect(await errorCode(failed)).toEqual({ status: 500, code: "internal" });
    // Nothing half-done: the account is still listed and its device still scans, so the owner can see it and try again.
    const listed = await json<{ staff: { id: string }[] }>(await call("GET", "/v1/facility/staff", undefined, f.session), 200);
    expect(listed.staff.map((s) => s.id)).toContain(staff.id);
    await json(await scan(staff.session, (await mintQr()).qr), 200);

    expect((await call("DELETE", `/v1/facility/staff/${staff.id}`, undefined, f.session)).status).toBe(204);
    expect(await errorCode(await scan(staff.session, (await mintQr()).qr))).toEqual({ status: 401, code: "device_revoked" });
  });

  it("a bogus-registration report whose D1 batch fails keeps its code, and reporting again suspends the facility (R-F3)", async () => {
    const brn = validBusinessNumber();
    const first = await registerFacility({ businessNumber: brn, addressDetail: "1층 / 1F" });
    const second = await registerFacility({ businessNumber: brn, addressDetail: "2층 / 2F" });
    const code = /report\?([A-Za-z0-9_-]{43})/.exec(await lastSms(first.phone))![1]!;
    const secondOwner = await login(second.loginId, second.password);

    expect(await errorCode(await withMarksFailing(() => call("POST", "/v1/reports/bogus", { code })))).toEqual({ status: 500, code: "internal" });
    await json(await scan(secondOwner, (await mintQr()).qr), 200);

    await json(await call("POST", "/v1/reports/bogus", { code }), 200);
    expect(await errorCode(await scan(secondOwner, (await mintQr()).qr))).toEqual({ status: 403, code: "facility_suspended" });
  });

  it("a registration whose D1 batch fails stores nothing and keeps the phone proof for the retry (R-F1, R-F4)", async () => {
    const body = registration({ phoneProof: await phoneProof(randomPhone()), businessName: `재시도 ${crypto.randomUUID()}` });
    expect(await errorCode(await withMarksFailing(() => call("POST", "/v1/facilities", body)))).toEqual({ status: 500, code: "internal" });
    const stored = () => env.DB.prepare("SELECT COUNT(*) AS n FROM facilities WHERE business_name = ?").bind(body.businessName).first<{ n: number }>();
    expect((await stored())?.n).toBe(0);

    await json(await call("POST", "/v1/facilities", body), 201);
    expect((await stored())?.n).toBe(1);
    await json(await scan(await login(body.loginId, body.password), (await mintQr()).qr), 200);
  });

  it("leaves no mark behind when the object is reached: registration, staff removal, logout", async () => {
    const f = await activeFacility();
    const staff = await addStaff(f.session);
    expect((await call("DELETE", `/v1/facility/staff/${staff.id}`, undefined, f.session)).status).toBe(204);
    expect((await call("POST", "/v1/logout", undefined, f.session)).status).toBe(204);
    expect(await marks()).not.toContain(f.facilityId);
  });

  describe("a change committed to D1 whose call to the object fails is a success, applied within a minute", () => {
    // Before, each answered 500, and a retry was refused as already done (409 not_pending, 404 for the
    // used report code, 409 facility_exists), though the change stood: the user could not tell.
    it("an approval", async () => {
      const f = await registerFacility({ businessNumber: "none" });
      const local = await approver();
      const decided = await withObjectsFailing(() => call("POST", `/v1/approver/facilities/${f.facilityId}/decision`, { decision: "approve" }, local));
      expect(await json(decided, 200)).toEqual({ id: f.facilityId, status: "active", takesEffect: "within_a_minute" });
      const owner = await login(f.loginId, f.password);
      expect(await errorCode(await scan(owner, (await mintQr()).qr))).toEqual({ status: 403, code: "facility_pending" });
      await runCron();
      await json(await scan(owner, (await mintQr()).qr), 200);
    });

    it("a staff removal (R-F5)", async () => {
      const f = await activeFacility();
      const staff = await addStaff(f.session);
      const removed = await withObjectsFailing(() => call("DELETE", `/v1/facility/staff/${staff.id}`, undefined, f.session));
      expect(await json(removed, 202)).toMatchObject({ takesEffect: "within_a_minute", message: expect.stringContaining("within a minute") });
      const listed = await json<{ staff: { id: string }[] }>(await call("GET", "/v1/facility/staff", undefined, f.session), 200);
      expect(listed.staff.map((s) => s.id)).not.toContain(staff.id);
      await runCron();
      expect(await errorCode(await scan(staff.session, (await mintQr()).qr))).toEqual({ status: 401, code: "device_revoked" });
      await json(await scan(f.session, (await mintQr()).qr), 200);
    });

    it("a bogus-registration report (R-F3)", async () => {
      const brn = validBusinessNumber();
      const first = await registerFacility({ businessNumber: brn, addressDetail: "1층 / 1F" });
      const second = await registerFacility({ businessNumber: brn, addressDetail: "2층 / 2F" });
      const code = /report\?([A-Za-z0-9_-]{43})/.exec(await lastSms(first.phone))![1]!;
      const reported = await withObjectsFailing(() => call("POST", "/v1/reports/bogus", { code }));
      expect(await json(reported, 200)).toMatchObject({ ok: true, takesEffect: "within_a_minute", message: expect.stringContaining("within a minute") });
      await runCron();
      expect(await errorCode(await scan(await login(second.loginId, second.password), (await mintQr()).qr))).toEqual({ status: 403, code: "facility_suspended" });
    });

    it("a registration (R-F1) and a logout", async () => {
      const body = registration({ phoneProof: await phoneProof(randomPhone()) });
      const registered = await withObjectsFailing(() => call("POST", "/v1/facilities", body));
      expect(await json(registered, 201)).toMatchObject({ status: "active", takesEffect: "within_a_minute", message: expect.stringContaining("within a minute") });
      const owner = await login(body.loginId as string, body.password as string);
      expect(await errorCode(await scan(owner, (await mintQr()).qr))).toEqual({ status: 404, code: "facility_unknown" });
      await runCron();
      await json(await scan(owner, (await mintQr()).qr), 200);

      expect((await withObjectsFailing(() => call("POST", "/v1/logout", undefined, owner))).status).toBe(202);
      await runCron();
      expect(await errorCode(await scan(owner, (await mintQr()).qr))).toEqual({ status: 401, code: "device_revoked" });
    });
  });
});
