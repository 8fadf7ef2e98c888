/**
 * Logins (R-F4), sessions the owner can revoke, and staff accounts (R-F5):
 * the owner adds and removes staff — each can run a scanner device, and
 * removing one refuses its live sessions at once.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { AppError, errorResponses, hashPassword, isConstraintError } from "@kipass/shared";
import { login, newId, requireAccount, revokeSessions, type AccountEnv } from "../auth.js";
import type { RegistryEnv } from "../config.js";
import { loginIdSchema, passwordSchema } from "./facilities.js";
import { LATER_MESSAGE, appliedLater } from "./takes-effect.js";

const loginRoute = createRoute({
  method: "post",
  path: "/v1/login",
  summary: "ID + password → session (locked for 15 minutes after 5 failures)",
  request: {
    body: { content: { "application/json": { schema: z.object({ loginId: z.string().min(1).max(64), password: z.string().min(1).max(128) }).strict() } }, required: true },
  },
  responses: {
    200: {
      description: "Logged in",
      content: {
        "application/json": {
          schema: z
            .object({ session: z.string(), sessionId: z.string(), role: z.enum(["owner", "staff", "approver"]), facilityId: z.string().nullable(), expiresAt: z.number().int() })
            .openapi("Session"),
        },
      },
    },
    ...errorResponses(400, 401, 423),
  },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/v1/logout",
  summary: "End this session",
  responses: { 204: { description: "Logged out" }, ...appliedLater, ...errorResponses(401) },
});

const sessionOut = z.object({ id: z.string(), loginId: z.string(), createdAt: z.number().int(), expiresAt: z.number().int(), current: z.boolean() });
const sessionsRoute = createRoute({
  method: "get",
  path: "/v1/sessions",
  summary: "Live sessions: the owner sees every account of the facility; others their own",
  responses: { 200: { description: "Sessions", content: { "application/json": { schema: z.object({ sessions: z.array(sessionOut) }) } } }, ...errorResponses(401) },
});

const revokeRoute = createRoute({
  method: "delete",
  path: "/v1/sessions/{id}",
  summary: "Revoke a session (the owner: any of the facility's)",
  request: { params: z.object({ id: z.string().min(1).max(40) }) },
  responses: { 204: { description: "Revoked" }, ...appliedLater, ...errorResponses(401, 404) },
});

const staffIn = z.object({ loginId: loginIdSchema, password: passwordSchema, description: z.string().trim().min(1).max(100) }).strict();
const staffOut = z.object({ id: z.string(), loginId: z.string(), description: z.string(), createdAt: z.number().int() }).openapi("Staff");

const addStaffRoute = createRoute({
  method: "post",
  path: "/v1/facility/staff",
  summary: 'R-F5: add a staff account (e.g. "정문 입구 / main entrance")',
  request: { body: { content: { "application/json": { schema: staffIn } }, required: true } },
  responses: { 201: { description: "Added", content: { "application/json": { schema: staffOut } } }, ...errorResponses(400, 401, 403, 409) },
});

const listStaffRoute = createRoute({
  method: "get",
  path: "/v1/facility/staff",
  summary: "Staff accounts of this facility",
  responses: { 200: { description: "Staff", content: { "application/json": { schema: z.object({ staff: z.array(staffOut) }) } } }, ...errorResponses(401, 403) },
});

const removeStaffRoute = createRoute({
  method: "delete",
  path: "/v1/facility/staff/{id}",
  summary: "Remove a staff account; its devices are refused from the next scan on",
  request: { params: z.object({ id: z.string().min(1).max(40) }) },
  responses: { 204: { description: "Removed" }, ...appliedLater, ...errorResponses(401, 403, 404) },
});

export function mountAccounts(app: OpenAPIHono<RegistryEnv>): void {
  app.openapi(loginRoute, async (c) => {
    const { loginId, password } = c.req.valid("json");
    return c.json(await login(c.env, loginId, password, c.var.clock.now()), 200);
  });

  const authed = app as unknown as OpenAPIHono<AccountEnv>;
  authed.use(logoutRoute.path, requireAccount("owner", "staff", "approver"));
  authed.openapi(logoutRoute, async (c) => {
    const a = c.var.account;
    const effect = await revokeSessions(c.env, a.accountId, a.facilityId, c.var.clock.now(), { sessionId: a.sessionId });
    return effect === "now" ? c.body(null, 204) : c.json({ takesEffect: effect, message: LATER_MESSAGE }, 202);
  });

  authed.use("/v1/sessions", requireAccount("owner", "staff", "approver"));
  authed.use("/v1/sessions/*", requireAccount("owner", "staff", "approver"));
  authed.openapi(sessionsRoute, async (c) => {
    const a = c.var.account;
    const now = c.var.clock.now();
    const query =
      a.role === "owner"
        ? c.env.DB.prepare(
            `SELECT s.id, a.login_id, s.created_at, s.expires_at FROM sessions s JOIN accounts a ON a.id = s.account_id
             WHERE a.facility_id = ? AND s.revoked_at IS NULL AND s.expires_at > ? ORDER BY s.created_at`,
          ).bind(a.facilityId, now)
        : c.env.DB.prepare(
            `SELECT s.id, a.login_id, s.created_at, s.expires_at FROM sessions s JOIN accounts a ON a.id = s.account_id
             WHERE a.id = ? AND s.revoked_at IS NULL AND s.expires_at > ? ORDER BY s.created_at`,
          ).bind(a.accountId, now);
    const { results } = await query.all<{ id: string; login_id: string; created_at: number; expires_at: number }>();
    return c.json(
      { sessions: results.map((r) => ({ id: r.id, loginId: r.login_id, createdAt: r.created_at, expiresAt: r.expires_at, current: r.id === a.sessionId })) },
      200,
    );
  });

  authed.openapi(revokeRoute, async (c) => {
    const a = c.var.account;
    const target = await c.env.DB.prepare(
      "SELECT s.account_id, a.facility_id FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.id = ? AND s.revoked_at IS NULL",
    )
      .bind(c.req.valid("param").id)
      .first<{ account_id: string; facility_id: string | null }>();
    const allowed = target && (target.account_id === a.accountId || (a.role === "owner" && target.facility_id === a.facilityId));
    if (!target || !allowed) throw new AppError(404, "session_not_found", "세션을 찾을 수 없습니다 / No such session");
    const effect = await revokeSessions(c.env, target.account_id, target.facility_id, c.var.clock.now(), { sessionId: c.req.valid("param").id });
    return effect === "now" ? c.body(null, 204) : c.json({ takesEffect: effect, message: LATER_MESSAGE }, 202);
  });

  authed.use("/v1/facility/staff", requireAccount("owner"));
  authed.use("/v1/facility/staff/*", requireAccount("owner"));
  authed.openapi(addStaffRoute, async (c) => {
    const a = c.var.account;
    const body = c.req.valid("json");
    const id = newId("acc");
    const now = c.var.clock.now();
    try {
      await c.env.DB.prepare(
        "INSERT INTO accounts (id, login_id, password_hash, role, facility_id, description, created_at) VALUES (?, ?, ?, 'staff', ?, ?, ?)",
      )
        .bind(id, body.loginId, await hashPassword(body.password), a.facilityId, body.description, now)
        .run();
    } catch (err) {
      if (isConstraintError(err)) throw new AppError(409, "login_taken", "이미 사용 중인 아이디입니다 / That ID is taken");
      throw err;
    }
    return c.json({ id, loginId: body.loginId, description: body.description, createdAt: now }, 201);
  });

  authed.openapi(listStaffRoute, async (c) => {
    const { results } = await c.env.DB.prepare(
      "SELECT id, login_id, description, created_at FROM accounts WHERE facility_id = ? AND role = 'staff' AND removed_at IS NULL ORDER BY created_at",
    )
      .bind(c.var.account.facilityId)
      .all<{ id: string; login_id: string; description: string; created_at: number }>();
    return c.json({ staff: results.map((r) => ({ id: r.id, loginId: r.login_id, description: r.description, createdAt: r.created_at })) }, 200);
  });

  authed.openapi(removeStaffRoute, async (c) => {
    const a = c.var.account;
    const now = c.var.clock.now();
    const row = await c.env.DB.prepare("SELECT id FROM accounts WHERE id = ? AND facility_id = ? AND role = 'staff' AND removed_at IS NULL")
      .bind(c.req.valid("param").id, a.facilityId)
      .first<{ id: string }>();
    if (!row) throw new AppError(404, "staff_not_found", "직원 계정을 찾을 수 없습니다 / No such staff account");
    const effect = await revokeSessions(c.env, row.id, a.facilityId, now, { removeAccount: true });
    return effect === "now" ? c.body(null, 204) : c.json({ takesEffect: effect, message: LATER_MESSAGE }, 202);
  });
}
