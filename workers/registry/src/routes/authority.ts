/**
 * The authority API (R-A3, tracing steps 2, 4 and the contact list): signed
 * requests only, every attempt appended to the hash-chained audit log by
 * requireSignedRequest, answers signed by the registry and encrypted to the
 * authority.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import {
  DAY,
  RETENTION_DAYS,
  decryptField,
  epochMsIn,
  errorResponses,
  parseToken,
  pinnedAuthorityJwks,
  requireSignedRequest,
  sealAnswer,
  signingKeys,
} from "@kipass/shared";
import type { Context } from "hono";
import { fieldKey, identity, lookupHash, type RegistryEnv } from "../config.js";
import { facilityObject, ledgerObject } from "../directory/objects.js";
import { ledgerShard } from "../durable/shards.js";

const sealed = { 200: { description: "Answer signed by the registry, encrypted to the authority", content: { "application/json": { schema: z.object({ answer: z.string() }) } } } };
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { "application/json": { schema } }, required: true } });
const refusals = errorResponses(400, 401, 403, 409);
const facilityId = z.string().regex(/^fac_[A-Za-z0-9_-]{12}$/);

const visitsRoute = createRoute({
  method: "post",
  path: "/authority/v1/visits",
  summary: "Tracing step 2: visits of these token ids → facility, time, device",
  request: body(z.object({ tokenIds: z.array(z.string().regex(/^[A-Za-z0-9_-]{22}$/)).min(1).max(500) }).strict()),
  responses: { ...sealed, ...refusals },
});

/** Tokens per facility-tokens page: a few MB sealed at most, a fraction of a second of decryption. */
export const FACILITY_TOKENS_PAGE = 5_000;

/** The page cursor as the authority sees it: the last row's number, in the order the facility recorded its visits. */
const cursor = z.string().regex(/^\d{1,15}$/);

const tokensRoute = createRoute({
  method: "post",
  path: "/authority/v1/facility-tokens",
  summary: "Tracing step 4: the tokens scanned at a facility in [from, to), as issued (issuers resolve them), a page at a time: ask again with `after: next` until `next` is null",
  request: body(
    z
      .object({
        facilityId,
        from: epochMsIn,
        to: epochMsIn,
        after: cursor.optional(),
        limit: z.number().int().min(1).max(FACILITY_TOKENS_PAGE).optional(),
      })
      .strict()
      .refine((v) => v.to > v.from && v.to - v.from <= RETENTION_DAYS * DAY, { message: "window must be positive and at most 28 days", path: ["to"] }),
  ),
  responses: { ...sealed, ...refusals },
});

const facilitiesRoute = createRoute({
  method: "post",
  path: "/authority/v1/facilities",
  summary: "Facility details for the contact list",
  request: body(z.object({ facilityIds: z.array(facilityId).min(1).max(100) }).strict()),
  responses: { ...sealed, ...refusals },
});

async function answer(c: Context<RegistryEnv>, data: unknown): Promise<string> {
  const now = c.var.clock.now();
  return sealAnswer({
    data,
    from: identity(c.env).id,
    signingKey: signingKeys(c.env.SIGNING_KEYS).current,
    to: pinnedAuthorityJwks(c.env.AUTHORITY_JWKS),
    requestId: c.var.authority.jti,
    now,
  });
}

export function mountAuthority(app: OpenAPIHono<RegistryEnv>): void {
  const gate = requireSignedRequest<RegistryEnv["Bindings"]>((env) => ({ audience: env.PARTY_ID, jwks: pinnedAuthorityJwks(env.AUTHORITY_JWKS), db: env.DB }));
  for (const route of [visitsRoute, tokensRoute, facilitiesRoute]) app.use(route.path, gate);

  app.openapi(visitsRoute, async (c) => {
    const now = c.var.clock.now();
    const ids = [...new Set(c.req.valid("json").tokenIds)];
    const byHash = new Map<string, string>();
    for (const id of ids) byHash.set(await lookupHash(c.env, "token", id), id);
    const shards = new Map<string, string[]>();
    for (const hash of byHash.keys()) {
      const shard = ledgerShard(hash);
      shards.set(shard, [...(shards.get(shard) ?? []), hash]);
    }
    const claims = (await Promise.all([...shards].map(([shard, hashes]) => ledgerObject(c.env, shard).whereClaimed(hashes, now)))).flat();
    const byFacility = new Map<string, string[]>();
    for (const claim of claims) byFacility.set(claim.facilityId, [...(byFacility.get(claim.facilityId) ?? []), claim.tokenHash]);
    const visits = (
      await Promise.all(
        [...byFacility].map(async ([fid, hashes]) =>
          (await facilityObject(c.env, fid).visitsOf(hashes)).map((v) => ({ tokenId: byHash.get(v.tokenHash)!, facilityId: fid, at: v.at, device: v.device })),
        ),
      )
    ).flat();
    return c.json({ answer: await answer(c, { visits }) }, 200);
  });

  app.openapi(tokensRoute, async (c) => {
    const { facilityId: fid, from, to, after, limit = FACILITY_TOKENS_PAGE } = c.req.valid("json");
    const page = await facilityObject(c.env, fid).tokensBetween(from, to, c.var.clock.now(), { after: after ? Number(after) : null, limit });
    const tokens = page.tokens.map((r) => {
      const parsed = parseToken(r.qr);
      return { qr: r.qr, issuer: "ok" in parsed ? null : parsed.issuer, scannedAt: r.at };
    });
    const next = page.next === null ? null : String(page.next);
    return c.json({ answer: await answer(c, { facilityId: fid, from, to, tokens, next }) }, 200);
  });

  app.openapi(facilitiesRoute, async (c) => {
    const ids = c.req.valid("json").facilityIds;
    const key = await fieldKey(c.env);
    const { results } = await c.env.DB.prepare(
      `SELECT id, status, business_name, business_number, representative, business_phone, industry, industry_detail, sido, sigungu, address, address_detail
       FROM facilities WHERE id IN (${ids.map(() => "?").join(",")})`,
    )
      .bind(...ids)
      .all<Record<string, string | null> & { id: string; representative: string; business_phone: string }>();
    const facilities = await Promise.all(
      results.map(async (r) => ({
        id: r.id,
        status: r.status,
        businessName: r.business_name,
        businessNumber: r.business_number,
        representative: await decryptField(key, r.representative, `representative|${r.id}`),
        businessPhone: await decryptField(key, r.business_phone, `business_phone|${r.id}`),
        industry: r.industry,
        industryDetail: r.industry_detail,
        jurisdiction: { sido: r.sido, sigungu: r.sigungu },
        address: r.address,
        addressDetail: r.address_detail,
      })),
    );
    return c.json({ answer: await answer(c, { facilities }) }, 200);
  });
}
