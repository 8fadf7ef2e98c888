/**
 * Facility registration (R-F1..R-F3, R-F9) and the bogus-registration report.
 * Every check runs before the first write: a refused registration stores nothing.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import {
  AppError,
  assertNotShutDown,
  credentialHash,
  decryptField,
  encryptField,
  errorResponses,
  INDUSTRY_CODES,
  formatBusinessNumber,
  hashPassword,
  isConstraintError,
  isSido,
  isValidBusinessNumber,
  kstDateIn,
  newCredential,
  normalizeBusinessNumber,
  SIDO_NAMES,
  sigunguOf,
} from "@kipass/shared";
import { newId } from "../auth.js";
import { fieldKey, smsProvider, type RegistryEnv } from "../config.js";
import { applyToFacility, markFacility } from "../directory/objects.js";
import { eventWindow, type FacilityStatus } from "../durable/facility.js";
import { checkPhoneProof } from "./phone.js";
import { takesEffectSchema } from "./takes-effect.js";

export const loginIdSchema = z.string().regex(/^[a-z0-9_.-]{4,32}$/, "4–32 of a-z 0-9 _ . -");
export const passwordSchema = z.string().min(8).max(128);
const text = (max: number) => z.string().trim().min(1).max(max);

/** 관할지역 (R-F1, R-F2): a 시·도 and one of its 시·군·구, by their official names (shared/src/jurisdiction.ts). */
export const jurisdictionSchema = z
  .object({ sido: z.string().trim().max(20), sigungu: z.string().trim().max(20) })
  .strict()
  .superRefine((v, ctx) => {
    if (!isSido(v.sido)) {
      ctx.addIssue({ code: "custom", path: ["sido"], message: `"${v.sido}" is not a 시·도; one of ${SIDO_NAMES.join(", ")}` });
    } else if (!sigunguOf(v.sido).includes(v.sigungu)) {
      ctx.addIssue({ code: "custom", path: ["sigungu"], message: `"${v.sigungu}" is not a 시·군·구 of ${v.sido}; one of ${sigunguOf(v.sido).join(", ")}` });
    }
  })
  .openapi({ description: "시·도 and 시·군·구 by official name, e.g. 서울특별시 / 용산구 (세종특별자치시 is its own 시·군·구)" });

const registrationSchema = z
  .object({
    consent: z.literal(true).openapi({ description: "이용약관 동의 / consent to the terms" }),
    phoneProof: z.string().min(20).max(100),
    loginId: loginIdSchema,
    password: passwordSchema,
    businessName: text(100),
    businessNumber: z.union([z.literal("none"), z.string().regex(/^\d{3}-?\d{2}-?\d{5}$/)]).openapi({ description: '사업자등록번호, or "none" (R-F2)' }),
    representative: text(50),
    businessPhone: z.string().regex(/^[0-9+\- ]{9,20}$/),
    industry: z.enum(INDUSTRY_CODES),
    industryDetail: text(50).optional(),
    jurisdiction: jurisdictionSchema,
    address: text(200),
    addressDetail: text(100),
    event: z.object({ from: kstDateIn, to: kstDateIn }).strict().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.industry === "other" && !v.industryDetail) ctx.addIssue({ code: "custom", path: ["industryDetail"], message: '"other" needs a sub-type' });
    if (v.industry === "event" && !v.event) ctx.addIssue({ code: "custom", path: ["event"], message: "an event needs its period (R-F9)" });
    if (v.industry !== "event" && v.event) ctx.addIssue({ code: "custom", path: ["event"], message: "only events have a period" });
    if (v.event && v.event.to < v.event.from) ctx.addIssue({ code: "custom", path: ["event", "to"], message: "ends before it starts" });
  });

const registerRoute = createRoute({
  method: "post",
  path: "/v1/facilities",
  summary: "Register a facility and its owner account (R-F1..R-F4, R-F9)",
  request: { body: { content: { "application/json": { schema: registrationSchema } }, required: true } },
  responses: {
    201: {
      description: "Registered (active, or pending local-government approval when registered without a number)",
      content: {
        "application/json": {
          schema: z.object({ facilityId: z.string(), status: z.enum(["active", "pending"]), message: z.string(), takesEffect: takesEffectSchema }).openapi("Registered"),
        },
      },
    },
    ...errorResponses(400, 409, 410, 413, 422),
  },
});

const reportCode = z.object({ code: z.string().min(20).max(100) }).strict();

const reportRoute = createRoute({
  method: "post",
  path: "/v1/reports/bogus",
  summary: "R-F3: the earlier representative reports a registration under their number as bogus; it is suspended pending review",
  request: { body: { content: { "application/json": { schema: reportCode } }, required: true } },
  responses: {
    200: { description: "Suspended", content: { "application/json": { schema: z.object({ ok: z.literal(true), message: z.string(), takesEffect: takesEffectSchema }) } } },
    ...errorResponses(400, 404),
  },
});

