/**
 * `npm run bench registry`: the scan hot path (POST /v1/scan) under fixed
 * offered loads and at saturation, spread over many facilities and at one
 * hot facility, against two baselines measured in the same run on the same
 * runtime (`wrangler dev`, loopback):
 *   (a) a bare worker: one Durable Object call + one SQLite insert;
 *   (b) a bare worker: the two Durable Object calls this design needs — a
 *       claim in a sharded ledger object, then an insert in the facility's
 *       object — the floor of the design.
 * The registry verifies real KP1 tokens minted here with a test issuer key
 * whose JWKS this process serves on loopback. Bounded in-flight requests.
 *
 * Not a test: nothing fails. Record the figures in docs/performance.md.
 * Env: KIPASS_PORT_OFFSET (ports), BENCH_FACILITIES (1000), BENCH_LOADS
 * ("50,100,200"), BENCH_SECONDS (5), BENCH_ONLY=registry|baseline.
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, createServer, request as httpRequest } from "node:http";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { deployment, localUrl } from "../scripts/deployments.js";
import { SEALED_BYTES, generateKeyRing, importPartyKey, isValidBusinessNumber, mintToken, publishedJwks } from "../shared/src/index.js";
import { TOKEN_LEDGER_SHARDS } from "../workers/registry/src/durable/shards.js";
import type { Bench } from "./run.js";

const ROOT = new URL("..", import.meta.url).pathname;
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const OFFSET = Number(process.env.KIPASS_PORT_OFFSET ?? 0);
const BASELINE_PORT = 8791 + OFFSET;
const JWKS_PORT = 8795 + OFFSET;
const FACILITIES = Number(process.env.BENCH_FACILITIES ?? 1000);
const LOADS = (process.env.BENCH_LOADS ?? "50,100,200").split(",").filter(Boolean).map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ONLY = process.env.BENCH_ONLY;
const MAX_IN_FLIGHT = 256;
const SATURATION_CONCURRENCY = 16;
const childEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1", FORCE_COLOR: "0" };
const secret = () => randomBytes(32).toString("base64url");

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

interface Answer {
  status: number;
  body: string;
}

function send(method: string, url: string, headers: Record<string, string> = {}, body = ""): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    req.setTimeout(15_000, () => req.destroy(new Error("timeout after 15 s")));
    req.on("error", reject);
    req.end(body);
  });
}
const post = (url: string, body: unknown, headers: Record<string, string> = {}) => send("POST", url, headers, JSON.stringify(body));

const failures = new Map<string, number>();
const noteFailure = (what: string) => failures.set(what.slice(0, 160), (failures.get(what.slice(0, 160)) ?? 0) + 1);

/** Baselines (a) and (b) in one bare worker; same shard count as the registry's ledger. */
const BASELINE_WORKER = `
import { DurableObject } from "cloudflare:workers";
export class Place extends DurableObject {
  constructor(ctx, env) { super(ctx, env); ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS visits (token TEXT PRIMARY KEY, at INTEGER NOT NULL)"); }
  record(token, now) { this.ctx.storage.sql.exec("INSERT OR IGNORE INTO visits (token, at) VALUES (?, ?)", token, now); return { ok: true }; }
}
export class Ledger extends DurableObject {
  constructor(ctx, env) { super(ctx, env); ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS claims (token TEXT PRIMARY KEY, place TEXT NOT NULL)"); }
  claim(token, place) {
    const row = this.ctx.storage.sql.exec("SELECT place FROM claims WHERE token = ?", token).toArray()[0];
    if (!row) { this.ctx.storage.sql.exec("INSERT INTO claims (token, place) VALUES (?, ?)", token, place); return true; }
    return row.place === place;
  }
}
const shard = (t) => { let h = 0x811c9dc5; for (let i = 0; i < t.length; i++) { h ^= t.charCodeAt(i); h = Math.imul(h, 0x01000193); } return "ledger-" + ((h >>> 0) % ${TOKEN_LEDGER_SHARDS}); };
export default {
  async fetch(request, env) {
    const q = new URL(request.url).searchParams;
    const place = q.get("f") ?? "0", token = q.get("t") ?? crypto.randomUUID();
    const now = Date.now();
    if (new URL(request.url).pathname === "/b") {
      const ok = await env.LEDGER.get(env.LEDGER.idFromName(shard(token))).claim(token, place);
      if (!ok) return Response.json({ error: { code: "token_used" } }, { status: 409 });
    }
    const r = await env.PLACE.get(env.PLACE.idFromName(place)).record(token, now);
    return Response.json(r, { status: 200 });
  },
};`;

