/**
 * The HTTP edge every worker shares: an OpenAPIHono app whose every failure —
 * schema, JSON, size, route, thrown AppError — leaves as the one error
 * envelope with a 4xx, and whose routes document themselves at /openapi.json.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Env as HonoEnv } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { systemClock, type Clock } from "./clock.js";
import { AppError, errorBody } from "./errors.js";
import { memoize } from "./memoize.js";

/** Every request body is refused above this unless a route sets its own limit. */
export const DEFAULT_BODY_LIMIT = 16 * 1024;

export interface AppVariables {
  clock: Clock;
}

export const errorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string() }) })
  .openapi("Error", { example: { error: { code: "invalid_request", message: "body.name: Required" } } });

/** The error responses a route documents alongside its success. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [s, { description: "Error", content: { "application/json": { schema: errorSchema } } }]),
  );
}

/**
 * Local stack only (DEV_MODE "true", never set in wrangler.toml): a request
 * may carry the time it happens at, so a scenario can play visits over
 * several days in minutes. Every party honours it the same way.
 */
export const DEV_NOW_HEADER = "x-kipass-dev-now";

function devClock(env: unknown, header: string | undefined): Clock | null {
  if (header === undefined || (env as { DEV_MODE?: string } | undefined)?.DEV_MODE !== "true") return null;
  const t = Number(header);
  return Number.isSafeInteger(t) && t > 0 ? { now: () => t } : null;
}

export interface CreateAppOptions {
  title: string;
  description: string;
  clock?: Clock;
}

export function createApp<E extends HonoEnv>(opts: CreateAppOptions) {
  const app = new OpenAPIHono<E & { Variables: AppVariables }>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const where = issue ? [result.target, ...issue.path].join(".") : result.target;
        return c.json(errorBody("invalid_request", `${where}: ${issue?.message ?? "invalid"}`), 400);
      }
      return undefined;
    },
  });
  const clock = opts.clock ?? systemClock;
  app.use("*", async (c, next) => {
    c.set("clock", devClock(c.env, c.req.header(DEV_NOW_HEADER)) ?? clock);
    await next();
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: DEFAULT_BODY_LIMIT,
      onError: (c) => c.json(errorBody("body_too_large", `request body is over ${DEFAULT_BODY_LIMIT} bytes`), 413),
    }),
  );
  app.notFound((c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404));
  app.onError((err, c) => {
    if (err instanceof AppError) return c.json(err.toBody(), err.status);
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      const code = status === 400 ? "invalid_request" : "http_error";
      return c.json(errorBody(code, err.message || "request refused"), status);
    }
    console.error("unhandled error", err);
    return c.json(errorBody("internal", "internal error"), 500);
  });
  // Generated once: every route is mounted when the module loads, and building it costs milliseconds per request.
  let doc: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.get("/openapi.json", (c) =>
    c.json((doc ??= app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: opts.title, version: "1", description: opts.description } }))),
  );
  return app;
}

/**
 * Lets browsers on the listed origins (a comma-separated var, e.g. the
 * scanner UI's) call this party's public API. The preflight is cached for
 * 2 hours (Chromium's cap), so a scanning device pays it once, not per scan.
 */
export function allowBrowserOrigins<B extends object>(origins: (env: B) => string | undefined): MiddlewareHandler<{ Bindings: B }> {
  // Built once per origin list (the scan path passes here on every request).
  const policyOf = memoize((list) => {
    const allowed = new Set((list ?? "").split(",").map((o) => o.trim()).filter(Boolean));
    const preflight = cors({
      origin: (origin) => (allowed.has(origin) ? origin : null),
      allowHeaders: ["content-type", "authorization"],
      allowMethods: ["GET", "POST", "DELETE"],
      maxAge: 7200,
    });
    return { allowed, preflight };
  });
  return async (c, next) => {
    const { allowed, preflight } = policyOf(origins(c.env));
    if (c.req.method === "OPTIONS") return preflight(c, next);
    // Set before the route answers, so its one response carries them. Hono's
    // cors() sets them around the route instead, which copies the response
    // (a Response, its Headers and its body) up to three times per scan.
    const origin = c.req.header("origin");
    if (origin !== undefined && allowed.has(origin)) c.header("Access-Control-Allow-Origin", origin);
    c.header("Vary", "Origin");
    await next();
  };
}
