// Managers and staff (R-F4, R-F5): lockout after repeated failures, staff
// devices, and revocation that takes effect at the very next scan.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { HOUR, MINUTE, PBKDF2_ITERATIONS, SECOND, credentialHash } from "../../../shared/src/index.js";
import { newFacilitySession } from "../src/auth.js";
import { facilityObject } from "../src/directory/objects.js";
import { MAX_CODES_PER_HOUR } from "../src/routes/phone.js";
import { activeFacility, addStaff, call, errorCode, json, lastSms, login, mintQr, randomPhone, runCron, scan } from "./helpers.js";

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

  it("counts 50 parallel wrong guesses as they come: 5 are checked, the rest refused, and the account locks", async () => {
    const f = await activeFacility();
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => call("POST", "/v1/login", { loginId: f.loginId, password: `guess ${i}` })));
    const codes = await Promise.all(answers.map(async (r) => (await errorCode(r)).code));
    expect(codes.filter((c) => c === "bad_credentials")).toHaveLength(5);
    expect(codes.filter((c) => c === "account_locked")).toHaveLength(45);
    expect(await errorCode(await call("POST", "/v1/login", { loginId: f.loginId, password: f.password }))).toEqual({ status: 423, code: "account_locked" });
  });

  it("the right password after 4 failures logs in and starts the count again", async () => {
    const f = await activeFacility();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) expect((await errorCode(await call("POST", "/v1/login", { loginId: f.loginId, password: `wrong ${i}` }))).code).toBe("bad_credentials");
      await json(await call("POST", "/v1/login", { loginId: f.loginId, password: f.password }), 200);
    }
  });

  it("phone verification takes 5 tries per code, however fast they come (R-F4)", async () => {
    const phone = randomPhone();
    await json(await call("POST", "/v1/phone/code", { phone }), 200);
    const code = /(\d{6})/.exec(await lastSms(phone))![1]!;
    const wrong = (i: number) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0");
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => call("POST", "/v1/phone/verify", { phone, code: wrong(i) })));
    const codes = await Promise.all(answers.map(async (r) => (await errorCode(r)).code));
    expect(codes.filter((c) => c === "wrong_code")).toHaveLength(5);
    expect(codes.filter((c) => c === "too_many_attempts")).toHaveLength(45);
    expect(await errorCode(await call("POST", "/v1/phone/verify", { phone, code }))).toEqual({ status: 429, code: "too_many_attempts" });
  });

  it("sends one SMS code for 300 parallel requests, then none for 30 seconds (R-F4)", async () => {
    const phone = randomPhone();
    const answers = await Promise.all(Array.from({ length: 300 }, () => call("POST", "/v1/phone/code", { phone })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, ...Array<number>(299).fill(429)]);
    const outbox = await json<{ messages: unknown[] }>(await call("GET", `/dev/outbox?phone=${phone}`), 200);
    expect(outbox.messages).toHaveLength(1);
    expect(await errorCode(await call("POST", "/v1/phone/code", { phone }))).toEqual({ status: 429, code: "too_soon" });
  });

  it("sends a phone at most 5 codes an hour, used or not, and the expiry cron does not start the count again (R-F4)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const start = Date.parse("2026-11-27T01:00:00Z");
      const phone = randomPhone();
      const sendAt = async (at: number) => {
        vi.setSystemTime(at);
        return call("POST", "/v1/phone/code", { phone });
      };
      for (let i = 0; i < MAX_CODES_PER_HOUR; i++) await json(await sendAt(start + i * 31 * SECOND), 200);
      // A success does not start the count again either.
      const code = /(\d{6})/.exec(await lastSms(phone))![1]!;
      await json(await call("POST", "/v1/phone/verify", { phone, code }), 200);
      expect(await errorCode(await sendAt(start + 10 * MINUTE))).toEqual({ status: 429, code: "too_many_codes" });
      await runCron(start + 30 * MINUTE);
      expect(await errorCode(await sendAt(start + 30 * MINUTE))).toEqual({ status: 429, code: "too_many_codes" });
      await json(await sendAt(start + HOUR + SECOND), 200);
    } finally {
      vi.useRealTimers();
    }
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

  it("gives a removed staff member's ID to the next one; the old password and session stay refused (R-F5)", async () => {
    const f = await activeFacility();
    const loginId = `gate${Date.now().toString(36)}`;
    const staff = (password: string) => ({ loginId, password, description: "정문 입구 / main entrance" });
    const first = await json<{ id: string }>(await call("POST", "/v1/facility/staff", staff("first password"), f.session), 201);
    const firstSession = await login(loginId, "first password");
    // Taken while its holder is on staff, here and at registration.
    expect(await errorCode(await call("POST", "/v1/facility/staff", staff("other password"), f.session))).toEqual({ status: 409, code: "login_taken" });
    expect((await call("DELETE", `/v1/facility/staff/${first.id}`, undefined, f.session)).status).toBe(204);

    const next = await json<{ id: string }>(await call("POST", "/v1/facility/staff", staff("second password"), f.session), 201);
    expect(next.id).not.toBe(first.id);
    expect(await errorCode(await call("POST", "/v1/login", { loginId, password: "first password" }))).toEqual({ status: 401, code: "bad_credentials" });
    expect(await errorCode(await scan(firstSession, (await mintQr()).qr))).toEqual({ status: 401, code: "device_revoked" });
    const nextSession = await login(loginId, "second password");
    await json(await scan(nextSession, (await mintQr()).qr), 200);
    const { staff: listed } = await json<{ staff: { id: string; loginId: string }[] }>(await call("GET", "/v1/facility/staff", undefined, f.session), 200);
    expect(listed.filter((s) => s.loginId === loginId).map((s) => s.id)).toEqual([next.id]);
    expect(await errorCode(await call("POST", "/v1/facility/staff", staff("third password"), f.session))).toEqual({ status: 409, code: "login_taken" });
  });

  it("no device the staff member logs in while being removed can scan (R-F5)", async () => {
    const f = await activeFacility();
    const loginId = `race${crypto.randomUUID().slice(0, 8)}`;
    const password = "staff password 1";
    const { id } = await json<{ id: string }>(await call("POST", "/v1/facility/staff", { loginId, password, description: "후문 / back door" }, f.session), 201);
    // Logins of that account at once (5 get past the lockout), the owner removing it while they run.
    const logins = Array.from({ length: 20 }, () => call("POST", "/v1/login", { loginId, password }));
    await new Promise((r) => setTimeout(r, 5));
    expect((await call("DELETE", `/v1/facility/staff/${id}`, undefined, f.session)).status).toBe(204);
    const sessions: string[] = [];
    for (const res of await Promise.all(logins)) {
      if (res.status === 200) sessions.push(((await res.json()) as { session: string }).session);
      else expect([401, 423]).toContain((await errorCode(res)).status); // removed, or past the 5 tries in flight
    }
    // Whatever order the logins and the removal met in, none of their devices scans.
    const scans = await Promise.all(
      sessions.map(async (session) => {
        const res = await scan(session, (await mintQr()).qr);
        return res.ok ? "accepted" : (await errorCode(res)).code;
      }),
    );
    expect(scans.filter((code) => code !== "device_revoked" && code !== "session_invalid")).toEqual([]);
  });

  it("a device whose revocation reached the facility before its login did stays revoked (R-F5)", async () => {
    const f = await activeFacility();
    const session = await newFacilitySession(env, f.facilityId);
    const hash = await credentialHash(session);
    const expiresAt = Date.now() + HOUR;
    const object = facilityObject(env, f.facilityId);
    await object.reconcile({ facilityId: f.facilityId, status: "active", validFrom: null, validUntil: null, version: 0 }, [{ hash, accountId: "acc_removed", expiresAt }], Date.now());
    await object.addDevice({ sessionHash: hash, accountId: "acc_removed", expiresAt });
    expect(await errorCode(await scan(session, (await mintQr()).qr))).toEqual({ status: 401, code: "device_revoked" });
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