const reportedRoute = createRoute({
  method: "post",
  path: "/v1/reports/bogus/facility",
  summary: "R-F3: what the report link is about (the registration under the representative's number), before they decide to report it",
  request: { body: { content: { "application/json": { schema: reportCode } }, required: true } },
  responses: {
    200: {
      description: "The registration",
      content: {
        "application/json": {
          schema: z
            .object({
              businessName: z.string(),
              industry: z.string(),
              address: z.string(),
              addressDetail: z.string(),
              registeredAt: z.number().int(),
              status: z.enum(["active", "pending", "suspended", "rejected"]),
            })
            .openapi("ReportedFacility"),
        },
      },
    },
    ...errorResponses(400, 404),
  },
});

/** Where the representative opens the report link: the facility UI (its first origin), else the registry itself. */
const reportLink = (env: RegistryEnv["Bindings"], code: string) => `${env.UI_ORIGINS?.split(",")[0]?.trim() || env.PUBLIC_URL}/#/report?${code}`;

const unknownReport = () => new AppError(404, "report_not_found", "신고 코드가 없거나 이미 사용되었습니다 / Unknown or used report code");

export function mountFacilities(app: OpenAPIHono<RegistryEnv>): void {
  app.openapi(registerRoute, async (c) => {
    await assertNotShutDown(c.env.DB); // R-O4: no representative's name or phone after shutdown
    const now = c.var.clock.now();
    const body = c.req.valid("json");
    let number: string | null = null;
    if (body.businessNumber !== "none") {
      if (!isValidBusinessNumber(body.businessNumber)) {
        throw new AppError(422, "invalid_business_number", "사업자등록번호가 올바르지 않습니다(검증번호 불일치) / Business number check digit is wrong");
      }
      number = normalizeBusinessNumber(body.businessNumber);
    }
    const taken = await c.env.DB.prepare("SELECT 1 AS x FROM accounts WHERE login_id = ?").bind(body.loginId).first();
    if (taken) throw new AppError(409, "login_taken", "이미 사용 중인 아이디입니다 / That ID is taken");
    const window = body.event ? eventWindow(body.event.from, body.event.to) : { validFrom: null, validUntil: null };
    const earlier = number
      ? (
          await c.env.DB.prepare("SELECT id, address_detail, valid_from FROM facilities WHERE business_number = ? AND status != 'rejected' ORDER BY created_at")
            .bind(number)
            .all<{ id: string; address_detail: string; valid_from: number | null }>()
        ).results
      : [];
    // The same facility: same number and detailed address, and for an event (R-F9) the same start.
    if (earlier.some((f) => f.address_detail === body.addressDetail && f.valid_from === window.validFrom)) {
      throw new AppError(409, "facility_exists", "같은 사업자등록번호와 상세주소의 시설이 이미 있습니다 / Already registered at this detailed address");
    }
    await checkPhoneProof(c.env, body.phoneProof, now);

    const key = await fieldKey(c.env);
    const proof = await credentialHash(body.phoneProof);
    const facilityId = newId("fac");
    const status: FacilityStatus = number ? "active" : "pending"; // R-F2
    // One batch: the phone proof is spent only with the registration it proves (a refused or failed one
    // leaves it for the retry), and only one registration can spend it (each insert needs it unspent).
    const proven = "EXISTS (SELECT 1 FROM phone_proofs WHERE hash = ? AND expires_at > ?)";
    let inserted: D1Result | undefined;
    try {
      [inserted] = await c.env.DB.batch([
        c.env.DB.prepare(
          `INSERT INTO facilities (id, status, business_name, business_number, representative, business_phone, industry, industry_detail,
             sido, sigungu, address, address_detail, valid_from, valid_until, created_at)
           SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE ${proven}`,
        ).bind(
          facilityId,
          status,
          body.businessName,
          number,
          await encryptField(key, body.representative, `representative|${facilityId}`),
          await encryptField(key, body.businessPhone, `business_phone|${facilityId}`),
          body.industry,
          body.industryDetail ?? null,
          body.jurisdiction.sido,
          body.jurisdiction.sigungu,
          body.address,
          body.addressDetail,
          window.validFrom,
          window.validUntil,
          now,
          proof,
          now,
        ),
        c.env.DB.prepare(
          "INSERT INTO accounts (id, login_id, password_hash, role, facility_id, phone, created_at) SELECT ?, ?, ?, 'owner', ?, phone, ? FROM phone_proofs WHERE hash = ? AND expires_at > ?",
        ).bind(newId("acc"), body.loginId, await hashPassword(body.password), facilityId, now, proof, now),
        c.env.DB.prepare("DELETE FROM phone_proofs WHERE hash = ?").bind(proof),
        markFacility(c.env, facilityId),
      ]);
    } catch (err) {
      if (isConstraintError(err)) throw new AppError(409, "facility_exists", "이미 등록된 시설 또는 아이디입니다 / Facility or ID already registered");
      throw err;
    }
    const takesEffect = await applyToFacility(c.env, facilityId, now); // also clears the mark when nothing was inserted
    if (!inserted?.meta.changes) throw new AppError(422, "phone_not_verified", "휴대전화 인증을 먼저 해 주세요 / Verify your phone first");

    // R-F3: tell the first representative under this number, with a way to report it.
    const first = earlier[0];
    if (first && number) {
      const owner = await c.env.DB.prepare("SELECT phone FROM accounts WHERE facility_id = ? AND role = 'owner' AND removed_at IS NULL")
        .bind(first.id)
        .first<{ phone: string | null }>();
      const to = owner?.phone ? await decryptField(key, owner.phone, "phone") : null;
      if (to) {
        const code = newCredential();
        await c.env.DB.prepare("INSERT INTO bogus_reports (hash, facility_id, created_at) VALUES (?, ?, ?)")
          .bind(await credentialHash(code), facilityId, now)
          .run();
        // The facility is registered either way: a failed notice is logged, not turned into a failed registration.
        // Nothing the registrant typed goes into this message (it would let anyone write into an official SMS):
        // the link's page shows the registration.
        await smsProvider(c.env, () => now).send({
          to,
          text:
            `[KI-Pass 출입명부] 사업자등록번호 ${formatBusinessNumber(number)}로 새 시설이 등록되었습니다. 확인하고, 본인이 등록하지 않았다면 신고하세요 / ` +
            `A new facility was registered under your business number; check it and report it if it was not you: ${reportLink(c.env, code)}`,
        }).catch((err: unknown) => console.error("R-F3 notice not sent", err instanceof Error ? err.message : String(err)));
      }
    }
    const message =
      status !== "active"
        ? "시설이 등록되었습니다. 관할 지자체 승인 후 사용할 수 있습니다 / Registered: usable once the local government approves it"
        : takesEffect === "now"
          ? "시설이 등록되었습니다 / Facility registered"
          : "시설이 등록되었습니다. 1분 안에 스캔할 수 있습니다 / Facility registered: scanning works within a minute";
    return c.json({ facilityId, status: status as "active" | "pending", message, takesEffect }, 201);
  });

  app.openapi(reportedRoute, async (c) => {
    const hash = await credentialHash(c.req.valid("json").code);
    const f = await c.env.DB.prepare(
      `SELECT f.business_name, f.industry, f.address, f.address_detail, f.created_at, f.status FROM bogus_reports r JOIN facilities f ON f.id = r.facility_id
       WHERE r.hash = ? AND r.used_at IS NULL`,
    )
      .bind(hash)
      .first<{ business_name: string; industry: string; address: string; address_detail: string; created_at: number; status: FacilityStatus }>();
    if (!f) throw unknownReport();
    return c.json({ businessName: f.business_name, industry: f.industry, address: f.address, addressDetail: f.address_detail, registeredAt: f.created_at, status: f.status }, 200);
  });

  app.openapi(reportRoute, async (c) => {
    const now = c.var.clock.now();
    const hash = await credentialHash(c.req.valid("json").code);
    const report = await c.env.DB.prepare("SELECT facility_id FROM bogus_reports WHERE hash = ? AND used_at IS NULL").bind(hash).first<{ facility_id: string }>();
    if (!report) throw unknownReport();
    // One batch: a code is never used up without its suspension (a retry after a failure still works), and
    // the suspension needs the code unused in the same transaction: a second report with the same code, read
    // before the first committed, must not suspend again what an approver has reviewed meanwhile.
    const [, consumed] = await c.env.DB.batch([
      c.env.DB.prepare(
        "UPDATE facilities SET status = 'suspended', status_reason = 'reported_bogus' WHERE id = ? AND status != 'rejected' AND EXISTS (SELECT 1 FROM bogus_reports WHERE hash = ? AND used_at IS NULL)",
      ).bind(report.facility_id, hash),
      c.env.DB.prepare("UPDATE bogus_reports SET used_at = ? WHERE hash = ? AND used_at IS NULL").bind(now, hash),
      markFacility(c.env, report.facility_id),
    ]);
    if (consumed?.meta.changes !== 1) throw unknownReport();
    const takesEffect = await applyToFacility(c.env, report.facility_id, now);
    const message =
      takesEffect === "now"
        ? "신고가 접수되어 해당 시설을 정지했습니다(검토 대기) / Reported: the facility is suspended pending review"
        : "신고가 접수되었습니다. 해당 시설은 1분 안에 정지됩니다(검토 대기) / Reported: the facility is suspended within a minute, pending review";
    return c.json({ ok: true as const, message, takesEffect }, 200);
  });
}
