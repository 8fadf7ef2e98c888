// The README's quick start on one machine: `npm start`, then `npm test`. The
// dev stack's keys and wiring (written on first run) must not reach the worker
// tests, which bring their own. vitest-pool-workers builds each worker's
// bindings from wrangler.toml's environment as below; a secret or a setting of
// the dev stack in them would replace the test's own (it did: the registry's
// WALLET_ORIGINS broke the token status tests after a local `npm start`).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import { DEPLOYMENTS } from "../../scripts/deployments.js";
import { ROOT, ensureDevVars, readDevVars } from "../../scripts/dev-vars.js";

const WRANGLER_TOML = join(ROOT, "wrangler.toml");

const only = (from: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.filter((k) => k in from).map((k) => [k, from[k]]));

describe("the dev stack's local secrets", () => {
  it("stay out of what the worker tests load for each deployment: only wrangler.toml's own vars", async () => {
    await ensureDevVars();
    for (const d of DEPLOYMENTS) {
      const names = Object.keys(readDevVars(d.env));
      expect(names.length, d.env).toBeGreaterThan(0);
      const committed = unstable_readConfig({ config: WRANGLER_TOML, env: d.env }).vars;
      const loaded = unstable_getMiniflareWorkerOptions(WRANGLER_TOML, d.env).workerOptions.bindings ?? {};
      expect(only(loaded, names), d.env).toEqual(only(committed, names));
    }
  });
});
