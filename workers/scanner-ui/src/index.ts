/**
 * Scanner UI: static assets served from the edge (public/). Assets answer
 * first; this worker only answers what no asset matches (health, 404s).
 */
import { createApp, mountPartyBasics } from "@kipass/shared";

export const app = createApp<{ Bindings: Env }>({
  title: "KI-Pass scanner UI",
  description: "Static scanner and manager UI; talks only to the registry's public API.",
});

mountPartyBasics(app, {
  identity: (env) => ({ id: env.PARTY_ID, name: env.PARTY_NAME }),
  health: async (env) => ({ registry: env.REGISTRY_URL }),
});

export default app satisfies ExportedHandler<Env>;
