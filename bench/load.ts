/**
 * What the benchmarks share: HTTP over one keep-alive pool (like a load
 * balancer in front of the edge: no per-request TCP set-up), open-loop
 * offered load and closed-loop saturation with bounded requests in flight,
 * percentiles and ratios, and a bare baseline worker under `wrangler dev`.
 * Loopback only; every loop is bounded in count and time.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { childEnv } from "../scripts/deployment-process.js";

const ROOT = new URL("..", import.meta.url).pathname;
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
export const MAX_IN_FLIGHT = 256;

export const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export interface Answer {
  status: number;
  body: string;
}

export function send(method: string, url: string, headers: Record<string, string> = {}, body = "", timeoutMs = 15_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // A GET carries no body headers: local wrangler dev re-sends a GET after a worker restart, and one declaring a body cannot be re-sent.
    const bodyHeaders = method === "GET" ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
    const req = httpRequest(url, { method, agent, headers: { ...bodyHeaders, ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs / 1000} s: ${method} ${url}`)));
    req.on("error", reject);
    req.end(body);
  });
}

export const post = (url: string, body: unknown = {}, headers: Record<string, string> = {}) => send("POST", url, headers, JSON.stringify(body));

/** The first kinds of failure of a run, so a wrong figure explains itself. */
export class Failures {
  private readonly seen = new Map<string, number>();
  note(what: string): void {
    const key = what.slice(0, 160);
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
  }
  clear(): void {
    this.seen.clear();
  }
  lines(prefix: string): string[] {
    return [...this.seen].map(([what, n]) => `${prefix} failure ×${n}: ${what}`);
  }
}

export type Send = (i: number) => Promise<Answer>;

export interface Result {
  /** Requests/s offered; null for saturation. */
  offered: number | null;
  ok: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
  /** The serving runtime's CPU per request served, ms, where measured (WranglerDev.runtimeCpu). */
  cpuPerScan?: number;
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);

function record(lat: number[], failures: Failures, okStatus: number) {
  return (t: number) => (res: Answer) => {
    if (res.status === okStatus) lat.push(performance.now() - t);
    else failures.note(`${res.status} ${res.body}`);
    return res.status === okStatus;
  };
}

/** Open loop: one request every 1000/rate ms for `seconds`; beyond MAX_IN_FLIGHT outstanding, a request is shed (counted as not served). */
export async function offeredLoad(request: Send, rate: number, seconds: number, okStatus: number, failures: Failures): Promise<Result> {
  const lat: number[] = [];
  const done = record(lat, failures, okStatus);
  let ok = 0;
  let errors = 0;
  let inFlight = 0;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < rate * seconds; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (inFlight >= MAX_IN_FLIGHT) {
      errors++;
      continue;
    }
    inFlight++;
    const t = performance.now();
    pending.push(
      request(i)
        .then((res) => (done(t)(res) ? ok++ : errors++))
        .catch((err: unknown) => {
          errors++;
          failures.note(String(err));
        })
        .then(() => void inFlight--),
    );
  }
  await Promise.all(pending);
  lat.sort((a, b) => a - b);
  return { offered: rate, ok, errors, seconds: (performance.now() - start) / 1000, p50: pct(lat, 50), p99: pct(lat, 99) };
}

/** Runs `task` for 0 … count − 1, at most `concurrency` at once: each worker takes the next index when it is done (no batch waits for its slowest). */
export async function inPool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) await task(i);
    }),
  );
}

/** Closed loop: `concurrency` clients back to back for `seconds`. */
export async function saturation(request: Send, concurrency: number, seconds: number, okStatus: number, failures: Failures): Promise<Result> {
  const lat: number[] = [];
  const done = record(lat, failures, okStatus);
  let ok = 0;
  let errors = 0;
  let i = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          if (done(t)(await request(i++))) ok++;
          else errors++;
        } catch (err) {
          errors++;
          failures.note(String(err));
        }
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { offered: null, ok, errors, seconds: (performance.now() - start) / 1000, p50: pct(lat, 50), p99: pct(lat, 99) };
}

