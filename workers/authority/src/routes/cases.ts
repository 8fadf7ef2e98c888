/** Cases: every trace belongs to one, opened by a named investigator (R-A3). */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { AppError, errorResponses } from "@kipass/shared";
import { auditCase } from "../audit-check.js";
import { audit, requireInvestigator, type AuthorityEnv } from "../context.js";
import { CONNECTIVITY_CASE } from "./parties.js";

export const caseId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{2,63}$/, "3–64 letters, digits and -");
const caseOut = z.object({ id: z.string(), title: z.string(), openedBy: z.string(), openedAt: z.number() }).openapi("Case");
const bearer = [{ bearer: [] }];

const openCase = createRoute({
  method: "post",
  path: "/api/cases",
  security: bearer,
  summary: "Open a case for a confirmed patient",
  request: { body: { required: true, content: { "application/json": { schema: z.object({ id: caseId, title: z.string().trim().min(1).max(120) }).strict() } } } },
  responses: { 201: { description: "Opened", content: { "application/json": { schema: caseOut } } }, ...errorResponses(400, 401, 409) },
});

/** Cases a page at a time: at thousands of cases a day one page is hours, and every open case must stay reachable. */
const CASES_PAGE = 200;
/** The last case of a page, `<openedAt>.<id>` (a case id has no "."): ties in openedAt are ordered by id. */
const NEXT_HEADER = "x-next-before";
const CURSOR = /^(\d{1,15})\.([A-Za-z0-9][A-Za-z0-9-]{2,63})$/;
const cursorIn = z.string().regex(CURSOR, `the ${NEXT_HEADER} header of the previous page`);
const prefixIn = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "1–64 letters, digits and -");

const listCases = createRoute({
  method: "get",
  path: "/api/cases",
  security: bearer,
  summary: `Open cases, newest first, ${CASES_PAGE} a page`,
  request: {
    query: z.object({
      before: cursorIn.optional().openapi({ description: `The next page: the previous answer's \`${NEXT_HEADER}\` header (send the same \`prefix\` again)` }),
      prefix: prefixIn.optional().openapi({ description: "Only cases whose id starts with this (case-sensitive, as ids are)" }),
    }),
  },
  responses: {
    200: {
      description: `Cases, newest first; when more follow, the \`${NEXT_HEADER}\` header is the \`before\` that asks for them`,
      headers: z.object({ [NEXT_HEADER]: z.string().optional() }),
      content: { "application/json": { schema: z.array(caseOut) } },
    },
    ...errorResponses(400, 401),
  },
});

interface CaseRow {
  id: string;
  title: string;
  opened_by: string;
  opened_at: number;
}

/** Traces and safe-number look-ups run only under a case that is open (R-A3). */
export async function requireOpenCase(env: Env, id: string): Promise<void> {
  const open = await env.DB.prepare("SELECT id FROM cases WHERE id = ?").bind(id).first();
  if (!open) throw new AppError(404, "case_not_found", `open the case "${id}" first`);
}

const toCase = (r: CaseRow) => ({ id: r.id, title: r.title, openedBy: r.opened_by, openedAt: r.opened_at });

export function mountCaseRoutes(app: OpenAPIHono<AuthorityEnv>): void {
  app.use("/api/cases", requireInvestigator());
  app.use("/api/cases/*", requireInvestigator());

  app.openapi(openCase, async (c) => {
    const { id, title } = c.req.valid("json");
    const now = c.var.clock.now();
    try {
      await c.env.DB.prepare("INSERT INTO cases (id, title, opened_by, opened_at) VALUES (?, ?, ?, ?)").bind(id, title, c.var.investigator.id, now).run();
    } catch (err) {
      if (/constraint/i.test(String(err))) throw new AppError(409, "case_exists", `case "${id}" is already open`);
      throw err;
    }
    await audit(c.env, { at: now, investigator: c.var.investigator.id, caseId: id, action: "open case", outcome: "ok" });
    return c.json({ id, title, openedBy: c.var.investigator.id, openedAt: now }, 201);
  });

  app.openapi(listCases, async (c) => {
    const { before, prefix } = c.req.valid("query");
    const where: string[] = [];
    const binds: (string | number)[] = [];
    if (prefix) {
      // GLOB, not LIKE: case-sensitive like the id itself (LIKE folds ASCII case), and the prefix has no wildcard characters.
      where.push("id GLOB ?");
      binds.push(`${prefix}*`);
    }
    const after = before ? CURSOR.exec(before) : null; // its form already checked by the query schema
    if (after) {
      where.push("(opened_at, id) < (?, ?)");
      binds.push(Number(after[1]), after[2]!);
    }
    // One row more than a page says whether another page follows.
    const { results } = await c.env.DB.prepare(
      `SELECT * FROM cases ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY opened_at DESC, id DESC LIMIT ?`,
    )
      .bind(...binds, CASES_PAGE + 1)
      .all<CaseRow>();
    const page = results.slice(0, CASES_PAGE);
    const last = page.at(-1);
    const headers: Record<string, string> = results.length > CASES_PAGE && last ? { [NEXT_HEADER]: `${last.opened_at}.${last.id}` } : {};
    return c.json(page.map(toCase), 200, headers);
  });
}

const auditRow = z.object({ requestId: z.string(), party: z.string(), at: z.number(), path: z.string(), sent: z.string(), received: z.string() });
const caseAuditRoute = createRoute({
  method: "get",
  path: "/api/cases/{caseId}/audit",
  security: bearer,
  summary: "Supervisor: the case's requests in the authority's log next to each party's log, with every hash chain verified",
  request: { params: z.object({ caseId }) },
  responses: {
    200: {
      description: "Side by side; `problems` lists tampered chains and requests missing on either side",
      content: {
        "application/json": {
          schema: z
            .object({
              caseId: z.string(),
              chains: z.array(z.object({ party: z.string(), check: z.object({ ok: z.boolean() }).passthrough() })),
              rows: z.array(auditRow),
              problems: z.array(z.string()),
            })
            .openapi("CaseAudit"),
        },
      },
    },
    ...errorResponses(401, 403, 404),
  },
});

export function mountCaseAudit(app: OpenAPIHono<AuthorityEnv>): void {
  app.use(caseAuditRoute.path.replace("{caseId}", ":caseId"), requireInvestigator("supervisor"));
  app.openapi(caseAuditRoute, async (c) => {
    const { caseId: id } = c.req.valid("param");
    const now = c.var.clock.now();
    // R-A3: signed requests go out only under an open case, this audit's too (or the connectivity check's pings).
    const known = id === CONNECTIVITY_CASE || (await c.env.DB.prepare("SELECT 1 AS x FROM cases WHERE id = ?").bind(id).first());
    if (!known) throw new AppError(404, "case_not_found", `no case "${id}"`);
    const result = await auditCase(c.env, id, { caseId: id, investigator: c.var.investigator.id, purpose: "audit", clock: c.var.clock });
    await audit(c.env, { at: now, investigator: c.var.investigator.id, caseId: id, action: "audit case", outcome: result.problems.length ? `${result.problems.length} problems` : "consistent" });
    return c.json(result, 200);
  });
}
