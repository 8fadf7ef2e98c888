/**
 * The authority's API (R-A1, R-A3): signed requests only, each access
 * appended to the hash-chained audit log by requireSignedRequest; answers
 * signed by this issuer and encrypted to the authority. Neither route takes
 * a facility id: the issuer answers "which tokens", "whose tokens" and
 * "whose safe number" (paper logs, R-P1), never "where".
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import {
  DAY,
  RETENTION_DAYS,
  addDays,
  epochMsIn,
  kstDatesWithin,
  errorResponses,
  kstDateIn,
  normalizeMobile,
  normalizeSafeNumber,
  parseToken,
  pinnedAuthorityJwks,
  requireSignedRequest,
  safeNumberIn,
  sealAnswer,
  signingKeys,
  tokenId,
} from "@kipass/shared";
import { identity, type IssuerBindings, type IssuerEnv } from "../config.js";
import { peopleByRef, userRefByPhone } from "../identity/users.js";
import { phoneHash } from "../identity/verification.js";
import { vaultOf } from "../tokens/day-key-vault.js";
import { safeNumberHash, safeNumberLedgerOf, safeNumberShard } from "../tokens/safe-numbers.js";
import { userTokensOf } from "../tokens/user-tokens.js";
import { toHex } from "../user-ref.js";
import { phoneIn } from "./schemas.js";

/** At most this many tokens per resolve request (a 16 KiB body holds about 70 QR texts). */
export const MAX_RESOLVE = 64;

const sealed = { description: "An answer signed by this issuer and encrypted to the authority", content: { "application/json": { schema: z.object({ answer: z.string() }) } } };

const byPhoneRoute = createRoute({
  method: "post",
  path: "/authority/v1/tokens/by-phone",
  summary: "R-A1 step 1: tokens issued to the person with phone P in [from, to] (jti, time)",
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z
            .object({ phone: phoneIn, from: epochMsIn, to: epochMsIn })
            .strict()
            .refine((b) => b.from <= b.to && b.to - b.from <= 60 * DAY, "from must be ≤ to, at most 60 days apart")
            .openapi("TokensByPhone"),
        },
      },
    },
  },
  responses: { 200: sealed, ...errorResponses(400, 401, 403, 409) },
});

const resolveRoute = createRoute({
  method: "post",
  path: "/authority/v1/tokens/resolve",
  summary: "R-A1 step 5: whose tokens these are → name, phone, issuer (until the day key is destroyed at the start of day + 29)",
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({ tokens: z.array(z.string().min(1).max(400)).min(1).max(MAX_RESOLVE) }).strict().openapi("ResolveTokens"),
        },
      },
    },
  },
  responses: { 200: sealed, ...errorResponses(400, 401, 403, 409) },
});

/** At most this many safe numbers per request (one paper log page holds about 20 entries). */
export const MAX_SAFE_NUMBERS = 32;


const safeNumbersRoute = createRoute({
  method: "post",
  path: "/authority/v1/safe-numbers/resolve",
  summary: "R-P1: whose safe numbers (written on a paper log) these were on the KST days from..to → name, phone, day (until the start of day + 29)",
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z
            .object({ safeNumbers: z.array(safeNumberIn).min(1).max(MAX_SAFE_NUMBERS), from: kstDateIn, to: kstDateIn })
            .strict()
            .refine((b) => kstDatesWithin(b.from, b.to, RETENTION_DAYS), "from must be ≤ to, at most 28 days apart")
            .openapi("ResolveSafeNumbers"),
        },
      },
    },
  },
  responses: { 200: sealed, ...errorResponses(400, 401, 403, 409) },
});

type Unresolved = { token: string; status: "unknown" | "malformed" | "other_issuer"; jti: string | null };
type Opened = Unresolved | { token: string; jti: string; issuedAt: number; userRef: string };
type Resolution =
  | { token: string; status: "resolved"; jti: string; issuedAt: number; issuer: string; name: string; phone: string }
  | Unresolved;

