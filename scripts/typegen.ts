/**
 * `npm run cf-typegen`: each worker's Env type from wrangler.toml (`wrangler
 * types --env …`), with the secrets named in the dev vars. Runtime types come
 * from @cloudflare/workers-types.
 */
import { execFileSync } from "node:child_process";
import { relative } from "node:path";
import { ROOT, devVarsPath, ensureDevVars } from "./dev-vars.js";

const WORKERS: Record<string, string> = { issuer: "naver", registry: "registry", authority: "authority", "scanner-ui": "scanner-ui" };

await ensureDevVars();
for (const [worker, env] of Object.entries(WORKERS)) {
  execFileSync(
    "npx",
    ["wrangler", "types", `workers/${worker}/worker-configuration.d.ts`, "--env", env, "--env-file", relative(ROOT, devVarsPath(env)), "--include-runtime=false", "--strict-vars=false"],
    { cwd: ROOT, stdio: "inherit", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
}
