/**
 * What every party deployment serves: health, its published keys, a landing
 * page, and — for issuers and the registry — the signed-request handshake
 * the authority uses to check that it is trusted.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Env as HonoEnv } from "hono";
import { AuditLog } from "./audit.js";
import { requireSignedRequest, type AuthorityAccessConfig, type AuthorityAccessVariables } from "./authority-access.js";
import { errorResponses, type AppVariables } from "./http.js";
import { memoize } from "./memoize.js";
import { parseJwks, parseKeyRing, publishedJwks, type Jwks, type KeyRing } from "./keys.js";
import { sealAnswer } from "./signed-request.js";


export interface PartyIdentity {
  id: string;
  name: string;
}


export const signingKeys = memoize((text) => parseKeyRing(text, "SIGNING_KEYS"));

/** The authority's public keys, pinned in config: an empty or invalid set trusts nobody. */
export const pinnedAuthorityJwks = memoize((text): Jwks => parseJwks(text ?? "") ?? { keys: [] });

const jwkOut = z.object({ kty: z.string(), crv: z.string(), x: z.string(), y: z.string().optional(), kid: z.string(), alg: z.string(), use: z.string() });
const jwksOut = z.object({ keys: z.array(jwkOut) }).openapi("JWKS");
const healthOut = z
  .object({ ok: z.literal(true), party: z.string(), name: z.string(), time: z.number().int() })
  .catchall(z.unknown())
  .openapi("Health");

export const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness and configuration of this deployment",
  responses: { 200: { description: "Healthy", content: { "application/json": { schema: healthOut } } } },
});

export const jwksRoute = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  summary: "This party's public keys (current, next, retired)",
  responses: { 200: { description: "JWKS", content: { "application/json": { schema: jwksOut } } } },
});

export interface PartyBasics<B> {
  identity: (env: B) => PartyIdentity;
  /** Key rings whose public halves are published (none for the static scanner UI). */
  keyRings?: (env: B) => KeyRing[];
  /** Extra health facts (the registry reports its issuers' keys). */
  health?: (env: B, now: number) => Promise<Record<string, unknown>>;
  /** Landing page until the deployment's own UI lands. */
  page?: (env: B) => string;
}

export function mountPartyBasics<E extends HonoEnv & { Variables: AppVariables }>(
  app: OpenAPIHono<E>,
  basics: PartyBasics<E["Bindings"]>,
): void {
  app.openapi(healthRoute, async (c) => {
    const now = c.var.clock.now();
    const { id, name } = basics.identity(c.env);
    const extra = basics.health ? await basics.health(c.env, now) : {};
    return c.json({ ok: true as const, party: id, name, time: now, ...extra }, 200);
  });
  const { keyRings, page } = basics;
  if (keyRings) {
    app.openapi(jwksRoute, (c) => {
      c.header("cache-control", "public, max-age=300");
      return c.json(publishedJwks(...keyRings(c.env)), 200);
    });
  }
  if (page) app.get("/", (c) => c.html(page(c.env)));
}

export const pingRoute = createRoute({
  method: "post",
  path: "/authority/v1/ping",
  summary: "Signed-request handshake: proves the authority's key is pinned here and answers reach it sealed",
  request: { body: { content: { "application/json": { schema: z.object({}).strict() } }, required: true } },
  responses: {
    200: {
      description: "An answer signed by this party and encrypted to the authority",
      content: { "application/json": { schema: z.object({ answer: z.string() }).openapi("SealedAnswer") } },
    },
    ...errorResponses(400, 401, 403, 409),
  },
});

export const AUDIT_PAGE = 1000;

export const auditRoute = createRoute({
  method: "post",
  path: "/authority/v1/audit",
  summary: "This party's audit chain of authority requests, a page at a time, for the authority's supervisors to check",
  request: {
    body: {
      content: {
        "application/json": {
          schema: z.object({ fromSeq: z.number().int().min(1).default(1), limit: z.number().int().min(1).max(AUDIT_PAGE).default(AUDIT_PAGE) }).strict(),
        },
      },
      required: true,
    },
  },
  responses: {
    200: { description: "Entries (seq ≥ fromSeq), sealed to the authority", content: { "application/json": { schema: z.object({ answer: z.string() }) } } },
    ...errorResponses(400, 401, 403, 409),
  },
});

export interface AuthorityPing<B> {
  identity: (env: B) => PartyIdentity;
  access: (env: B) => AuthorityAccessConfig;
  signingKeys: (env: B) => KeyRing;
}

/**
 * The authority's standing endpoints at an issuer or the registry: the
 * signed-request handshake, and the audit chain (R-A3: every access leaves
 * an entry at the party answering, which the authority's supervisors can
 * check against their own log).
 */
export function mountAuthorityPing<B extends object>(
  app: OpenAPIHono<{ Bindings: B; Variables: AuthorityAccessVariables }>,
  ping: AuthorityPing<B>,
): void {
  app.use(pingRoute.path, requireSignedRequest(ping.access));
  app.use(auditRoute.path, requireSignedRequest(ping.access));
  /** The answer to the request in hand: signed by this party, sealed to the authority. */
  const answer = async (c: { env: B; var: AuthorityAccessVariables }, data: Record<string, unknown>) => ({
    answer: await sealAnswer({
      data: { party: ping.identity(c.env).id, ...data },
      from: ping.identity(c.env).id,
      signingKey: ping.signingKeys(c.env).current,
      to: ping.access(c.env).jwks,
      requestId: c.var.authority.jti,
      now: c.var.clock.now(),
    }),
  });
  app.openapi(auditRoute, async (c) => {
    const { fromSeq, limit } = c.req.valid("json");
    return c.json(await answer(c, { entries: await new AuditLog(ping.access(c.env).db).entries(fromSeq, limit) }), 200);
  });
  app.openapi(pingRoute, async (c) => c.json(await answer(c, { receivedAt: c.var.clock.now(), case: c.var.authority.case }), 200));
}

/** A plain bilingual landing page; no external assets. */
export function landingPage(title: string, lines: string[]): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return `<!doctype html><html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.6;color:#111}code{background:#eee;padding:0 .2em}</style></head>
<body><h1>${esc(title)}</h1>${lines.map((l) => `<p>${esc(l)}</p>`).join("")}
<p><a href="/openapi.json">OpenAPI</a> · <a href="/.well-known/jwks.json">JWKS</a> · <a href="/healthz">health</a></p></body></html>`;
}

