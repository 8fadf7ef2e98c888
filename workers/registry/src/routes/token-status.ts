/**
 * POST /wallet/v1/token-status — relay resistance (docs/threat-model.md): the
 * wallet asks, while its QR is on screen, whether that token has been
 * scanned, so a screenshot forwarded and used elsewhere shows up on the
 * holder's phone as "사용됨 / used at hh:mm" within a second. The id (128
 * bits derived from the sealed handle) is known to the token's holder and to
 * its issuer: the issuer's servers could ask too (open, docs/privacy.md). The
 * answer is claimed or not and the time — never the facility — and only for
 * claims of the last few minutes. Called from the issuers' wallet pages
 * (WALLET_ORIGINS). Reads the TokenLedger; the scan path is unchanged.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { MINUTE, allowBrowserOrigins, errorResponses } from "@kipass/shared";
import { lookupHash, type RegistryBindings, type RegistryEnv } from "../config.js";
import { ledgerObject } from "../directory/objects.js";
import { ledgerShard } from "../durable/shards.js";

/** A wallet shows a token for 15 s and asks about it just after; older claims are not told. */
export const STATUS_WINDOW_MS = 5 * MINUTE;

const statusRoute = createRoute({
  method: "post",
  path: "/wallet/v1/token-status",
  summary: "Has this QR been scanned? (the wallet asks while it shows the QR; answers claimed + time, never where)",
  request: {
    body: {
      content: { "application/json": { schema: z.object({ jti: z.string().regex(/^[A-Za-z0-9_-]{22}$/, "a token id: 22 base64url characters") }).strict() } },
      required: true,
    },
  },
  responses: {
    200: {
      description: "Claimed (with the scan time) or not claimed in the last few minutes",
      content: {
        "application/json": {
          schema: z.object({ claimed: z.boolean(), at: z.number().int().nullable() }).strict().openapi("TokenStatus"),
        },
      },
    },
    ...errorResponses(400, 413),
  },
});

export function mountTokenStatus(app: OpenAPIHono<RegistryEnv>): void {
  app.use("/wallet/v1/*", allowBrowserOrigins<RegistryBindings>((env) => env.WALLET_ORIGINS));
  app.openapi(statusRoute, async (c) => {
    const now = c.var.clock.now();
    const tokenHash = await lookupHash(c.env, "token", c.req.valid("json").jti);
    const at = await ledgerObject(c.env, ledgerShard(tokenHash)).claimedSince(tokenHash, now - STATUS_WINDOW_MS);
    c.header("cache-control", "no-store");
    return c.json({ claimed: at !== null, at }, 200);
  });
}