export const served = (r: Result) => r.ok / r.seconds;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function formatRow(label: string, step: string, r: Result): string {
  const cpu = r.cpuPerScan === undefined ? "" : `  runtime CPU ${r.cpuPerScan.toFixed(1)} ms/scan`;
  return `${label} ${step}`.padEnd(46) + `served ${served(r).toFixed(0).padStart(5)}/s  p50 ${r.p50.toFixed(1).padStart(6)} ms  p99 ${r.p99.toFixed(1).padStart(6)} ms  errors ${r.errors}${cpu}`;
}

export function ratioLine(step: string, ours: Result, base: Result): string {
  return `  ${step.padEnd(20)} throughput ${(served(ours) / served(base)).toFixed(2)}×   p50 ${(ours.p50 / base.p50).toFixed(2)}×   p99 ${(ours.p99 / base.p99).toFixed(2)}×`;
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`;
}

/** `wrangler dev` with `args`, waiting until `health` answers below 500. */
export interface WranglerDev {
  stop: () => Promise<void>;
  /** Its output so far. */
  log: () => string;
  /** True once the process has exited (wrangler dev can exit on a dropped connection: workers-sdk#15317). */
  exited: () => boolean;
  /** CPU seconds its runtime has used so far (see runtimeCpuSeconds); undefined where /proc cannot tell. */
  runtimeCpu: () => number | undefined;
}

/** Linux's USER_HZ: the unit of utime and stime in /proc/<pid>/stat. */
const CLOCK_TICKS = 100;

/**
 * CPU seconds used so far by the runtime of the `wrangler dev` whose process
 * group is `group`: of its two workerd processes, the one serving the worker
 * (its entry socket on port 0), not wrangler's proxy (on the party's port).
 * A warm scan and a cold one differ three-fold in it (docs/performance.md),
 * so a step's CPU per scan tells which it ran. Linux /proc only.
 */
function runtimeCpuSeconds(group: number): number | undefined {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (!stat.includes("(workerd)") || Number(fields[2]) !== group) continue;
      if (!/--socket-addr=entry=[^\0]*:0\0/.test(readFileSync(`/proc/${name}/cmdline`, "utf8"))) continue;
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      // The process ended while being read.
    }
  }
  return undefined;
}

export async function startWranglerDev(args: string[], cwd: string, health: string): Promise<WranglerDev> {
  const child = spawn(WRANGLER, ["dev", ...args, "--ip", "127.0.0.1", "--show-interactive-dev-session=false"], { cwd, env: childEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const stop = async () => {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        /* gone */
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    }
  };
  for (let t = 0; t < 400; t++) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${out}`);
    try {
      if ((await fetch(health, { signal: AbortSignal.timeout(3000) })).status < 500) {
        return { stop, log: () => out, exited: () => child.exitCode !== null || child.signalCode !== null, runtimeCpu: () => (child.pid ? runtimeCpuSeconds(child.pid) : undefined) };
      }
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  await stop();
  throw new Error(`wrangler dev did not start:\n${out}`);
}

/** A bare baseline worker (source + SQLite-backed DO classes) under wrangler dev on `port`. */
export async function startBaselineWorker(dir: string, name: string, source: string, classes: Record<string, string>, port: number, health: string, vars: Record<string, string> = {}) {
  // Source and state in separate folders: wrangler dev must not see its own state writes as source changes.
  const src = join(dir, "baseline-src");
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, "index.js"), source);
  const bindings = Object.entries(classes).map(([binding, cls]) => `{ name = "${binding}", class_name = "${cls}" }`);
  writeFileSync(
    join(src, "wrangler.toml"),
    `name = "${name}"\nmain = "index.js"\ncompatibility_date = "2026-04-20"\n` +
      `durable_objects.bindings = [${bindings.join(", ")}]\n[[migrations]]\ntag = "v1"\nnew_sqlite_classes = [${Object.values(classes).map((c) => `"${c}"`).join(", ")}]\n`,
  );
  const w = await startWranglerDev(
    ["-c", join(src, "wrangler.toml"), "--port", String(port), "--inspector-port", String(port + 1000), "--persist-to", join(dir, "baseline-state"), ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])],
    src,
    `http://127.0.0.1:${port}${health}`,
  );
  return { ...w, url: `http://127.0.0.1:${port}` };
}
