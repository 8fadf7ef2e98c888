/**
 * Paper logs (R-P1): an investigator resolves the safe numbers (개인안심번호)
 * written on a facility's paper log, within an open case. The code does not
 * say which issuer gave it, so every configured issuer is asked with a signed
 * request (each call audited with the case, parties.ts); a code can be live
 * at two issuers on the same day, so every match comes back with its issuer
 * and day, and the investigator compares the name on the paper. An issuer
 * that fails is named, never a silently short answer.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { RETENTION_DAYS, errorResponses, kstDateIn, kstDatesWithin, normalizeSafeNumber, safeNumberIn } from "@kipass/shared";
import { audit, type AuthorityEnv } from "../context.js";
import { callParty, parties } from "../parties.js";
import { caseId, requireOpenCase } from "./cases.js";

const PURPOSE = "contact_tracing";

const resolveIn = z
  .object({
    safeNumbers: z.array(safeNumberIn).min(1).max(32),
    /** The date on the paper log (KST); `to` for a sheet that spans days. */
    from: kstDateIn,
    to: kstDateIn.optional(),
  })
  .strict()
  .refine((b) => kstDatesWithin(b.from, b.to ?? b.from, RETENTION_DAYS), { message: "to must be ≥ from, at most 28 days apart", path: ["to"] })
  .openapi("SafeNumberRequest");

const match = z.object({ safeNumber: z.string(), day: z.string(), issuer: z.string(), name: z.string(), phone: z.string() });
const resolveOut = z
  .object({
    caseId: z.string(),
    status: z.enum(["complete", "incomplete"]),
    matches: z.array(match),
    failures: z.array(z.object({ party: z.string(), code: z.string(), message: z.string() })),
  })
  .openapi("SafeNumberResolution");

const resolveRoute = createRoute({
  method: "post",
  path: "/api/cases/{caseId}/safe-numbers",
  security: [{ bearer: [] }],
  summary: "R-P1: whose safe numbers (written on a paper log on these days) these are, asked of every issuer",
  request: { params: z.object({ caseId }), body: { required: true, content: { "application/json": { schema: resolveIn } } } },
  responses: {
    200: { description: "Every match with its issuer and day; status incomplete names each issuer that failed", content: { "application/json": { schema: resolveOut } } },
    ...errorResponses(400, 401, 404),
  },
});

const issuerAnswer = z.object({ matches: z.array(match) });

export function mountSafeNumberRoutes(app: OpenAPIHono<AuthorityEnv>): void {
  // /api/cases/* is already behind requireInvestigator (routes/cases.ts).
  app.openapi(resolveRoute, async (c) => {
    const { caseId: id } = c.req.valid("param");
    const now = c.var.clock.now();
    await requireOpenCase(c.env, id);
    const body = c.req.valid("json");
    const request = { safeNumbers: [...new Set(body.safeNumbers.map((s) => normalizeSafeNumber(s)!))], from: body.from, to: body.to ?? body.from };
    const ctx = { caseId: id, investigator: c.var.investigator.id, purpose: PURPOSE, clock: c.var.clock };
    const issuers = parties(c.env.PARTIES).filter((p) => p.kind === "issuer");
    const answers = await Promise.all(issuers.map((p) => callParty(c.env, p, "/authority/v1/safe-numbers/resolve", request, ctx, issuerAnswer)));
    const matches = answers.flatMap((a) => (a.ok ? a.data.matches : []));
    const failures = answers.flatMap((a) => (a.ok ? [] : [{ party: a.party, code: a.code, message: a.message }]));
    const status = failures.length ? "incomplete" : "complete";
    await audit(c.env, { at: now, investigator: ctx.investigator, caseId: id, purpose: PURPOSE, action: `resolve ${request.safeNumbers.length} safe numbers`, outcome: `${status}, ${matches.length} matches` });
    return c.json({ caseId: id, status, matches, failures }, 200);
  });
}
