/**
 * `npm run bench trace`: the time of one trace — a case with 50 visits over
 * 28 days, found from their phone — when the registry holds 100k and then
 * 1M visits across 10k facilities (issue 5). The trace must cost what the
 * case's visits cost, not what the registry holds: ratio 1M/100k ≤ 1.5.
 *
 * The whole local stack runs (`npm start`, fresh state, separate wrangler
 * dev processes). The case and ten contacts are real people at the three
 * issuers, checking in through the public APIs at simulated moments; each of
 * the case's 50 visits has exactly one contact 20 minutes later. Background
 * visits are seeded through the registry's DEV_MODE-only bulk path, which
 * runs the same TokenLedger and Facility code a scan does; at the case's 50
 * facilities they stay clear of the case's windows, so both runs must find
 * exactly the same 50 contacts — checked every run.
 *
 * Not a test: nothing fails. Record the figures in docs/performance.md.
 * Env: KIPASS_PORT_OFFSET (ports), BENCH_TRACE_RUNS (9), BENCH_FACILITIES (10000).
 */
import { loadavg } from "node:os";
import { HOUR, MINUTE, addDays, kstDay, kstDayStart } from "../shared/src/index.js";
import { ISSUERS, deployment, localUrl } from "../scripts/deployments.js";
import { readDevVars } from "../scripts/dev-vars.js";
import { isWranglerProxyRestart } from "../scripts/local-fetch.js";
import { enrolVisitor, login, mintQrAt, registerFacility, scanQrAt, validBusinessNumber } from "../scripts/people.js";
import { startStack } from "../tests/stack/run-stack.js";
import { Failures, inPool, machine, median, post, send } from "./load.js";
import type { Bench } from "./run.js";

const RUNS = Number(process.env.BENCH_TRACE_RUNS ?? 9);
const FACILITIES = Number(process.env.BENCH_FACILITIES ?? 10_000);
const CASE_VISITS = 50;
const CONTACT_PEOPLE = 10;
const SEED_VISITS_PER_REQUEST = 1_000;
/** Seeding and tracing on a busy machine take a while; the load generator's usual 15 s is for scans. */
const SLOW_MS = 120_000;
const SEED_CONCURRENCY = Number(process.env.BENCH_SEED_CONCURRENCY ?? 3);
const failures = new Failures();
/** Seeding requests lost to a local worker restart and sent again (their partial writes stay: a few extra background visits). */
let restarts = 0;

const url = (env: string) => localUrl(deployment(env));

interface Scene {
  caseFacilities: { id: string; avoid: [number, number][] }[];
  casePhone: string;
  from: number;
  to: number;
}

/** The case, their 50 visits at 50 facilities, and one contact 20 minutes after each. */
async function stage(registry: string): Promise<Scene> {
  const now = Date.now();
  // The oldest KST day retention keeps (R-R2: today − 27). "now − 27.5 days" fell on day − 28, already shredded, whenever KST was before noon.
  const from = kstDayStart(addDays(kstDay(now), -27));
  const to = now - MINUTE;
  const run = String(now % 1000).padStart(3, "0");
  const devices: string[] = [];
  const facilityIds: string[] = [];
  for (let i = 0; i < CASE_VISITS; i++) {
    const loginId = `bench${run}-f${i}`;
    const { facilityId } = await registerFacility(registry, {
      managerPhone: `010-7${run}-${String(1000 + i)}`,
      loginId,
      password: "bench-owner-password",
      businessName: `벤치 시설 ${i}`,
      businessNumber: validBusinessNumber(`7${run}${String(10_000 + i)}`.slice(0, 9)),
      addressDetail: `${i + 1}층`,
    });
    facilityIds.push(facilityId);
    devices.push(await login(registry, loginId, "bench-owner-password"));
  }
  const person = async (i: number, issuer: string) => {
    const phone = `010-8${run}-${String(2000 + i)}`;
    const { credential } = await enrolVisitor(url(issuer), { name: `방문자${i}`, phone, birthDate: "1990-01-01" });
    return { phone, issuer, credential };
  };
  const theCase = await person(0, "naver");
  const contacts = await Promise.all(Array.from({ length: CONTACT_PEOPLE }, (_, j) => person(j + 1, ISSUERS[j % ISSUERS.length]!.env)));
  const caseFacilities: Scene["caseFacilities"] = [];
  for (let i = 0; i < CASE_VISITS; i++) {
    const t = from + HOUR + i * 12 * HOUR;
    const contact = contacts[i % CONTACT_PEOPLE]!;
    const { qr } = await mintQrAt(url("naver"), theCase.credential, t - 3_000);
    await scanQrAt(registry, devices[i]!, qr, t);
    const c = await mintQrAt(url(contact.issuer), contact.credential, t + 20 * MINUTE - 3_000);
    await scanQrAt(registry, devices[i]!, c.qr, t + 20 * MINUTE);
    // Background visits stay well clear of the case's window (entry − 30 min … entry + 2 h by default).
    caseFacilities.push({ id: facilityIds[i]!, avoid: [[t - 3 * HOUR, t + 5 * HOUR]] });
  }
  return { caseFacilities, casePhone: theCase.phone, from, to };
}

