/**
 * Signing in and managing investigators. The first supervisor is created
 * with the deployment's BOOTSTRAP_TOKEN secret, once, while no investigator
 * exists; supervisors then add and remove the others.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { AppError, errorResponses } from "@kipass/shared";
import { audit, requireInvestigator, type AuthorityEnv } from "../context.js";
import { Investigators } from "../investigators.js";

const loginId = z.string().regex(/^[a-z0-9][a-z0-9._-]{2,31}$/, "3–32 lowercase letters, digits, . _ -");
const password = z.string().min(10, "at least 10 characters").max(200);
const investigatorOut = z.object({ id: z.string(), name: z.string(), role: z.enum(["investigator", "supervisor"]) }).openapi("Investigator");
const newInvestigator = z.object({ id: loginId, name: z.string().trim().min(1).max(60), role: z.enum(["investigator", "supervisor"]), password }).strict();
const json = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } }, required: true as const });
const bearer = [{ bearer: [] }];

const bootstrapRoute = createRoute({
  method: "post",
  path: "/api/bootstrap",
  summary: "Create the first supervisor (BOOTSTRAP_TOKEN secret; only while no investigator exists)",
  request: { headers: z.object({ authorization: z.string() }), body: json(newInvestigator.extend({ role: z.literal("supervisor") })) },
  responses: { 201: { description: "Created", content: { "application/json": { schema: investigatorOut } } }, ...errorResponses(400, 401, 409) },
});

const loginRoute = createRoute({
  method: "post",
  path: "/api/login",
  summary: "Sign in; returns a bearer token",
  request: { body: json(z.object({ id: z.string().max(64), password: z.string().max(200) }).strict()) },
  responses: {
    200: {
      description: "Signed in",
      content: { "application/json": { schema: z.object({ token: z.string(), expiresAt: z.number(), investigator: investigatorOut }) } },
    },
    ...errorResponses(400, 401, 423),
  },
});

const logoutRoute = createRoute({ method: "post", path: "/api/logout", security: bearer, responses: { 204: { description: "Signed out" }, ...errorResponses(401) } });
const meRoute = createRoute({
  method: "get",
  path: "/api/me",
  security: bearer,
  responses: { 200: { description: "The signed-in investigator", content: { "application/json": { schema: investigatorOut } } }, ...errorResponses(401) },
});
const listRoute = createRoute({
  method: "get",
  path: "/api/investigators",
  security: bearer,
  summary: "Supervisor: every investigator",
  responses: {
    200: { description: "Investigators", content: { "application/json": { schema: z.array(investigatorOut.extend({ active: z.boolean() })) } } },
    ...errorResponses(401, 403),
  },
});
const createRouteDef = createRoute({
  method: "post",
  path: "/api/investigators",
  security: bearer,
  summary: "Supervisor: add an investigator",
  request: { body: json(newInvestigator) },
  responses: { 201: { description: "Created", content: { "application/json": { schema: investigatorOut } } }, ...errorResponses(400, 401, 403, 409) },
});
const removeRoute = createRoute({
  method: "delete",
  path: "/api/investigators/{id}",
  security: bearer,
  summary: "Supervisor: deactivate an investigator; their sessions end at once",
  request: { params: z.object({ id: loginId }) },
  responses: { 204: { description: "Deactivated" }, ...errorResponses(401, 403, 404) },
});

export function mountSessionRoutes(app: OpenAPIHono<AuthorityEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });

  app.openapi(bootstrapRoute, async (c) => {
    const expected = c.env.BOOTSTRAP_TOKEN;
    if (!expected || c.req.valid("header").authorization !== `Bearer ${expected}`) {
      throw new AppError(401, "unauthenticated", "bootstrap token required");
    }
    const now = c.var.clock.now();
    const created = await new Investigators(c.env.DB).create(c.req.valid("json"), null, now);
    await audit(c.env, { at: now, investigator: created.id, caseId: null, action: "bootstrap", outcome: "created supervisor" });
    return c.json(created, 201);
  });

  app.openapi(loginRoute, async (c) => {
    const { id, password: pw } = c.req.valid("json");
    const now = c.var.clock.now();
    try {
      const session = await new Investigators(c.env.DB).login(id, pw, now);
      await audit(c.env, { at: now, investigator: id, caseId: null, action: "login", outcome: "ok" });
      return c.json(session, 200);
    } catch (err) {
      if (err instanceof AppError) await audit(c.env, { at: now, investigator: id, caseId: null, action: "login", outcome: err.code });
      throw err;
    }
  });

  app.use("/api/logout", requireInvestigator());
  app.openapi(logoutRoute, async (c) => {
    await new Investigators(c.env.DB).logout(c.req.header("authorization")!.slice("Bearer ".length));
    return c.body(null, 204);
  });

  app.use("/api/me", requireInvestigator());
  app.openapi(meRoute, (c) => c.json(c.var.investigator, 200));

  app.use("/api/investigators", requireInvestigator("supervisor"));
  app.use("/api/investigators/*", requireInvestigator("supervisor"));
  app.openapi(listRoute, async (c) => c.json(await new Investigators(c.env.DB).list(), 200));
  app.openapi(createRouteDef, async (c) => {
    const now = c.var.clock.now();
    const created = await new Investigators(c.env.DB).create(c.req.valid("json"), c.var.investigator.id, now);
    await audit(c.env, { at: now, investigator: c.var.investigator.id, caseId: null, action: `add investigator ${created.id}`, outcome: created.role });
    return c.json(created, 201);
  });
  app.openapi(removeRoute, async (c) => {
    const { id } = c.req.valid("param");
    const now = c.var.clock.now();
    await new Investigators(c.env.DB).deactivate(id);
    await audit(c.env, { at: now, investigator: c.var.investigator.id, caseId: null, action: `deactivate investigator ${id}`, outcome: "ok" });
    return c.body(null, 204);
  });
}
