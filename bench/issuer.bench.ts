/**
 * `npm run bench issuer`: token issuance (POST /api/v1/tokens) under fixed
 * offered loads and at saturation, against a baseline worker measured in the
 * same run on the same runtime: one Durable Object call + one SQLite insert
 * per request (the least any per-user issuance can do). Both run under
 * `wrangler dev` on loopback; the load comes from this process with bounded
 * in-flight requests. Prints throughput, p50/p99 latency and the ratios.
 *
 * Not a test: nothing fails. Record the figures in docs/performance.md.
 * KIPASS_PORT_OFFSET shifts the ports (as for npm start).
 */
import { spawn } from "node:child_process";
import { Agent, request as httpRequest } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { codeFromOutbox, startIssuer } from "../tests/issuer-dev.js";
import type { Bench } from "./run.js";

const ROOT = new URL("..", import.meta.url).pathname;
const OFFSET = Number(process.env.KIPASS_PORT_OFFSET ?? 0);
const BASELINE_PORT = 8790 + OFFSET;
/** Users to spread the load over: each mints at most every 2 s (the issuer's rate limit). */
const USERS = Number(process.env.BENCH_USERS ?? 800);
const LOADS = (process.env.BENCH_LOADS ?? "25,50,100,200").split(",").filter(Boolean).map(Number); // requests/s offered
/** BENCH_ONLY=issuer|baseline measures one side (for profiling; no ratio). */
const ONLY = process.env.BENCH_ONLY;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const MAX_IN_FLIGHT = 256;
const SATURATION_CONCURRENCY = 16;

/** One keep-alive pool for every request, like a load balancer in front of an edge (no per-request TCP set-up). */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

interface Answer {
  status: number;
  body: string;
}

/** A POST over the shared pool; resolves with status and body, rejects on a transport error. */
function post(url: string, headers: Record<string, string> = {}, body = ""): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** First few failures of a run, so a wrong figure explains itself. */
const failures = new Map<string, number>();
const noteFailure = (what: string) => failures.set(what.slice(0, 160), (failures.get(what.slice(0, 160)) ?? 0) + 1);

const BASELINE_WORKER = `
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  constructor(ctx, env) { super(ctx, env); ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL)"); }
  hit(now) { this.ctx.storage.sql.exec("INSERT INTO hits (at) VALUES (?)", now); return { ok: true }; }
}
export default {
  async fetch(request, env) {
    const user = new URL(request.url).searchParams.get("user") ?? "0";
    const r = await env.COUNTER.get(env.COUNTER.idFromName(user)).hit(Date.now());
    return Response.json(r, { status: 201 });
  },
};`;

interface Result {
  offered: number | null;
  sent: number;
  ok: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);

/** Open loop: one request every 1000/rate ms for `seconds`, never more than MAX_IN_FLIGHT outstanding. */
async function offeredLoad(request: (i: number) => Promise<Answer>, rate: number, seconds: number): Promise<Result> {
  const lat: number[] = [];
  let ok = 0, errors = 0, sent = 0, inFlight = 0;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < rate * seconds; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (inFlight >= MAX_IN_FLIGHT) { errors++; continue; } // shed: counted as not served
    inFlight++; sent++;
    const t = performance.now();
    pending.push(
      request(i)
        .then((res) => { if (res.status === 201) ok++; else { errors++; noteFailure(`${res.status} ${res.body}`); } lat.push(performance.now() - t); })
        .catch((err: unknown) => { errors++; noteFailure(String(err)); })
        .finally(() => { inFlight--; }),
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { offered: rate, sent, ok, errors, seconds: elapsed, p50: pct(lat, 50), p99: pct(lat, 99) };
}

/** Closed loop: `concurrency` clients back to back for `seconds`. */
async function saturation(request: (i: number) => Promise<Answer>, concurrency: number, seconds: number): Promise<Result> {
  const lat: number[] = [];
  let ok = 0, errors = 0, sent = 0, i = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        sent++;
        try {
          const res = await request(i++);
          if (res.status === 201) ok++;
          else { errors++; noteFailure(`${res.status} ${res.body}`); }
          lat.push(performance.now() - t);
        } catch (err) {
          errors++;
          noteFailure(String(err));
        }
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { offered: null, sent, ok, errors, seconds: (performance.now() - start) / 1000, p50: pct(lat, 50), p99: pct(lat, 99) };
}

/** Touches every user's Durable Object once (both sides): we measure steady state, not object creation. */
async function warm(request: (i: number) => Promise<Answer>): Promise<void> {
  for (let i = 0; i < USERS; i += 16) await Promise.all(Array.from({ length: Math.min(16, USERS - i) }, (_, k) => request(i + k)));
  await new Promise((r) => setTimeout(r, 2100)); // the issuer's 2 s per-user gap
}

function row(label: string, step: string, r: Result): string {
  const tput = r.ok / r.seconds;
  return `${label.padEnd(9)} ${step}`.padEnd(36) + `served ${tput.toFixed(0).padStart(5)}/s  p50 ${r.p50.toFixed(1).padStart(6)} ms  p99 ${r.p99.toFixed(1).padStart(6)} ms  errors ${r.errors}`;
}

type Send = (i: number) => Promise<Answer>;

/**
 * Paired measurement: each load step runs on the baseline and right after on
 * the issuer, so both see the same machine (it is shared; load drifts).
 */
async function measurePaired(sides: { label: string; request: Send }[]): Promise<void> {
  for (const side of sides) await warm(side.request);
  const steps: { name: string; run: (req: Send) => Promise<Result> }[] = [
    ...LOADS.map((rate) => ({ name: `offered ${String(rate).padStart(4)}/s`, run: (req: Send) => offeredLoad(req, rate, SECONDS) })),
    { name: `saturation c=${SATURATION_CONCURRENCY}`, run: (req: Send) => saturation(req, SATURATION_CONCURRENCY, SECONDS * 2) },
  ];
  const ratios: string[] = [];
  for (const step of steps) {
    const results: Result[] = [];
    for (const side of sides) {
      failures.clear();
      const r = await step.run(side.request);
      results.push(r);
      console.log(row(side.label, step.name, r));
      for (const [what, n] of failures) console.log(`    failure ×${n}: ${what}`);
      await new Promise((res) => setTimeout(res, 2100)); // the issuer's 2 s per-user gap
    }
    const [b, o] = results;
    if (b && o) {
      ratios.push(`  ${step.name.padEnd(18)} throughput ${(o.ok / o.seconds / (b.ok / b.seconds)).toFixed(2)}×   p50 ${(o.p50 / b.p50).toFixed(1)}×   p99 ${(o.p99 / b.p99).toFixed(1)}×`);
    }
  }
  if (ratios.length) console.log(`\nratio issuer / baseline:\n${ratios.join("\n")}`);
}

async function startBaseline(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "kipass-baseline-"));
  writeFileSync(join(dir, "index.js"), BASELINE_WORKER);
  writeFileSync(
    join(dir, "wrangler.toml"),
    `name = "kipass-bench-baseline"\nmain = "index.js"\ncompatibility_date = "2026-04-20"\n` +
      `durable_objects.bindings = [{ name = "COUNTER", class_name = "Counter" }]\n[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Counter"]\n`,
  );
  const child = spawn(
    join(ROOT, "node_modules/.bin/wrangler"),
    ["dev", "-c", join(dir, "wrangler.toml"), "--ip", "127.0.0.1", "--port", String(BASELINE_PORT), "--inspector-port", String(BASELINE_PORT + 1000), "--persist-to", join(dir, "state"), "--show-interactive-dev-session=false"],
    { cwd: dir, env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" }, detached: true, stdio: "ignore" },
  );
  const url = `http://127.0.0.1:${BASELINE_PORT}`;
  const stop = async () => {
    if (child.pid && child.exitCode === null) {
      try { process.kill(-child.pid, "SIGTERM"); } catch { /* gone */ }
      await new Promise((r) => setTimeout(r, 1000));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let t = 0; t < 300; t++) {
    try {
      if ((await post(`${url}/?user=warm`)).status === 201) return { url, stop };
    } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 300));
  }
  await stop();
  throw new Error("baseline worker did not start");
}

