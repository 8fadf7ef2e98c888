/**
 * Supervisor: check that every issuer and the registry answers the
 * authority's signed requests, and that their answers open — before a case
 * depends on it.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { errorResponses } from "@kipass/shared";
import { requireInvestigator, type AuthorityEnv } from "../context.js";
import { callParty, parties } from "../parties.js";

const checkOut = z
  .array(z.object({ party: z.string(), kind: z.enum(["issuer", "registry"]), ok: z.boolean(), code: z.string().optional(), message: z.string().optional() }))
  .openapi("PartyCheck");

const checkRoute = createRoute({
  method: "post",
  path: "/api/parties/check",
  security: [{ bearer: [] }],
  summary: "Supervisor: signed handshake with every issuer and the registry",
  responses: { 200: { description: "One row per party", content: { "application/json": { schema: checkOut } } }, ...errorResponses(401, 403) },
});

/** The pseudo-case the supervisor's connectivity check signs its pings under (pings only: no data is asked). */
export const CONNECTIVITY_CASE = "connectivity-check";

const pingAnswer = z.object({ party: z.string(), receivedAt: z.number(), case: z.string() });

export function mountPartyRoutes(app: OpenAPIHono<AuthorityEnv>): void {
  app.use(checkRoute.path, requireInvestigator("supervisor"));
  app.openapi(checkRoute, async (c) => {
    const ctx = { caseId: CONNECTIVITY_CASE, investigator: c.var.investigator.id, purpose: "connectivity_check", clock: c.var.clock };
    const rows = await Promise.all(
      parties(c.env.PARTIES).map(async (p) => {
        const r = await callParty(c.env, p, "/authority/v1/ping", {}, ctx, pingAnswer);
        const answeredByIt = r.ok && r.data.party === p.id;
        return r.ok
          ? { party: p.id, kind: p.kind, ok: answeredByIt, ...(answeredByIt ? {} : { code: "wrong_party" }) }
          : { party: p.id, kind: p.kind, ok: false, code: r.code, message: r.message };
      }),
    );
    return c.json(rows, 200);
  });
}