export function mountAuthorityApi(app: OpenAPIHono<IssuerEnv>): void {
  const access = (env: IssuerBindings) => ({ audience: env.PARTY_ID, jwks: pinnedAuthorityJwks(env.AUTHORITY_JWKS), db: env.DB });
  app.use("/authority/v1/tokens/*", requireSignedRequest(access));
  app.use("/authority/v1/safe-numbers/*", requireSignedRequest(access));

  const seal = async (env: IssuerBindings, data: unknown, requestId: string, now: number) =>
    sealAnswer({ data, from: env.PARTY_ID, signingKey: signingKeys(env.SIGNING_KEYS).current, to: access(env).jwks, requestId, now });

  app.openapi(byPhoneRoute, async (c) => {
    const now = c.var.clock.now();
    const { phone, from, to } = c.req.valid("json");
    const userRef = await userRefByPhone(c.env, await phoneHash(c.env, normalizeMobile(phone)!));
    const tokens = userRef ? await userTokensOf(c.env, userRef).issuedBetween(from, to, now) : [];
    const data = { issuer: identity(c.env).id, from, to, tokens };
    return c.json({ answer: await seal(c.env, data, c.var.authority.jti, now) }, 200);
  });

  app.openapi(resolveRoute, async (c) => {
    const now = c.var.clock.now();
    const issuer = c.env.PARTY_ID;
    const vault = vaultOf(c.env);
    const opened = await Promise.all(
      c.req.valid("json").tokens.map(async (token): Promise<Opened> => {
        const parsed = parseToken(token);
        if ("ok" in parsed) return { token, status: "malformed", jti: null };
        const jti = await tokenId(parsed.sealed);
        if (parsed.issuer !== issuer) return { token, status: "other_issuer", jti };
        // The handle's AES-GCM tag proves this issuer sealed it; no signature check is needed to say whose it is.
        const handle = await vault.open(issuer, parsed.sealed, parsed.iat * 1000, now);
        return handle ? { token, jti, issuedAt: parsed.iat * 1000, userRef: toHex(handle.userRef) } : { token, status: "unknown", jti };
      }),
    );
    const people = await peopleByRef(c.env, opened.flatMap((o) => ("userRef" in o ? [o.userRef] : [])));
    const resolutions = opened.map((o): Resolution => {
      if (!("userRef" in o)) return o;
      const person = people.get(o.userRef);
      return person
        ? { token: o.token, status: "resolved", jti: o.jti, issuedAt: o.issuedAt, issuer, ...person }
        : { token: o.token, status: "unknown", jti: o.jti };
    });
    return c.json({ answer: await seal(c.env, { issuer, resolutions }, c.var.authority.jti, now) }, 200);
  });

  app.openapi(safeNumbersRoute, async (c) => {
    const now = c.var.clock.now();
    const issuer = c.env.PARTY_ID;
    const { safeNumbers, from, to } = c.req.valid("json");
    const codes = [...new Set(safeNumbers.map((s) => normalizeSafeNumber(s)!))];
    const days: string[] = [];
    for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
    // Unique per issuer and day: at most one holder per (day, code); the hash finds its shard.
    const asked = await Promise.all(days.flatMap((day) => codes.map(async (code) => ({ day, code, codeHash: await safeNumberHash(c.env, day, code) }))));
    const byShard = new Map<string, typeof asked>(); // one call per shard, at most 64
    for (const a of asked) byShard.set(safeNumberShard(a.codeHash), [...(byShard.get(safeNumberShard(a.codeHash)) ?? []), a]);
    const held = (await Promise.all([...byShard.values()].map((group) => safeNumberLedgerOf(c.env, group[0]!.codeHash).lookup(group.map((a) => a.codeHash))))).flat();
    const owners = new Map(held.map((h) => [h.codeHash, h.owner]));
    const rows = asked.flatMap((a) => (owners.has(a.codeHash) ? [{ ...a, owner: owners.get(a.codeHash)! }] : []));
    const userRefs = await vaultOf(c.env).readSafeNumberOwners(issuer, rows, now);
    const found = rows.flatMap((r, i) => (userRefs[i] ? [{ safeNumber: r.code, day: r.day, userRef: userRefs[i] }] : []));
    const people = await peopleByRef(c.env, found.map((f) => f.userRef));
    const matches = found.flatMap((f) => {
      const person = people.get(f.userRef);
      return person ? [{ safeNumber: f.safeNumber, day: f.day, issuer, ...person }] : [];
    });
    return c.json({ answer: await seal(c.env, { issuer, from, to, matches }, c.var.authority.jti, now) }, 200);
  });
}
