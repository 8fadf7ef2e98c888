/** POST /v1/scan — the facility device's one call (R-F6, R-R3). */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { errorResponses } from "@kipass/shared";
import { bearer } from "../auth.js";
import type { RegistryEnv } from "../config.js";
import { scan } from "../scan.js";

const scanRoute = createRoute({
  method: "post",
  path: "/v1/scan",
  summary: "Record a visit: a scanner device submits the visitor's QR (Authorization: Bearer <device session>)",
  request: {
    body: { content: { "application/json": { schema: z.object({ qr: z.string().min(1).max(512) }).strict() } }, required: true },
  },
  responses: {
    200: {
      description: "인증되었습니다 / Verified",
      content: {
        "application/json": {
          schema: z.object({ ok: z.literal(true), message: z.string(), repeat: z.boolean(), scannedAt: z.number().int() }).openapi("ScanAnswer"),
        },
      },
    },
    ...errorResponses(400, 401, 403, 404, 409, 410, 413, 422, 503),
  },
});

export function mountScan(app: OpenAPIHono<RegistryEnv>): void {
  app.openapi(scanRoute, async (c) => {
    const session = bearer(c.req.header("authorization"));
    return c.json(await scan(c.env, session, c.req.valid("json").qr, c.var.clock.now()), 200);
  });
}
