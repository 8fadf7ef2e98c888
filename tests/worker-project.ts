/**
 * One vitest project per worker, run inside workerd by vitest-pool-workers
 * against that worker's [env.*] in the root wrangler.toml. Keys are fresh
 * per run (never the dev keys); the authority's private rings are handed to
 * the tests only, to sign requests and open answers as the authority would.
 */
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineProject } from "vitest/config";
import { generateKeyRing, publishedJwks, type KeyRing } from "../shared/src/index.js";

export interface WorkerProject {
  name: string;
  /** wrangler environment, e.g. "naver" */
  env: string;
  /** D1 migrations folder relative to the root, if the worker has D1 */
  migrations?: string;
  bindings?: Record<string, string>;
  /** The authority's key rings, when the test's fake parties must seal answers to it (fresh otherwise). */
  authorityKeys?: { signing: KeyRing; encryption: KeyRing };
  /** Answers the worker's outbound fetches (there is no network in tests). */
  outbound?: (request: Request) => Promise<Response> | Response;
}

const root = new URL("..", import.meta.url).pathname;

export function workerProject(p: WorkerProject) {
  return defineProject({
    plugins: [
      cloudflareTest(async () => {
        const authoritySigning = p.authorityKeys?.signing ?? (await generateKeyRing("sig"));
        const authorityEncryption = p.authorityKeys?.encryption ?? (await generateKeyRing("enc"));
        // The authority worker's own keys are the authority keys the tests use.
        const own = p.env === "authority" ? { ENCRYPTION_KEYS: JSON.stringify(authorityEncryption) } : {};
        return {
          wrangler: { configPath: `${root}wrangler.toml`, environment: p.env },
          miniflare: {
            bindings: {
              SIGNING_KEYS: JSON.stringify(p.env === "authority" ? authoritySigning : await generateKeyRing("sig")),
              ...own,
              AUTHORITY_JWKS: JSON.stringify(publishedJwks(authoritySigning, authorityEncryption)),
              TEST_AUTHORITY_SIGNING: JSON.stringify(authoritySigning),
              TEST_AUTHORITY_ENCRYPTION: JSON.stringify(authorityEncryption),
              TEST_MIGRATIONS: p.migrations ? await readD1Migrations(`${root}${p.migrations}`) : [],
              ...p.bindings,
            },
            ...(p.outbound ? { outboundService: p.outbound } : {}),
          },
        };
      }),
    ],
    test: {
      name: p.name,
      include: ["test/**/*.test.ts"],
      // A first request starts workerd and the worker; on a loaded 2-core machine that alone can pass 5 s.
      testTimeout: 30_000,
      setupFiles: p.migrations ? [`${root}tests/apply-migrations.ts`] : [],
    },
  });
}
