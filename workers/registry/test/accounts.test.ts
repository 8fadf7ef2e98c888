// Managers and staff (R-F4, R-F5): lockout after repeated failures, staff
// devices, and revocation that takes effect at the very next scan.
import { describe, expect, it } from "vitest";
import { PBKDF2_ITERATIONS } from "../../../shared/src/index.js";
import { activeFacility, addStaff, call, errorCode, json, mintQr, scan } from "./helpers.js";

describe("accounts", () => {
  it("locks an account after 5 failed logins, even for the right password", async () => {
    const f = await activeFacility();
    for (let i = 0; i < 5; i++) {
      expect(await errorCode(await call("POST", "/v1/login", { loginId: f.loginId, password: `wrong ${i}` }))).toEqual({ status: 401, code: "bad_credentials" });
    }
    expect(await errorCode(await call("POST", "/v1/login", { loginId: f.loginId, password: f.password }))).toEqual({ status: 423, code: "account_locked" });
    // the session opened before the lockout keeps working: lockout stops guessing, not the owner's devices
    await json(await scan(f.session, (await mintQr()).qr), 200);
  });

  it("stores passwords as salted PBKDF2 within the Workers cap", async () => {
    expect(PBKDF2_ITERATIONS).toBeLessThanOrEqual(100_000);
    const f = await activeFacility();
    const { env } = await import("cloudflare:workers");
    const row = await env.DB.prepare("SELECT password_hash FROM accounts WHERE login_id = ?").bind(f.loginId).first<{ password_hash: string }>();
    expect(row!.password_hash).toMatch(/^pbkdf2-sha256\$\d+\$/);
    expect(row!.password_hash).not.toContain(f.password);
  });

  it("a removed staff account's live device session is refused at once", async () => {
    const f = await activeFacility();
    const staff = await addStaff(f.session);
    await json(await scan(staff.session, (await mintQr()).qr), 200);
    await json(await call("GET", "/v1/facility/staff", undefined, f.session), 200);
    expect((await call("DELETE", `/v1/facility/staff/${staff.id}`, undefined, f.session)).status).toBe(204);
    expect(await errorCode(await scan(staff.session, (await mintQr()).qr))).toEqual({ status: 401, code: "device_revoked" });
    expect(await errorCode(await call("GET", "/v1/sessions", undefined, staff.session))).toEqual({ status: 401, code: "session_invalid" });
  });

  it("the owner sees and revokes any session of the facility; staff cannot manage staff", async () => {
    const f = await activeFacility();
    const staff = await addStaff(f.session, "후문 / back door");
    expect(await errorCode(await call("GET", "/v1/facility/staff", undefined, staff.session))).toEqual({ status: 403, code: "forbidden" });
    const { sessions } = await json<{ sessions: { id: string; loginId: string; current: boolean }[] }>(await call("GET", "/v1/sessions", undefined, f.session), 200);
    const staffSession = sessions.find((s) => !s.current)!;
    expect(sessions).toHaveLength(2);
    expect((await call("DELETE", `/v1/sessions/${staffSession.id}`, undefined, f.session)).status).toBe(204);
    expect(await errorCode(await scan(staff.session, (await mintQr()).qr))).toEqual({ status: 401, code: "device_revoked" });
    await json(await scan(f.session, (await mintQr()).qr), 200);
  });

  it("logout ends the session for the manager API and for scanning", async () => {
    const f = await activeFacility();
    expect((await call("POST", "/v1/logout", undefined, f.session)).status).toBe(204);
    expect((await errorCode(await scan(f.session, (await mintQr()).qr))).code).toBe("device_revoked");
  });

  it("logout after scanning: the device the facility holds in memory is refused at the next scan", async () => {
    const f = await activeFacility();
    const staff = await addStaff(f.session);
    await json(await scan(staff.session, (await mintQr()).qr), 200);
    expect((await call("POST", "/v1/logout", undefined, staff.session)).status).toBe(204);
    expect(await errorCode(await scan(staff.session, (await mintQr()).qr))).toEqual({ status: 401, code: "device_revoked" });
    await json(await scan(f.session, (await mintQr()).qr), 200);
  });
});
