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
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { codeFromOutbox, startIssuer } from "../tests/issuer-dev.js";
import { Failures, agent, formatRow, machine, offeredLoad, post, ratioLine, saturation, startBaselineWorker, type Result, type Send } from "./load.js";
import type { Bench } from "./run.js";

const OFFSET = Number(process.env.KIPASS_PORT_OFFSET ?? 0);
const BASELINE_PORT = 8790 + OFFSET;
/** Users to spread the load over: each mints at most every 2 s (the issuer's rate limit). */
const USERS = Number(process.env.BENCH_USERS ?? 800);
const LOADS = (process.env.BENCH_LOADS ?? "25,50,100,200").split(",").filter(Boolean).map(Number); // requests/s offered
/** BENCH_ONLY=issuer|baseline measures one side (for profiling; no ratio). */
const ONLY = process.env.BENCH_ONLY;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const SATURATION_CONCURRENCY = 16;
const failures = new Failures();

const BASELINE_WORKER = `
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  constructor(ctx, env) { super(ctx, env); ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL)"); }
  hit(now) { this.ctx.storage.sql.exec("INSERT INTO hits (at) VALUES (?)", now); return { ok: true }; }
}
export default {
  async fetch(request, env) {
    const user = new URL(request.url).searchParams.get("user") ?? "0";
    const r = await env.COUNTER.getByName(user).hit(Date.now());
    return Response.json(r, { status: 201 });
  },
};`;

/**
 * Before each step a side rests this long: longer than the 10 s after which
 * the runtime hibernates an idle object (local workerd as in production), so
 * every step of both sides starts with every user's object asleep — as in
 * production, where a visitor's app asks for a token at most every 15 s (the
 * QR's lifetime). Without an equal rest the baseline, whose steps follow the
 * issuer's slower ones more closely, started some steps with objects awake.
 */
const REST_MS = 12_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Creates every user's Durable Object (both sides): we measure wakes, not object creation. */
async function warm(request: Send): Promise<void> {
  for (let i = 0; i < USERS; i += 16) await Promise.all(Array.from({ length: Math.min(16, USERS - i) }, (_, k) => request(i + k)));
}

/**
 * Paired measurement: each load step runs on the baseline and right after on
 * the issuer, so both see the same machine (it may be shared; load drifts),
 * each after the same rest.
 */
async function measurePaired(sides: { label: string; request: Send }[]): Promise<void> {
  const lastUse = new Map<string, number>();
  for (const side of sides) {
    await warm(side.request);
    lastUse.set(side.label, performance.now());
  }
  const steps: { name: string; run: (req: Send) => Promise<Result> }[] = [
    ...LOADS.map((rate) => ({ name: `offered ${String(rate).padStart(4)}/s`, run: (req: Send) => offeredLoad(req, rate, SECONDS, 201, failures) })),
    { name: `saturation c=${SATURATION_CONCURRENCY}`, run: (req: Send) => saturation(req, SATURATION_CONCURRENCY, SECONDS * 2, 201, failures) },
  ];
  const ratios: string[] = [];
  for (const step of steps) {
    const results: Result[] = [];
    for (const side of sides) {
      await sleep(lastUse.get(side.label)! + REST_MS - performance.now()); // also ≥ the issuer's 2 s per-user gap
      failures.clear();
      const r = await step.run(side.request);
      lastUse.set(side.label, performance.now());
      results.push(r);
      console.log(formatRow(side.label.padEnd(9), step.name, r));
      for (const line of failures.lines("   ")) console.log(line);
    }
    const [b, o] = results;
    if (b && o) ratios.push(ratioLine(step.name, o, b));
  }
  if (ratios.length) console.log(`\nratio issuer / baseline:\n${ratios.join("\n")}`);
}

/** Enrols `n` users through the real API (codes from the dev outbox); returns their device credentials. */
async function enrolUsers(url: string, n: number): Promise<string[]> {
  const send = (path: string, body: unknown) => post(url + path, body);
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
    console.log(`machine: ${machine()}`);
    console.log(`offered loads ${LOADS.join(", ")}/s for ${SECONDS} s each, then ${SATURATION_CONCURRENCY} clients back to back for ${SECONDS * 2} s; ${USERS} users round robin\n`);
    const dir = mkdtempSync(join(tmpdir(), "kipass-issuer-bench-"));
    const baseline =
      ONLY === "issuer" ? null : await startBaselineWorker(dir, "kipass-bench-baseline", BASELINE_WORKER, { COUNTER: "Counter" }, BASELINE_PORT, "/?user=warm");
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
        const token = () => post(`${issuer.url}/api/v1/tokens`, {}, { authorization: `Bearer ${creds[n++ % USERS]}` });
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
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
