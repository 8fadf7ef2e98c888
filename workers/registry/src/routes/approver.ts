/**
 * Local-government approvers (R-F2): list facilities of their jurisdiction
 * awaiting approval or review, approve or reject with a reason. Approver
 * accounts are created by the operator with ADMIN_TOKEN.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { AppError, errorResponses, hashPassword, isConstraintError } from "@kipass/shared";
import { bearer, newId, requireAccount, type AccountEnv } from "../auth.js";
import type { RegistryEnv } from "../config.js";
import { applyToFacility, markFacility } from "../directory/objects.js";
import type { FacilityStatus } from "../durable/facility.js";
import { jurisdictionSchema, loginIdSchema, passwordSchema } from "./facilities.js";
import { takesEffectSchema } from "./takes-effect.js";

const pendingOut = z
  .object({
    id: z.string(),
    status: z.enum(["pending", "suspended"]),
    statusReason: z.string().nullable(),
    businessName: z.string(),
    industry: z.string(),
    address: z.string(),
    addressDetail: z.string(),
    createdAt: z.number().int(),
  })
  .openapi("FacilityForReview");

const listRoute = createRoute({
  method: "get",
  path: "/v1/approver/facilities",
  summary: "Facilities of my jurisdiction awaiting approval (R-F2) or review (R-F3 reports)",
  responses: { 200: { description: "Pending", content: { "application/json": { schema: z.object({ facilities: z.array(pendingOut) }) } } }, ...errorResponses(401, 403) },
});

const decideRoute = createRoute({
  method: "post",
  path: "/v1/approver/facilities/{id}/decision",
  summary: "Approve, or reject with a reason",
  request: {
    params: z.object({ id: z.string().min(1).max(40) }),
    body: {
      content: {
        "application/json": {
          schema: z
            .object({ decision: z.enum(["approve", "reject"]), reason: z.string().trim().min(1).max(500).optional() })
            .strict()
            .refine((v) => v.decision === "approve" || v.reason !== undefined, { message: "a rejection needs a reason", path: ["reason"] }),
        },
      },
      required: true,
    },
  },
  responses: {
    200: { description: "Decided", content: { "application/json": { schema: z.object({ id: z.string(), status: z.enum(["active", "rejected"]), takesEffect: takesEffectSchema }) } } },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const createApproverRoute = createRoute({
  method: "post",
  path: "/v1/admin/approvers",
  summary: "Operator: create a local-government approver account (Authorization: Bearer ADMIN_TOKEN)",
  request: {
    body: { content: { "application/json": { schema: z.object({ loginId: loginIdSchema, password: passwordSchema, jurisdiction: jurisdictionSchema }).strict() } }, required: true },
  },
  responses: { 201: { description: "Created", content: { "application/json": { schema: z.object({ id: z.string() }) } } }, ...errorResponses(400, 401, 409) },
});

export function mountApprover(app: OpenAPIHono<RegistryEnv>): void {
  app.openapi(createApproverRoute, async (c) => {
    const token = bearer(c.req.header("authorization"));
    if (!c.env.ADMIN_TOKEN || token !== c.env.ADMIN_TOKEN) throw new AppError(401, "not_operator", "운영자 인증이 필요합니다 / Operator token required");
    const body = c.req.valid("json");
    const id = newId("acc");
    try {
      await c.env.DB.prepare("INSERT INTO accounts (id, login_id, password_hash, role, sido, sigungu, created_at) VALUES (?, ?, ?, 'approver', ?, ?, ?)")
        .bind(id, body.loginId, await hashPassword(body.password), body.jurisdiction.sido, body.jurisdiction.sigungu, c.var.clock.now())
        .run();
    } catch (err) {
      if (isConstraintError(err)) throw new AppError(409, "login_taken", "이미 사용 중인 아이디입니다 / That ID is taken");
      throw err;
    }
    return c.json({ id }, 201);
  });

  const authed = app as unknown as OpenAPIHono<AccountEnv>;
  authed.use("/v1/approver/*", requireAccount("approver"));
  authed.openapi(listRoute, async (c) => {
    const a = c.var.account;
    const { results } = await c.env.DB.prepare(
      `SELECT id, status, status_reason, business_name, industry, address, address_detail, created_at FROM facilities
       WHERE status IN ('pending', 'suspended') AND sido = ? AND sigungu = ? ORDER BY created_at LIMIT 200`,
    )
      .bind(a.sido, a.sigungu)
      .all<{ id: string; status: "pending" | "suspended"; status_reason: string | null; business_name: string; industry: string; address: string; address_detail: string; created_at: number }>();
    return c.json(
      {
        facilities: results.map((r) => ({
          id: r.id,
          status: r.status,
          statusReason: r.status_reason,
          businessName: r.business_name,
          industry: r.industry,
          address: r.address,
          addressDetail: r.address_detail,
          createdAt: r.created_at,
        })),
      },
      200,
    );
  });

  authed.openapi(decideRoute, async (c) => {
    const a = c.var.account;
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const facility = await c.env.DB.prepare("SELECT status, sido, sigungu FROM facilities WHERE id = ?")
      .bind(id)
      .first<{ status: FacilityStatus; sido: string; sigungu: string }>();
    if (!facility) throw new AppError(404, "facility_not_found", "시설을 찾을 수 없습니다 / No such facility");
    if (facility.sido !== a.sido || facility.sigungu !== a.sigungu) {
      throw new AppError(403, "wrong_jurisdiction", "관할 지역의 시설이 아닙니다 / Not a facility of your jurisdiction");
    }
    if (facility.status !== "pending" && facility.status !== "suspended") {
      throw new AppError(409, "not_pending", "승인 대기 중인 시설이 아닙니다 / Facility is not awaiting a decision");
    }
    const status = body.decision === "approve" ? "active" : "rejected";
    const now = c.var.clock.now();
    // Only from the status read above: of two approvers deciding at once, one decides and the other gets 409.
    const [decided] = await c.env.DB.batch([
      c.env.DB.prepare("UPDATE facilities SET status = ?, status_reason = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = ? RETURNING id").bind(
        status,
        body.reason ?? null,
        a.accountId,
        now,
        id,
        facility.status,
      ),
      markFacility(c.env, id),
    ]);
    const takesEffect = await applyToFacility(c.env, id, now);
    if (!decided?.results.length) throw new AppError(409, "not_pending", "다른 담당자가 이미 결정했습니다 / Another approver has just decided on this facility");
    return c.json({ id, status, takesEffect }, 200);
  });
}
