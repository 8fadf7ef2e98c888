/**
 * R-F8/R-R4: the manager sees visitor counts per hour, never visitors. These
 * routes answer numbers only — no token, hash or visit row reaches a facility.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { AppError, errorResponses, kstDateIn, kstDatesWithin, kstDay } from "@kipass/shared";
import { requireAccount, type AccountEnv } from "../auth.js";
import type { RegistryEnv } from "../config.js";
import { facilityObject } from "../directory/objects.js";

const MAX_RANGE_DAYS = 31;

const hourlyRoute = createRoute({
  method: "get",
  path: "/v1/facility/counts/hourly",
  summary: "시간대별 출입자 통계: visitors per KST hour of a day (default today)",
  request: { query: z.object({ day: kstDateIn.optional() }) },
  responses: {
    200: {
      description: "Counts",
      content: {
        "application/json": {
          schema: z
            .object({ day: z.string(), hours: z.array(z.object({ hour: z.number().int(), visitors: z.number().int() })).length(24), total: z.number().int() })
            .strict()
            .openapi("HourlyCounts"),
        },
      },
    },
    ...errorResponses(400, 401, 403),
  },
});

const dailyRoute = createRoute({
  method: "get",
  path: "/v1/facility/counts/daily",
  summary: "Visitors per day and the total for a date range (at most 31 days)",
  request: { query: z.object({ from: kstDateIn, to: kstDateIn }) },
  responses: {
    200: {
      description: "Totals",
      content: {
        "application/json": {
          schema: z
            .object({ from: z.string(), to: z.string(), days: z.array(z.object({ day: z.string(), visitors: z.number().int() })), total: z.number().int() })
            .strict()
            .openapi("DailyCounts"),
        },
      },
    },
    ...errorResponses(400, 401, 403),
  },
});

export function mountCounts(app: OpenAPIHono<RegistryEnv>): void {
  const authed = app as unknown as OpenAPIHono<AccountEnv>;
  authed.use("/v1/facility/counts/*", requireAccount("owner"));
  authed.openapi(hourlyRoute, async (c) => {
    const d = c.req.valid("query").day ?? kstDay(c.var.clock.now());
    const counts = await facilityObject(c.env, c.var.account.facilityId!).hourlyCounts(d);
    return c.json({ day: d, hours: counts.map((visitors, hour) => ({ hour, visitors })), total: counts.reduce((a, b) => a + b, 0) }, 200);
  });
  authed.openapi(dailyRoute, async (c) => {
    const { from, to } = c.req.valid("query");
    if (!kstDatesWithin(from, to, MAX_RANGE_DAYS - 1)) {
      throw new AppError(400, "invalid_range", `기간은 1–${MAX_RANGE_DAYS}일이어야 합니다 / The range must be 1–${MAX_RANGE_DAYS} days`);
    }
    const days = (await facilityObject(c.env, c.var.account.facilityId!).dailyTotals(from, to)).map((r) => ({ day: r.day, visitors: r.visits }));
    return c.json({ from, to, days, total: days.reduce((a, r) => a + r.visitors, 0) }, 200);
  });
}