/** Enrols `n` users through the real API (codes from the dev outbox); returns their device credentials. */
async function enrolUsers(url: string, n: number): Promise<string[]> {
  const send = (path: string, body: unknown) => post(url + path, {}, JSON.stringify(body));
  const creds: string[] = [];
  const base = 10_000_000 + Math.floor(Math.random() * 80_000_000);
  const one = async (i: number) => {
    const phone = `010${base + i}`;
    const v = await send("/api/v1/verifications", { phone });
    if (v.status !== 201) throw new Error(`verification for user ${i}: ${v.status} ${v.body}`);
    const { verificationId } = JSON.parse(v.body) as { verificationId: string };
    const code = await codeFromOutbox(url, phone);
    const consent = { version: "2026-11-v1", collectionUse: true, thirdParty: true };
    const res = await send("/api/v1/enrolments", { verificationId, phone, code, name: `사용자${i}`, birthDate: "1990-01-01", consent });
    if (res.status !== 201) throw new Error(`enrolment of user ${i}: ${res.status} ${res.body}`);
    creds[i] = (JSON.parse(res.body) as { credential: string }).credential;
  };
  for (let i = 0; i < n; i += 16) await Promise.all(Array.from({ length: Math.min(16, n - i) }, (_, k) => one(i + k)));
  return creds;
}

const bench: Bench = {
  name: "Issuer: token issuance",
  async run() {
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
    console.log(`offered loads ${LOADS.join(", ")}/s for ${SECONDS} s each, then ${SATURATION_CONCURRENCY} clients back to back for ${SECONDS * 2} s; ${USERS} users round robin\n`);
    const baseline = ONLY === "issuer" ? null : await startBaseline();
    const issuer = ONLY === "baseline" ? null : await startIssuer("naver");
    try {
      const sides: { label: string; request: Send }[] = [];
      if (baseline) {
        let n = 0;
        sides.push({ label: "baseline", request: () => post(`${baseline.url}/?user=${n++ % USERS}`) });
      }
      if (issuer) {
        const t = performance.now();
        const creds = await enrolUsers(issuer.url, USERS);
        console.log(`(enrolled ${USERS} users in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
        // One round robin across every step: user k mints every USERS/rate seconds (≥ 2 s up to 400/s).
        let n = 0;
        const token = () => post(`${issuer.url}/api/v1/tokens`, { authorization: `Bearer ${creds[n++ % USERS]}` });
        const sample = await token();
        if (sample.status !== 201) throw new Error(`token: ${sample.status} ${sample.body}`);
        const { qr, svg } = JSON.parse(sample.body) as { qr: string; svg: string };
        console.log(`token: ${qr.length} characters (QR text), SVG ${svg.length} bytes, JSON answer ${sample.body.length} bytes\n`);
        sides.push({ label: "issuer", request: token });
      }
      await measurePaired(sides);
    } finally {
      await baseline?.stop();
      await issuer?.stop();
      agent.destroy();
    }
  },
};

export default bench;
