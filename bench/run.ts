/**
 * `npm run bench [name …]`: runs bench/<name>.bench.ts (all of them by
 * default). Benchmarks are not tests: each measures our path and a baseline
 * in the same run on the same runtime, and prints the ratios. Record the
 * figures in docs/performance.md.
 */
import { readdirSync } from "node:fs";

export interface Bench {
  name: string;
  run(): Promise<void>;
}

const dir = new URL(".", import.meta.url);
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .sort()
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.bench\.ts$/, "")));

if (files.length === 0) {
  console.error(only.length ? `no benchmark named ${only.join(", ")}` : "no benchmarks yet");
  process.exit(only.length ? 2 : 0);
}
for (const file of files) {
  const mod = (await import(new URL(file, dir).href)) as { default: Bench };
  console.log(`\n=== ${mod.default.name} (${file})`);
  await mod.default.run();
}
