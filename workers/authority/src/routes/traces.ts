/**
 * Traces (R-A1, R-A2): from a confirmed case's phone over a period, or from
 * a facility and a window; read back, run again to complete an incomplete
 * one, and export as CSV or JSON. Every trace runs under an open case and a
 * named investigator, for contact tracing only (R-A3).
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { DAY, MINUTE, assertNotShutDown, epochMsIn, errorResponses, formatMobile, normalizeMobile } from "@kipass/shared";
import { audit, requireInvestigator, type AuthorityEnv } from "../context.js";
import { toCsv } from "../csv.js";
import { DEFAULT_MARGINS } from "../trace/exposure.js";
import { runTrace, type TraceQuery } from "../trace/run.js";
import { Traces, type StoredTrace } from "../trace/store.js";
import { caseId, requireOpenCase } from "./cases.js";

const PURPOSE = "contact_tracing";
const minutes = (max: number) => z.number().int().min(0).max(max);
const windowOk = (b: { from: number; to: number }) => b.to > b.from && b.to - b.from <= 28 * DAY;
const windowMessage = { message: "to must be after from, at most 28 days apart", path: ["to"] };
// Exactly the registry's facility id (workers/registry/src/routes/authority.ts): any other id
// would only come back from the registry as a refusal, stored as an incomplete trace.
const facilityId = z.string().regex(/^fac_[A-Za-z0-9_-]{12}$/, "a registry facility id: fac_ and 12 letters, digits, _ or -");

const traceIn = z
  .discriminatedUnion("kind", [
    z
      .object({
        kind: z.literal("phone"),
        phone: z.string().max(20).refine((p) => normalizeMobile(p) !== null, "a Korean mobile number, e.g. 010-1234-5678"),
        from: epochMsIn,
        to: epochMsIn,
        assumedStayMinutes: minutes(12 * 60).optional(),
        marginBeforeMinutes: minutes(12 * 60).optional(),
        marginAfterMinutes: minutes(12 * 60).optional(),
      })
      .strict(),
    z.object({ kind: z.literal("facility"), facilityId, from: epochMsIn, to: epochMsIn }).strict(),
  ])
  .refine(windowOk, windowMessage)
  .openapi("TraceRequest");

const contactOut = z.object({
  name: z.string(),
  phone: z.string(),
  issuer: z.string(),
  facilityId: z.string(),
  facilityName: z.string().nullable(),
  facilityAddress: z.string().nullable(),
  firstScan: z.number(),
  lastScan: z.number(),
  windowFrom: z.number(),
  windowTo: z.number(),
  overlap: z.number(),
});
const traceOut = z
  .object({
    id: z.string(),
    caseId: z.string(),
    kind: z.enum(["phone", "facility"]),
    status: z.enum(["complete", "incomplete"]),
    failures: z.array(z.object({ party: z.string(), step: z.string(), code: z.string(), message: z.string() })),
    windows: z.array(z.object({ facilityId: z.string(), entry: z.number(), exit: z.number(), exitScanned: z.boolean(), from: z.number(), to: z.number() })),
    contacts: z.array(contactOut),
    unresolved: z.number(),
    createdBy: z.string(),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .openapi("Trace");

const bearer = [{ bearer: [] }];
const traceJson = { content: { "application/json": { schema: traceOut } } };
const traceId = z.object({ id: z.string().regex(/^tr_[A-Za-z0-9_-]{16}$/) });

const runRoute = createRoute({
  method: "post",
  path: "/api/cases/{caseId}/traces",
  security: bearer,
  summary: "Run a trace from a phone (R-A2) or from a facility and a window",
  request: { params: z.object({ caseId }), body: { required: true, content: { "application/json": { schema: traceIn } } } },
  responses: { 201: { description: "The trace; status incomplete names each party that failed", ...traceJson }, ...errorResponses(400, 401, 404, 410) },
});
const getRoute = createRoute({
  method: "get",
  path: "/api/traces/{id}",
  security: bearer,
  request: { params: traceId },
  responses: { 200: { description: "The trace", ...traceJson }, ...errorResponses(401, 404, 410) },
});
const retryRoute = createRoute({
  method: "post",
  path: "/api/traces/{id}/retry",
  security: bearer,
  summary: "Run the same trace again (completes an incomplete one)",
  request: { params: traceId },
  responses: { 200: { description: "The trace, re-run", ...traceJson }, ...errorResponses(401, 404, 410) },
});
const csvRoute = createRoute({
  method: "get",
  path: "/api/traces/{id}/contacts.csv",
  security: bearer,
  summary: "Contacts as CSV (cells that could be formulas are kept as text)",
  request: { params: traceId },
  responses: { 200: { description: "CSV", content: { "text/csv": { schema: z.string() } } }, ...errorResponses(401, 404, 410) },
});

function toQuery(body: z.infer<typeof traceIn>): TraceQuery {
  if (body.kind === "facility") return body;
  return {
    kind: "phone",
    phone: normalizeMobile(body.phone)!,
    from: body.from,
    to: body.to,
    margins: {
      assumedStay: body.assumedStayMinutes !== undefined ? body.assumedStayMinutes * MINUTE : DEFAULT_MARGINS.assumedStay,
      marginBefore: body.marginBeforeMinutes !== undefined ? body.marginBeforeMinutes * MINUTE : DEFAULT_MARGINS.marginBefore,
      marginAfter: body.marginAfterMinutes !== undefined ? body.marginAfterMinutes * MINUTE : DEFAULT_MARGINS.marginAfter,
    },
  };
}

const view = (t: StoredTrace) => ({
  id: t.id,
  caseId: t.caseId,
  kind: t.kind,
  status: t.result.status,
  failures: t.result.failures,
  windows: t.result.windows,
  contacts: t.result.contacts,
  unresolved: t.result.unresolved,
  createdBy: t.createdBy,
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
});

const CSV_HEADER = ["이름 name", "전화 phone", "발급 issuer", "시설 facility", "주소 address", "첫 스캔 first scan (KST)", "마지막 스캔 last scan (KST)", "겹친 시간(분) overlap (min)"];
const kst = (ms: number) => new Date(ms + 9 * 3_600_000).toISOString().slice(0, 16).replace("T", " ");

export function mountTraceRoutes(app: OpenAPIHono<AuthorityEnv>): void {
  app.use("/api/traces/*", requireInvestigator());
  // /api/cases/* is already behind requireInvestigator (routes/cases.ts).

  app.openapi(runRoute, async (c) => {
    const { caseId: id } = c.req.valid("param");
    const now = c.var.clock.now();
    await assertNotShutDown(c.env.DB); // R-O4: after shutdown no trace results are stored again
    await requireOpenCase(c.env, id);
    const query = toQuery(c.req.valid("json"));
    const ctx = { caseId: id, investigator: c.var.investigator.id, purpose: PURPOSE, clock: c.var.clock };
    const result = await runTrace(c.env, query, ctx);
    const trace = await new Traces(c.env).create(id, query, result, c.var.investigator.id, now);
    await audit(c.env, { at: now, investigator: ctx.investigator, caseId: id, purpose: PURPOSE, action: `trace ${query.kind} ${trace.id}`, outcome: `${result.status}, ${result.contacts.length} contacts` });
    return c.json(view(trace), 201);
  });

  app.openapi(getRoute, async (c) => c.json(view(await new Traces(c.env).get(c.req.valid("param").id, c.var.clock.now())), 200));

  app.openapi(retryRoute, async (c) => {
    const now = c.var.clock.now();
    const traces = new Traces(c.env);
    const trace = await traces.get(c.req.valid("param").id, now);
    const ctx = { caseId: trace.caseId, investigator: c.var.investigator.id, purpose: PURPOSE, clock: c.var.clock };
    const updated = await traces.update(trace, await runTrace(c.env, trace.query, ctx), now);
    await audit(c.env, { at: now, investigator: ctx.investigator, caseId: trace.caseId, purpose: PURPOSE, action: `retry ${trace.id}`, outcome: `${updated.result.status}, ${updated.result.contacts.length} contacts` });
    return c.json(view(updated), 200);
  });

  app.openapi(csvRoute, async (c) => {
    const now = c.var.clock.now();
    const trace = await new Traces(c.env).get(c.req.valid("param").id, now);
    await audit(c.env, { at: now, investigator: c.var.investigator.id, caseId: trace.caseId, purpose: PURPOSE, action: `export ${trace.id}`, outcome: "csv" });
    const rows = trace.result.contacts.map((k) => [k.name, formatMobile(k.phone), k.issuer, k.facilityName ?? k.facilityId, k.facilityAddress, kst(k.firstScan), kst(k.lastScan), Math.round(k.overlap / 60_000)]);
    return c.body(toCsv(CSV_HEADER, rows), 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${trace.caseId}-${trace.id}.csv"`,
    });
  });
}
