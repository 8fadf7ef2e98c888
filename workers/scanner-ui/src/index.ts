/**
 * Scanner UI: static assets built from app/ into dist/ and served from the
 * edge. Assets answer first; this worker answers what no asset matches:
 * health, and /config.json — the one setting the page needs, the registry's
 * URL (the only origin it talks to).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { createApp, mountPartyBasics } from "@kipass/shared";

export const app = createApp<{ Bindings: Env }>({
  title: "KI-Pass scanner UI",
  description: "Static scanner and manager UI; talks only to the registry's public API.",
});

mountPartyBasics(app, {
  identity: (env) => ({ id: env.PARTY_ID, name: env.PARTY_NAME }),
  health: async (env) => ({ registry: env.REGISTRY_URL }),
});

const configRoute = createRoute({
  method: "get",
  path: "/config.json",
  summary: "Where the page finds the registry",
  responses: { 200: { description: "Config", content: { "application/json": { schema: z.object({ registryUrl: z.string().url() }) } } } },
});

app.openapi(configRoute, (c) => {
  c.header("cache-control", "no-cache");
  return c.json({ registryUrl: c.env.REGISTRY_URL }, 200);
});


export default app satisfies ExportedHandler<Env>;
