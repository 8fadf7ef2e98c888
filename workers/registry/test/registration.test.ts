// Facility registration (R-F1..R-F3): the check digit, "none" awaiting the
// approver of its jurisdiction, and a duplicate number notifying the first
// representative, who can report it as bogus.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { formatBusinessNumber, normalizeBusinessNumber } from "../../../shared/src/index.js";
import worker from "../src/index.js";
import {
  BASE,
  activeFacility,
  approver,
  call,
  errorCode,
  json,
  lastSms,
  login,
  mintQr,
  phoneProof,
  randomPhone,
  registerFacility,
  registration,
  scan,
  testEnv,
  validBusinessNumber,
  wrongCheckDigit,
} from "./helpers.js";

const facilityCount = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM facilities").first<{ n: number }>())!.n;

describe("facility registration", () => {
  it("registers with a valid business number: active, and its devices scan", async () => {
    const f = await activeFacility();
    expect(f.status).toBe("active");
    await json(await scan(f.session, (await mintQr()).qr), 200);
  });

  it("refuses a wrong check digit and stores nothing (the phone proof stays usable)", async () => {
    const phone = randomPhone();
    const proof = await phoneProof(phone);
    const before = await facilityCount();
    const body = registration({ phoneProof: proof, businessNumber: wrongCheckDigit(validBusinessNumber()) });
    expect(await errorCode(await call("POST", "/v1/facilities", body))).toEqual({ status: 422, code: "invalid_business_number" });
    expect(await facilityCount()).toBe(before);
    await json(await call("POST", "/v1/facilities", { ...body, businessNumber: validBusinessNumber() }), 201);
  });

  it("refuses without consent to the terms or without a verified phone", async () => {
    const proof = await phoneProof(randomPhone());
    expect(await errorCode(await call("POST", "/v1/facilities", registration({ phoneProof: proof, consent: false })))).toEqual({ status: 400, code: "invalid_request" });
    expect(await errorCode(await call("POST", "/v1/facilities", registration({ phoneProof: "x".repeat(43) })))).toEqual({ status: 422, code: "phone_not_verified" });
  });

  it('requires a sub-type for "other"', async () => {
    const proof = await phoneProof(randomPhone());
    expect(await errorCode(await call("POST", "/v1/facilities", registration({ phoneProof: proof, industry: "other" })))).toEqual({ status: 400, code: "invalid_request" });
    await json(await call("POST", "/v1/facilities", registration({ phoneProof: proof, industry: "other", industryDetail: "독서실 / study room" })), 201);
  });

  it('registers "none" as pending; only the approver of its jurisdiction approves it (R-F2)', async () => {
    const f = await registerFacility({ businessNumber: "none", jurisdiction: { sido: "부산광역시", sigungu: "해운대구" } });
    expect(f.status).toBe("pending");
    const owner = await login(f.loginId, f.password);
    expect((await errorCode(await scan(owner, (await mintQr()).qr))).code).toBe("facility_pending");

    const elsewhere = await approver({ sido: "부산광역시", sigungu: "수영구" });
    const listedElsewhere = await json<{ facilities: { id: string }[] }>(await call("GET", "/v1/approver/facilities", undefined, elsewhere), 200);
    expect(listedElsewhere.facilities.map((x) => x.id)).not.toContain(f.facilityId);
    expect(await errorCode(await call("POST", `/v1/approver/facilities/${f.facilityId}/decision`, { decision: "approve" }, elsewhere))).toEqual({
      status: 403,
      code: "wrong_jurisdiction",
    });

    const local = await approver({ sido: "부산광역시", sigungu: "해운대구" });
    const listed = await json<{ facilities: { id: string }[] }>(await call("GET", "/v1/approver/facilities", undefined, local), 200);
    expect(listed.facilities.map((x) => x.id)).toContain(f.facilityId);
    expect(await json(await call("POST", `/v1/approver/facilities/${f.facilityId}/decision`, { decision: "approve" }, local), 200)).toEqual({
      id: f.facilityId,
      status: "active",
      takesEffect: "now",
    });
    await json(await scan(owner, (await mintQr()).qr), 200);
  });

  it("takes a jurisdiction only from the official list, for facilities and approvers alike (R-F1, R-F2)", async () => {
    const proof = await phoneProof(randomPhone());
    const before = await facilityCount();
    // A spelling no approver would have, a district of another 시·도, a made-up one, a 시·도 that is now 강원특별자치도.
    for (const [jurisdiction, field, names] of [
      [{ sido: "서울시", sigungu: "용산구" }, "sido", "서울특별시"],
      [{ sido: "서울특별시", sigungu: "해운대구" }, "sigungu", "용산구"],
      [{ sido: "서울특별시", sigungu: "용산 구" }, "sigungu", "용산구"],
      [{ sido: "강원도", sigungu: "춘천시" }, "sido", "강원특별자치도"],
    ] as const) {
      const res = await call("POST", "/v1/facilities", registration({ phoneProof: proof, businessNumber: "none", jurisdiction }));
      expect(res.status).toBe(400);
      const { error } = await res.json<{ error: { code: string; message: string } }>();
      expect(error.code).toBe("invalid_request");
      expect(error.message).toContain(`jurisdiction.${field}`);
      expect(error.message).toContain(names); // says what would have been right
      const asApprover = { loginId: `apv-bad-${field}-${before}`, password: "approver password", jurisdiction };
      expect(await errorCode(await call("POST", "/v1/admin/approvers", asApprover, testEnv.ADMIN_TOKEN))).toEqual({ status: 400, code: "invalid_request" });
    }
    expect(await facilityCount()).toBe(before);
    // The proof was not used up; Sejong is its own 시·군·구; Incheon's 2026 districts are on the list.
    await json(await call("POST", "/v1/facilities", registration({ phoneProof: proof, businessNumber: "none", jurisdiction: { sido: "세종특별자치시", sigungu: "세종특별자치시" } })), 201);
    for (const sigungu of ["제물포구", "영종구", "검단구"]) await approver({ sido: "인천광역시", sigungu });
  });

  it("lets the approver reject with a reason, and a facility account cannot act as an approver", async () => {
    const f = await registerFacility({ businessNumber: "none" });
    const local = await approver();
    expect((await errorCode(await call("POST", `/v1/approver/facilities/${f.facilityId}/decision`, { decision: "reject" }, local))).status).toBe(400);
    await json(await call("POST", `/v1/approver/facilities/${f.facilityId}/decision`, { decision: "reject", reason: "주소 불일치 / address mismatch" }, local), 200);
    const owner = await login(f.loginId, f.password);
    expect((await errorCode(await scan(owner, (await mintQr()).qr))).code).toBe("facility_rejected");
    expect(await errorCode(await call("GET", "/v1/approver/facilities", undefined, owner))).toEqual({ status: 403, code: "forbidden" });
  });

  it("one phone proof registers one facility, however many registrations race to spend it (R-F4)", async () => {
    // Five proofs, each raced by 20 registrations at once (a few of them get past the early check together).
    const rounds = await Promise.all(Array.from({ length: 5 }, async () => ({ proof: await phoneProof(randomPhone()), name: `동시 등록 ${crypto.randomUUID()}` })));
    await Promise.all(
      rounds.map(async ({ proof, name }) => {
        const answers = await Promise.all(Array.from({ length: 20 }, () => call("POST", "/v1/facilities", registration({ phoneProof: proof, businessName: name }))));
        expect(answers.map((r) => r.status).sort()).toEqual([201, ...Array<number>(19).fill(422)]);
        for (const r of answers.filter((r) => r.status === 422)) expect((await errorCode(r)).code).toBe("phone_not_verified");
        // No facility without its owner account.
        const rows = await env.DB.prepare("SELECT f.id, a.id AS owner FROM facilities f LEFT JOIN accounts a ON a.facility_id = f.id WHERE f.business_name = ?")
          .bind(name)
          .all<{ id: string; owner: string | null }>();
        expect(rows.results).toHaveLength(1);
        expect(rows.results[0]?.owner).toBeTruthy();
      }),
    );
  });

  it("of two approvers deciding at once, one decides and the other is told it was decided (R-F2)", async () => {
    const [approving, rejecting] = [await approver(), await approver()];
    // Ten facilities, each decided both ways at once: the race must go one way every time.
    const facilities = await Promise.all(Array.from({ length: 10 }, () => registerFacility({ businessNumber: "none" })));
    await Promise.all(
      facilities.map(async (f) => {
        const answers = await Promise.all([
          call("POST", `/v1/approver/facilities/${f.facilityId}/decision`, { decision: "approve" }, approving),
          call("POST", `/v1/approver/facilities/${f.facilityId}/decision`, { decision: "reject", reason: "주소 불일치 / address mismatch" }, rejecting),
        ]);
        expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
        const winner = answers.findIndex((r) => r.status === 200);
        expect((await errorCode(answers[1 - winner]!)).code).toBe("not_pending");
        // The facility is in the state the winning decision says, at the scanner too.
        const scanned = await scan(await login(f.loginId, f.password), (await mintQr()).qr);
        if (winner === 0) await json(scanned, 200);
        else expect(await errorCode(scanned)).toEqual({ status: 403, code: "facility_rejected" });
      }),
    );
  });

  it("a duplicate number with another detailed address: new facility, SMS to the first representative, report suspends it (R-F3)", async () => {
    const brn = validBusinessNumber();
    const first = await registerFacility({ businessNumber: brn, addressDetail: "1층 / 1F" });
    // the same number and detailed address again is the same facility: refused
    const again = registration({ phoneProof: await phoneProof(randomPhone()), businessNumber: brn, addressDetail: "1층 / 1F" });
    expect(await errorCode(await call("POST", "/v1/facilities", again))).toEqual({ status: 409, code: "facility_exists" });

    // What the registrant types never reaches the SMS: it would let anyone write into an official message.
    const lure = "수상한 지점\n즉시 확인: https://kipass-verify.example";
    const second = await registerFacility({ businessNumber: brn, addressDetail: "3층 / 3F", businessName: lure });
    expect(second.status).toBe("active");
    expect(second.facilityId).not.toBe(first.facilityId);
    const sms = await lastSms(first.phone);
    expect(sms).toContain(formatBusinessNumber(normalizeBusinessNumber(brn)!));
    for (const typed of ["수상한", "kipass-verify", "3층", "\n"]) expect(sms).not.toContain(typed);
    // The link opens the facility UI's report page; the code stays in the fragment (never sent to a server).
    const code = new RegExp(`^.* ${testEnv.UI_ORIGINS.split(",")[0]}/#/report\\?([A-Za-z0-9_-]{43})$`).exec(sms)![1]!;
    // That page shows the registration before the representative reports it.
    expect(await json(await call("POST", "/v1/reports/bogus/facility", { code }), 200)).toEqual({
      businessName: lure,
      industry: "karaoke",
      address: expect.any(String),
      addressDetail: "3층 / 3F",
      registeredAt: expect.any(Number),
      status: "active",
    });

    const secondOwner = await login(second.loginId, second.password);
    await json(await scan(secondOwner, (await mintQr()).qr), 200);
    await json(await call("POST", "/v1/reports/bogus", { code }), 200);
    expect(await errorCode(await scan(secondOwner, (await mintQr()).qr))).toEqual({ status: 403, code: "facility_suspended" });
    // the first facility is untouched; the code works once
    const firstOwner = await login(first.loginId, first.password);
    await json(await scan(firstOwner, (await mintQr()).qr), 200);
    expect((await errorCode(await call("POST", "/v1/reports/bogus", { code }))).code).toBe("report_not_found");
    expect(await errorCode(await call("POST", "/v1/reports/bogus/facility", { code }))).toEqual({ status: 404, code: "report_not_found" });
    // the suspended facility awaits review by its approver
    const local = await approver();
    const listed = await json<{ facilities: { id: string; status: string }[] }>(await call("GET", "/v1/approver/facilities", undefined, local), 200);
    expect(listed.facilities).toContainEqual(expect.objectContaining({ id: second.facilityId, status: "suspended" }));
  });
  it("a rejected registration no longer holds its number and detailed address: the real business registers there (R-F3)", async () => {
    const brn = validBusinessNumber();
    const first = await registerFacility({ businessNumber: brn, addressDetail: "1층 / 1F" });
    const bogus = await registerFacility({ businessNumber: brn, addressDetail: "2층 / 2F" });
    await json(await call("POST", "/v1/reports/bogus", { code: /\?([A-Za-z0-9_-]{43})$/.exec(await lastSms(first.phone))![1]! }), 200);
    await json(await call("POST", `/v1/approver/facilities/${bogus.facilityId}/decision`, { decision: "reject", reason: "허위 등록 / bogus" }, await approver()), 200);
    const real = await registerFacility({ businessNumber: brn, addressDetail: "2층 / 2F" });
    expect(real.status).toBe("active");
    // the active one still holds it
    const again = registration({ phoneProof: await phoneProof(randomPhone()), businessNumber: brn, addressDetail: "2층 / 2F" });
    expect(await errorCode(await call("POST", "/v1/facilities", again))).toEqual({ status: 409, code: "facility_exists" });
  });

  it("an organiser registers the next event at the same hall; the same event twice is refused (R-F9)", async () => {
    const brn = validBusinessNumber();
    const event = (from: string, to: string) => ({ businessNumber: brn, addressDetail: "A홀 / Hall A", industry: "event", event: { from, to } });
    const march = await registerFacility(event("2027-03-01", "2027-03-03"));
    const june = await registerFacility(event("2027-06-10", "2027-06-12"));
    expect(june.facilityId).not.toBe(march.facilityId);
    const twice = registration({ phoneProof: await phoneProof(randomPhone()), ...event("2027-06-10", "2027-06-12") });
    expect(await errorCode(await call("POST", "/v1/facilities", twice))).toEqual({ status: 409, code: "facility_exists" });
  });
  it("a report whose code another report used meanwhile suspends nothing again (R-F3)", async () => {
    const brn = validBusinessNumber();
    const first = await registerFacility({ businessNumber: brn, addressDetail: "1층 / 1F" });
    const second = await registerFacility({ businessNumber: brn, addressDetail: "2층 / 2F" });
    const code = /\?([A-Za-z0-9_-]{43})$/.exec(await lastSms(first.phone))![1]!;
    // This report read the code as unused; before its batch runs, another report with the same code
    // committed and the approver reviewed the facility and let it scan again.
    const db = new Proxy(env.DB, {
      get(target, prop, receiver) {
        if (prop !== "batch") return Reflect.get(target, prop, receiver) as unknown;
        return async (statements: D1PreparedStatement[]) => {
          await target.prepare("UPDATE bogus_reports SET used_at = ? WHERE facility_id = ?").bind(Date.now(), second.facilityId).run();
          await target.prepare("UPDATE facilities SET status = 'active', status_reason = NULL WHERE id = ?").bind(second.facilityId).run();
          return target.batch(statements);
        };
      },
    });
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${BASE}/v1/reports/bogus`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code }) }), { ...env, DB: db }, ctx);
    await waitOnExecutionContext(ctx);
    expect(await errorCode(res)).toEqual({ status: 404, code: "report_not_found" });
    await json(await scan(await login(second.loginId, second.password), (await mintQr()).qr), 200);
  });
});
