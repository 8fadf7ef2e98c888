/**
 * `npm run bundle-sizes` (CI, after the tests): bundles every deployment
 * exactly as `wrangler deploy --env <d>` would — `--dry-run --outdir`, no
 * Cloudflare login and no network — and prints each Worker's size. Fails if a
 * deployment does not build, if a Worker is over the Workers size limit, or
 * if a static asset is over the per-file limit.
 *
 * Limits (developers.cloudflare.com/workers/platform/limits, "Worker size"):
 * 10 MB after compression on Workers Paid (3 MB on Free), and 64 MiB
 * uncompressed (the limit newer docs state for every plan). Every party runs on
 * Workers Paid (docs/deploy.md), so the compressed limit is 10 MiB; the Free
 * limit is shown for comparison. Static assets: 25 MiB per file.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { childEnv } from "./deployment-process.js";
import { DEPLOYMENTS } from "./deployments.js";
import { ROOT } from "./dev-vars.js";

const MiB = 1024 * 1024;
export const LIMITS = { gzip: 10 * MiB, gzipFree: 3 * MiB, raw: 64 * MiB, asset: 25 * MiB };
/** Where the scanner UI's static assets are built ([env.scanner-ui] assets.directory). */
const ASSETS = join(ROOT, "workers/scanner-ui/dist");

const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

interface Measured {
  env: string;
  modules: number;
  raw: number;
  gzip: number;
}

/** The Worker's uploaded modules (source maps and wrangler's README are not uploaded as code). */
function measure(env: string, outdir: string): Measured {
  const modules = files(outdir).filter((f) => !f.endsWith(".map") && !f.endsWith("README.md"));
  const bytes = modules.map((f) => readFileSync(f));
  return { env, modules: modules.length, raw: bytes.reduce((n, b) => n + b.length, 0), gzip: bytes.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0) };
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const pct = (n: number, of: number) => `${((n / of) * 100).toFixed(1)}%`;

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "kipass-bundles-"));
  const problems: string[] = [];
  const rows: Measured[] = [];
  try {
    // One at a time: the machine may be small, and each build is a few seconds.
    for (const d of DEPLOYMENTS) {
      const outdir = join(dir, d.env);
      try {
        await promisify(execFile)(WRANGLER, ["deploy", "--dry-run", "--env", d.env, "--outdir", outdir], { cwd: ROOT, env: childEnv, maxBuffer: 16 * MiB });
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string; message: string };
        problems.push(`${d.env}: does not build\n${e.stderr || e.stdout || e.message}`);
        continue;
      }
      const m = measure(d.env, outdir);
      rows.push(m);
      if (m.gzip > LIMITS.gzip) problems.push(`${d.env}: ${kib(m.gzip)} compressed, over the ${kib(LIMITS.gzip)} Worker size limit`);
      if (m.raw > LIMITS.raw) problems.push(`${d.env}: ${kib(m.raw)} uncompressed, over the ${kib(LIMITS.raw)} Worker size limit`);
    }
    for (const f of files(ASSETS)) {
      const size = statSync(f).size;
      if (size > LIMITS.asset) problems.push(`scanner-ui asset ${relative(ASSETS, f)}: ${kib(size)}, over the ${kib(LIMITS.asset)} per-file limit`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  console.log("deployment    modules  uncompressed   gzip        of 10 MiB (Paid)  of 3 MiB (Free)");
  for (const r of rows) {
    console.log(
      `${r.env.padEnd(13)} ${String(r.modules).padStart(7)}  ${kib(r.raw).padStart(12)}  ${kib(r.gzip).padStart(10)}  ${pct(r.gzip, LIMITS.gzip).padStart(16)}  ${pct(r.gzip, LIMITS.gzipFree).padStart(15)}`,
    );
  }
  for (const p of problems) console.error(`bundle check: ${p}`);
  console.log(problems.length ? `bundle check failed: ${problems.length} problem(s)` : `bundle check: ${rows.length} deployments build, all within the Workers size limits`);
  return problems.length ? 1 : 0;
}

process.exitCode = await main();
