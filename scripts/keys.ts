/**
 * Key generation and rotation for the local stack.
 *   npm run keys                  create missing .dev-vars/<env>.env (also done by npm start)
 *   npm run keys -- --rotate <env>   rotate that deployment's keys (next → current)
 *   npm run keys -- --print <env>    print that deployment's published JWKS
 *   npm run -s keys -- --secret <env> <NAME>   print one secret's value, to pipe into
 *                                 `wrangler secret put <NAME> --env <env>` (docs/deploy.md)
 * In production the same rings are set with `wrangler secret put SIGNING_KEYS --env <env>`.
 */
import { parseKeyRing, publishedJwks } from "../shared/src/index.js";
import { ensureDevVars, readDevVars, rotate } from "./dev-vars.js";

const [flag, env, name] = process.argv.slice(2);
/** Local wiring and switches, never production secrets. */
const NOT_SECRETS = new Set(["DEV_MODE", "AUTHORITY_JWKS", "TRUSTED_ISSUERS", "UI_ORIGINS", "PARTIES", "REGISTRY_URL"]);

if (flag === "--rotate" && env) {
  await rotate(env);
  console.log(`rotated ${env}: next key is now current; restart or let wrangler dev reload`);
} else if (flag === "--print" && env) {
  const vars = readDevVars(env);
  const rings = [vars.SIGNING_KEYS, vars.ENCRYPTION_KEYS].filter((v) => v !== undefined).map((v) => parseKeyRing(v, env));
  console.log(JSON.stringify(publishedJwks(...rings), null, 2));
} else if (flag === "--secret" && env && name) {
  const value = readDevVars(env)[name];
  if (value === undefined || NOT_SECRETS.has(name)) {
    console.error(`${name} is not a secret of ${env} (see docs/deploy.md for each party's secrets)`);
    process.exit(2);
  }
  process.stdout.write(value);
} else if (flag === undefined) {
  const written = await ensureDevVars();
  console.log(written.length ? `wrote .dev-vars/ for: ${written.join(", ")}` : "every deployment already has its .dev-vars/<deployment>.env");
} else {
  console.error("usage: npm run keys [-- --rotate <env> | --print <env> | --secret <env> <NAME>]");
  process.exit(2);
}
