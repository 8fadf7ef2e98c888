/**
 * Local stack only (DEV_MODE): seeds background visits for `npm run bench
 * trace` — 100k to 1M visits over 28 days across 10k facilities — through
 * the same Durable Object code a scan runs (TokenLedger.claimToken, then the
 * Facility's visit writer), so the tables and indexes a trace reads are the
 * ones scans build. Without DEV_MODE the route answers like any unknown path.
 * The seeded tokens are random stand-ins: no issuer can resolve them, and the
 * benchmark keeps them out of the traced case's windows.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { AppError, DAY, RETENTION_DAYS, devMode, errorBody, lookupHash, randomBytes, toBase64url } from "@kipass/shared";
import type { RegistryEnv } from "../config.js";
import { facilityObject, ledgerObject } from "../directory/objects.js";
import { ledgerShard } from "../durable/shards.js";

const seedRequest = z
  .object({
    facilities: z
      .array(
        z
          .object({
            id: z.string().regex(/^fac_[A-Za-z0-9_-]{12}$/),
            /** Moments no seeded visit may fall in, as [from, to) pairs (the traced case's windows). */
            avoid: z.array(z.tuple([z.number().int(), z.number().int()])).max(100).default([]),
          })
          .strict(),
      )
      .min(1)
      .max(100),
    perFacility: z.number().int().min(1).max(1000),
    from: z.number().int().positive(),
    to: z.number().int().positive(),
  })
  .strict()
  .refine((v) => v.to > v.from && v.to - v.from <= RETENTION_DAYS * DAY, { message: "window must be positive and at most 28 days", path: ["to"] });

/** A stand-in for a scanned QR: the length of a real one, random content. */
const standInQr = () => `KP1:BENCH${toBase64url(randomBytes(150))}`;

export function mountBenchSeed(app: OpenAPIHono<RegistryEnv>): void {
  app.post("/dev/seed-visits", async (c) => {
    if (!devMode(c.env)) return c.json(errorBody("not_found", "no route for POST /dev/seed-visits"), 404);
    const parsed = seedRequest.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError(400, "invalid_request", `json.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
    }
    const { facilities, perFacility, from, to } = parsed.data;
    const byFacility = new Map<string, { tokenHash: string; qr: string; at: number; device: string }[]>();
    const byShard = new Map<string, { tokenHash: string; facilityId: string; at: number }[]>();
    for (const f of facilities) {
      const visits = [];
      for (let i = 0; i < perFacility; i++) {
        let at = from;
        for (let tries = 0; ; tries++) {
          at = from + Math.floor(Math.random() * (to - from));
          if (!f.avoid.some(([a, b]) => at >= a && at < b)) break;
          if (tries === 1000) throw new AppError(400, "invalid_request", "json.facilities: the avoided windows leave no room for visits");
        }
        const tokenHash = await lookupHash(c.env, "token", toBase64url(randomBytes(16)));
        visits.push({ tokenHash, qr: standInQr(), at, device: "bench-seed" });
        const shard = ledgerShard(tokenHash);
        byShard.set(shard, [...(byShard.get(shard) ?? []), { tokenHash, facilityId: f.id, at }]);
      }
      byFacility.set(f.id, visits);
    }
    const claimed = await Promise.all(
      [...byShard].map(([shard, claims]) => ledgerObject(c.env, shard).seedClaims(shard, claims)),
    );
    const recorded = await Promise.all([...byFacility].map(([id, visits]) => facilityObject(c.env, id).seedVisits(id, visits)));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    return c.json({ claimed: sum(claimed), recorded: sum(recorded) }, 200);
  });
}