/** Background visits: `perFacility` more at each of `FACILITIES` facilities (the case's included). */
async function seed(registry: string, scene: Scene, perFacility: number): Promise<number> {
  const facilities = [
    ...scene.caseFacilities,
    ...Array.from({ length: FACILITIES - scene.caseFacilities.length }, (_, i) => ({ id: `fac_bench${String(i).padStart(7, "0")}`, avoid: [] })),
  ];
  const size = Math.min(50, Math.max(1, Math.floor(SEED_VISITS_PER_REQUEST / perFacility)));
  const batches = Array.from({ length: Math.ceil(facilities.length / size) }, (_, i) => facilities.slice(i * size, (i + 1) * size));
  let recorded = 0;
  await inPool(batches.length, SEED_CONCURRENCY, async (b) => {
    const batch = batches[b]!;
    let r = await send("POST", `${registry}/dev/seed-visits`, {}, JSON.stringify({ facilities: batch, perFacility, from: scene.from, to: scene.to }), SLOW_MS);
    // wrangler dev restarts a busy local worker now and then (503, "restarted mid-request"): send that batch again.
    for (let retry = 0; isWranglerProxyRestart(r.status, r.body) && retry < 5; retry++) {
      restarts++;
      r = await send("POST", `${registry}/dev/seed-visits`, {}, JSON.stringify({ facilities: batch, perFacility, from: scene.from, to: scene.to }), SLOW_MS);
    }
    if (r.status !== 200) throw new Error(`seeding refused: ${r.status} ${r.body}`);
    const { claimed, recorded: n } = JSON.parse(r.body) as { claimed: number; recorded: number };
    if (claimed !== n || n !== batch.length * perFacility) failures.note(`batch seeded ${n} visits, ${claimed} claims, of ${batch.length * perFacility}`);
    recorded += n;
  });
  return recorded;
}

async function investigator(authority: string): Promise<string> {
  const creds = { id: "bench-supervisor", password: "bench supervisor password" };
  await post(`${authority}/api/bootstrap`, { ...creds, name: "벤치 감독관", role: "supervisor" }, { authorization: `Bearer ${readDevVars("authority").BOOTSTRAP_TOKEN}` });
  const r = await post(`${authority}/api/login`, creds);
  if (r.status !== 200) throw new Error(`cannot sign in at the authority: ${r.body}`);
  return (JSON.parse(r.body) as { token: string }).token;
}

/** Times `RUNS` traces of the case (after one to warm up); checks each finds exactly the 50 contacts. */
async function timeTraces(authority: string, token: string, caseId: string, scene: Scene): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const started = performance.now();
    const body = JSON.stringify({ kind: "phone", phone: scene.casePhone, from: scene.from, to: scene.to });
    const r = await send("POST", `${authority}/api/cases/${caseId}/traces`, { authorization: `Bearer ${token}` }, body, SLOW_MS);
    const ms = performance.now() - started;
    const trace = JSON.parse(r.body) as { status?: string; contacts?: unknown[]; windows?: unknown[] };
    if (r.status !== 201 || trace.status !== "complete") failures.note(`trace ${r.status}: ${r.body.slice(0, 120)}`);
    else if (trace.windows?.length !== CASE_VISITS || trace.contacts?.length !== CASE_VISITS) {
      failures.note(`trace found ${trace.windows?.length} windows and ${trace.contacts?.length} contacts, expected ${CASE_VISITS} and ${CASE_VISITS}`);
    }
    if (i > 0) times.push(ms);
  }
  return times;
}

const bench: Bench = {
  name: "trace time vs registry size (100k and 1M visits, 10k facilities)",
  async run() {
    console.log(`machine: ${machine()}`);
    const stack = await startStack();
    process.once("SIGINT", () => void stack.stop().then(() => process.exit(130)));
    try {
      const registry = url("registry");
      const authority = url("authority");
      let started = performance.now();
      const scene = await stage(registry);
      console.log(`staged the case: ${CASE_VISITS} visits at ${CASE_VISITS} facilities, ${CONTACT_PEOPLE} contacts at ${ISSUERS.length} issuers (${((performance.now() - started) / 1000).toFixed(0)} s)`);
      const token = await investigator(authority);
      const caseId = `bench-${Date.now()}`;
      const opened = await post(`${authority}/api/cases`, { id: caseId, title: "벤치 확진자" }, { authorization: `Bearer ${token}` });
      if (opened.status !== 201 && opened.status !== 200) throw new Error(`cannot open a case: ${opened.body}`);

      const rows: { visits: number; times: number[]; seedRate: number }[] = [];
      let held = CASE_VISITS * 2;
      for (const perFacility of [10, 90]) {
        started = performance.now();
        const added = await seed(registry, scene, perFacility);
        const seconds = (performance.now() - started) / 1000;
        held += added;
        console.log(`seeded ${added.toLocaleString("en")} visits in ${seconds.toFixed(0)} s (${(added / seconds).toFixed(0)}/s, ${restarts} batches resent); registry holds ${held.toLocaleString("en")}`);
        console.log(`  load average before tracing: ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
        const times = await timeTraces(authority, token, caseId, scene);
        console.log(`  trace: median ${median(times).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)} over ${RUNS} runs`);
        rows.push({ visits: held, times, seedRate: added / seconds });
      }
      const [small, large] = rows as [(typeof rows)[0], (typeof rows)[0]];
      console.log(`\nratio median trace time ${large.visits.toLocaleString("en")} / ${small.visits.toLocaleString("en")} visits: ${(median(large.times) / median(small.times)).toFixed(2)}× (goal ≤ 1.5×)`);
      for (const line of failures.lines("trace bench")) console.log(line);
    } finally {
      await stack.stop();
    }
  },
};

export default bench;