interface Result {
  offered: number | null;
  ok: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);

async function offeredLoad(request: (i: number) => Promise<Answer>, rate: number, seconds: number): Promise<Result> {
  const lat: number[] = [];
  let ok = 0, errors = 0, inFlight = 0;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < rate * seconds; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (inFlight >= MAX_IN_FLIGHT) { errors++; continue; }
    inFlight++;
    const t = performance.now();
    pending.push(
      request(i)
        .then((res) => { if (res.status === 200) ok++; else { errors++; noteFailure(`${res.status} ${res.body}`); } lat.push(performance.now() - t); })
        .catch((err: unknown) => { errors++; noteFailure(String(err)); })
        .finally(() => { inFlight--; }),
    );
  }
  await Promise.all(pending);
  lat.sort((a, b) => a - b);
  return { offered: rate, ok, errors, seconds: (performance.now() - start) / 1000, p50: pct(lat, 50), p99: pct(lat, 99) };
}

async function saturation(request: (i: number) => Promise<Answer>, concurrency: number, seconds: number): Promise<Result> {
  const lat: number[] = [];
  let ok = 0, errors = 0, i = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          const res = await request(i++);
          if (res.status === 200) ok++; else { errors++; noteFailure(`${res.status} ${res.body}`); }
          lat.push(performance.now() - t);
        } catch (err) { errors++; noteFailure(String(err)); }
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { offered: null, ok, errors, seconds: (performance.now() - start) / 1000, p50: pct(lat, 50), p99: pct(lat, 99) };
}

async function measure(label: string, request: (i: number) => Promise<Answer>): Promise<Result[]> {
  // Warm every object (creation is not what we measure); a failed warm-up request is retried by the measured phase anyway.
  for (let i = 0; i < FACILITIES; i += 16) await Promise.all(Array.from({ length: Math.min(16, FACILITIES - i) }, (_, k) => request(i + k).catch(() => undefined)));
  failures.clear();
  const out: Result[] = [];
  for (const rate of LOADS) out.push(await offeredLoad(request, rate, SECONDS));
  out.push(await saturation(request, SATURATION_CONCURRENCY, SECONDS * 2));
  for (const [what, n] of failures) console.log(`  ${label} failure ×${n}: ${what}`);
  for (const r of out) {
    console.log(
      `${label.padEnd(22)} ${r.offered === null ? `saturation c=${SATURATION_CONCURRENCY}` : `offered ${String(r.offered).padStart(4)}/s`}`.padEnd(46) +
        `served ${(r.ok / r.seconds).toFixed(0).padStart(5)}/s  p50 ${r.p50.toFixed(1).padStart(6)} ms  p99 ${r.p99.toFixed(1).padStart(6)} ms  errors ${r.errors}`,
    );
  }
  return out;
}

async function startWrangler(args: string[], cwd: string, health: string): Promise<{ stop: () => Promise<void>; log: () => string }> {
  const child = spawn(WRANGLER, ["dev", ...args, "--ip", "127.0.0.1", "--show-interactive-dev-session=false"], { cwd, env: childEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const stop = async () => {
    if (child.pid && child.exitCode === null) {
      try { process.kill(-child.pid, "SIGTERM"); } catch { /* gone */ }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    }
  };
  for (let t = 0; t < 400; t++) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${out}`);
    try { if ((await fetch(health, { signal: AbortSignal.timeout(3000) })).status < 500) return { stop, log: () => out }; } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 300));
  }
  await stop();
  throw new Error(`wrangler dev did not start:\n${out}`);
}

async function startBaseline(root: string) {
  // Source and state in separate folders: wrangler dev must not see its own state writes as source changes.
  const dir = join(root, "baseline-src");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "index.js"), BASELINE_WORKER);
  writeFileSync(
    join(dir, "wrangler.toml"),
    `name = "kipass-bench-registry-baseline"\nmain = "index.js"\ncompatibility_date = "2026-04-20"\n` +
      `durable_objects.bindings = [{ name = "PLACE", class_name = "Place" }, { name = "LEDGER", class_name = "Ledger" }]\n[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Place", "Ledger"]\n`,
  );
  const port = BASELINE_PORT;
  const w = await startWrangler(["-c", join(dir, "wrangler.toml"), "--port", String(port), "--inspector-port", String(port + 1000), "--persist-to", join(root, "baseline-state")], dir, `http://127.0.0.1:${port}/?f=warm`);
  return { url: `http://127.0.0.1:${port}`, stop: w.stop };
}

async function startRegistry(dir: string, jwksUrl: string) {
  const d = deployment("registry");
  const state = join(dir, "state");
  await promisify(execFile)(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--env", "registry", "--persist-to", state], { cwd: ROOT, env: { ...childEnv, CI: "true" } });
  const vars = {
    TRUSTED_ISSUERS: JSON.stringify([{ id: "bench", url: jwksUrl }]),
    FIELD_KEY: secret(),
    LOOKUP_KEY: secret(),
    ADMIN_TOKEN: secret(),
    DEV_MODE: "true",
  };
  const w = await startWrangler(
    ["--env", "registry", "--port", String(d.port), "--inspector-port", String(d.inspectorPort), "--persist-to", state, ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])],
    ROOT,
    `${localUrl(d)}/healthz`,
  );
  return { url: localUrl(d), stop: w.stop, log: w.log };
}

function businessNumber(i: number): string {
  const stem = String(100_000_000 + i * 7919).slice(0, 9);
  for (let d = 0; d < 10; d++) if (isValidBusinessNumber(stem + d)) return stem + d;
  throw new Error("unreachable");
}

/** Registers `n` facilities through the real API and logs in one device each. */
async function facilities(url: string, n: number): Promise<string[]> {
  const sessions: string[] = [];
  const base = 10_000_000 + Math.floor(Math.random() * 80_000_000);
  const one = async (i: number) => {
    const phone = `010${base + i}`;
    const sent = await post(`${url}/v1/phone/code`, { phone });
    if (sent.status !== 200) throw new Error(`code ${i}: ${sent.status} ${sent.body}`);
    const outbox = JSON.parse((await send("GET", `${url}/dev/outbox?phone=${phone}`)).body) as { messages: { text: string }[] };
    const code = /(\d{6})/.exec(outbox.messages[0]?.text ?? "")?.[1] ?? "";
    const proof = await post(`${url}/v1/phone/verify`, { phone, code });
    if (proof.status !== 200) throw new Error(`verify ${i}: ${proof.status} ${proof.body}`);
    const loginId = `bench${i}x${base}`;
    const password = "bench password";
    const reg = await post(`${url}/v1/facilities`, {
      consent: true, phoneProof: (JSON.parse(proof.body) as { phoneProof: string }).phoneProof, loginId, password,
      businessName: `벤치 시설 ${i}`, businessNumber: businessNumber(i), representative: "대표", businessPhone: "02-000-0000",
      industry: "karaoke", jurisdiction: { sido: "서울특별시", sigungu: "마포구" }, address: "서울", addressDetail: `${i}호`,
    });
    if (reg.status !== 201) throw new Error(`register ${i}: ${reg.status} ${reg.body}`);
    const login = await post(`${url}/v1/login`, { loginId, password });
    if (login.status !== 200) throw new Error(`login ${i}: ${login.status} ${login.body}`);
    sessions[i] = (JSON.parse(login.body) as { session: string }).session;
  };
  for (let i = 0; i < n; i += 8) await Promise.all(Array.from({ length: Math.min(8, n - i) }, (_, k) => one(i + k)));
  return sessions;
}

function ratios(label: string, ours: Result[], base: Result[]) {
  console.log(`\nratio ${label} (throughput served; p50, p99 latency):`);
  for (let k = 0; k < base.length; k++) {
    const b = base[k]!, o = ours[k]!;
    const name = b.offered === null ? "saturation" : `offered ${b.offered}/s`;
    console.log(`  ${name.padEnd(18)} ${(o.ok / o.seconds / (b.ok / b.seconds)).toFixed(2)}×   p50 ${(o.p50 / b.p50).toFixed(2)}×   p99 ${(o.p99 / b.p99).toFixed(2)}×`);
  }
}

const bench: Bench = {
  name: "Registry: scan hot path",
  async run() {
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    console.log(`offered loads ${LOADS.join(", ")}/s for ${SECONDS} s each, then ${SATURATION_CONCURRENCY} clients back to back for ${SECONDS * 2} s; ${FACILITIES} facilities; TokenLedger shards ${TOKEN_LEDGER_SHARDS}\n`);
    const dir = mkdtempSync(join(tmpdir(), "kipass-registry-bench-"));
    const results: Record<string, Result[]> = {};
    try {
      if (ONLY !== "registry") {
        const baseline = await startBaseline(dir);
        try {
          results.aSpread = await measure("(a) 1 DO, spread", (i) => send("GET", `${baseline.url}/a?f=${i % FACILITIES}&t=a${i}-${Math.random()}`));
          results.aHot = await measure("(a) 1 DO, hot", (i) => send("GET", `${baseline.url}/a?f=hot&t=a${i}-${Math.random()}`));
          results.bSpread = await measure("(b) 2 DOs, spread", (i) => send("GET", `${baseline.url}/b?f=${i % FACILITIES}&t=b${i}-${Math.random()}`));
          results.bHot = await measure("(b) 2 DOs, hot", (i) => send("GET", `${baseline.url}/b?f=hot&t=b${i}-${Math.random()}`));
        } finally {
          await baseline.stop();
        }
      }
      if (ONLY === "baseline") return;

      const ring = await generateKeyRing("sig");
      const jwks = JSON.stringify(publishedJwks(ring));
      const server = createServer((_, res) => res.writeHead(200, { "content-type": "application/json" }).end(jwks));
      await new Promise<void>((r) => server.listen(JWKS_PORT, "127.0.0.1", r));
      const privateKey = await importPartyKey(ring.current, "private");
      const mint = async () => (await mintToken({ issuer: "bench", kid: ring.current.kid, privateKey, sealed: new Uint8Array(randomBytes(SEALED_BYTES)), now: Date.now() })).qr;
      const registry = await startRegistry(join(dir, "registry"), `http://127.0.0.1:${JWKS_PORT}/jwks.json`);
      try {
        const t = performance.now();
        const sessions = await facilities(registry.url, FACILITIES);
        console.log(`(registered ${FACILITIES} facilities in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
        const scan = async (session: string) => post(`${registry.url}/v1/scan`, { qr: await mint() }, { authorization: `Bearer ${session}` });
        const sample = await scan(sessions[0]!);
        if (sample.status !== 200) throw new Error(`scan: ${sample.status} ${sample.body}`);
        results.oursSpread = await measure("registry, spread", (i) => scan(sessions[i % FACILITIES]!));
        results.oursHot = await measure("registry, hot", () => scan(sessions[0]!));
        console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
      } finally {
        await registry.stop();
        server.close();
      }
      if (results.bSpread && results.oursSpread) {
        ratios("registry spread / (b) spread", results.oursSpread, results.bSpread);
        ratios("registry hot / (b) hot", results.oursHot!, results.bHot!);
        ratios("registry spread / (a) spread", results.oursSpread, results.aSpread!);
        ratios("registry hot / (a) hot", results.oursHot!, results.aHot!);
      }
    } finally {
      agent.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
