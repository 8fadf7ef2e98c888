// Faults under load: valid scans, replays and garbage across 100 facilities
// while every Durable Object is aborted mid-run. A device retries a scan that
// failed with a 5xx (the scanner UI submits a QR still held in front of the
// camera again after 5 s; here at once, so the 15 s token is still fresh);
// afterwards every valid scan is
// recorded exactly once, every replay refused, the hourly counts equal the
// visits, no claim is left without its visit, and the retention alarm of
// every object is armed again from its due-work table.
//
// Scans go through the Hono app with the real bindings (`app.request(…, env)`,
// as concurrency.test.ts explains): same routes, objects and storage. Sized
// for CI: in the test pool every object and the test share one isolate, and
// each abort restarts all of them cold, so throughput drops after every
// abort (on the 2-core machine the 5th abort already costs tens of seconds).
// The counts the run reaches are what docs/reliability.md reports.
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { HOUR, addDays, credentialHash, expiresAt, kstDay, kstDayStart, lookupHash } from "../../../shared/src/index.js";
import { recordFigure } from "../../../tests/reliability.js";
import { newFacilitySession } from "../src/auth.js";
import { app } from "../src/index.js";
import { SWEEP_CHUNK } from "../src/durable/retention.js";
import { TOKEN_LEDGER_SHARDS, ledgerShard } from "../src/durable/shards.js";
import { JURISDICTION, mintQr, randomPhone, validBusinessNumber } from "./helpers.js";

const FACILITIES = 100;
const VISITORS = 240;
/** Devices scanning at once. */
const DEVICES = 40;
/** Every 5th valid token is replayed at another facility, the next one re-scanned at its own. */
const EVERY_NTH_REPLAYED = 5;
const GARBAGE = 80;
/** Every object is aborted each time this many operations have finished. */
const ABORT_EVERY = 80;

const direct = (method: string, path: string, body?: unknown, session?: string) =>
  app.request(
    path,
    {
      method,
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(session ? { authorization: `Bearer ${session}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
    env,
  );

/** What a scanner device does: retry while the registry answers 5xx or the connection drops. */
async function scanWithRetry(session: string, qr: string, failures: { count: number }): Promise<{ status: number; body: { repeat?: boolean; error?: { code: string } } }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const res = await direct("POST", "/v1/scan", { qr }, session);
      if (res.status < 500) return { status: res.status, body: (await res.json()) as { repeat?: boolean; error?: { code: string } } };
      await res.body?.cancel();
    } catch {
      // the object died under the request: same as a 5xx for the device
    }
    failures.count++;
    await new Promise((r) => setTimeout(r, 5 * (attempt + 1)));
  }
  throw new Error("scan never succeeded after 20 attempts");
}

async function facility(): Promise<{ facilityId: string; session: string }> {
  const phone = randomPhone();
  expect((await direct("POST", "/v1/phone/code", { phone })).status).toBe(200);
  const outbox = (await (await direct("GET", `/dev/outbox?phone=${phone}`)).json()) as { messages: { text: string }[] };
  const code = /(\d{6})/.exec(outbox.messages[0]!.text)![1]!;
  const { phoneProof } = (await (await direct("POST", "/v1/phone/verify", { phone, code })).json()) as { phoneProof: string };
  const loginId = `flt${crypto.randomUUID().slice(0, 12)}`;
  const password = "correct horse battery";
  const res = await direct("POST", "/v1/facilities", {
    consent: true,
    phoneProof,
    loginId,
    password,
    businessName: "망원동 PC방",
    businessNumber: validBusinessNumber(),
    representative: "박대표",
    businessPhone: "02-555-0101",
    industry: "pc_bang",
    jurisdiction: JURISDICTION,
    address: "서울특별시 마포구 망원로 1",
    addressDetail: "지하 1층",
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const { facilityId } = (await res.json()) as { facilityId: string };
  const { session } = (await (await direct("POST", "/v1/login", { loginId, password })).json()) as { session: string };
  return { facilityId, session };
}

const facilityStub = (id: string) => env.FACILITY.getByName(id);

/**
 * An active facility and a live device session, set up in its object as
 * registration and login leave them (100 real registrations would spend
 * half a minute in PBKDF2; test 2 below goes through them).
 */
async function loadFacility(i: number): Promise<{ facilityId: string; session: string }> {
  const facilityId = `fac_load${String(i).padStart(8, "0")}`;
  const session = await newFacilitySession(env, facilityId);
  const stub = facilityStub(facilityId);
  await stub.configure({ facilityId, status: "active", validFrom: null, validUntil: null, version: 0 });
  await stub.addDevice({ sessionHash: await credentialHash(session), accountId: `acc_load${i}`, expiresAt: Date.now() + HOUR });
  return { facilityId, session };
}
const ledgerStub = (shard: string) => env.TOKEN_LEDGER.getByName(shard);

const count = (stub: DurableObjectStub, query: string) =>
  runInDurableObject(stub, (_, state) => state.storage.sql.exec<{ n: number }>(query).one().n);

/** Garbage a device might submit: not a token, a damaged token, an expired one, an unknown issuer. */
async function garbage(i: number): Promise<string> {
  switch (i % 4) {
    case 0:
      return `not a KI-Pass code ${i}`;
    case 1: {
      const { qr } = await mintQr();
      const at = 10 + (i % 40);
      return qr.slice(0, at) + (qr[at] === "A" ? "B" : "A") + qr.slice(at + 1);
    }
    case 2:
      return (await mintQr({ now: Date.now() - HOUR })).qr;
    default:
      return (await mintQr({ issuer: "unknown" })).qr;
  }
}

describe("faults under load", () => {
  it("mixed scans across 100 facilities with every object aborted mid-run: each valid scan recorded once, replays refused, counts equal visits", async ({ task }) => {
    const facilities = await Promise.all(Array.from({ length: FACILITIES }, (_, i) => loadFacility(i)));
    const failures = { count: 0 };
    let aborts = 0;
    const recorded: { jti: string; facility: number }[] = [];
    /** Tokens whose scan failed under an abort until they expired (the visitor then showed a fresh one). */
    const abandoned: { jti: string; facility: number }[] = [];
    let replays = 0;
    let rescans = 0;
    const days = new Set<string>();

    // A pool of devices works through the visitors and the garbage; every
    // object is aborted each time another ABORT_EVERY operations have finished.
    // The registry logs each 5xx with its stack; hundreds of those would time the run, not the registry.
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    days.add(kstDay(Date.now()));
    let done = 0;
    const abortsInFlight: Promise<void>[] = [];
    const finished = () => {
      if (++done % ABORT_EVERY === 0) abortsInFlight.push(abortAllDurableObjects().then(() => void aborts++));
    };
    const visitor = async (i: number) => {
      const at = i % FACILITIES;
      const elsewhere = (at + 1 + (i % (FACILITIES - 1))) % FACILITIES;
      // The visitor's token; if the device's retries outlast it (15 s + skew), the wallet shows a new one.
      let t = await mintQr();
      let r = await scanWithRetry(facilities[at]!.session, t.qr, failures);
      while (r.status === 422 && r.body.error?.code === "expired") {
        abandoned.push({ jti: t.jti, facility: at });
        t = await mintQr();
        r = await scanWithRetry(facilities[at]!.session, t.qr, failures);
      }
      expect(r, "valid scan").toMatchObject({ status: 200, body: { repeat: false } });
      recorded.push({ jti: t.jti, facility: at });
      // A screenshot sent on is refused elsewhere (token_used; expired once its 15 s are over); a re-scan here records nothing new.
      if (i % EVERY_NTH_REPLAYED === 0) {
        const replay = await scanWithRetry(facilities[elsewhere]!.session, t.qr, failures);
        expect([409, 422], "replay at another facility").toContain(replay.status);
        expect(["token_used", "expired"]).toContain(replay.body.error?.code);
        replays++;
      } else if (i % EVERY_NTH_REPLAYED === 1) {
        const again = await scanWithRetry(facilities[at]!.session, t.qr, failures);
        if (again.status === 200) expect(again.body.repeat, "re-scan at the same facility").toBe(true);
        else expect(again.body.error?.code).toBe("expired");
        rescans++;
      }
    };
    const junk = async (i: number) => {
      const qr = await garbage(i);
      const r = await scanWithRetry(facilities[i % FACILITIES]!.session, qr, failures);
      expect([400, 422], `garbage ${qr.slice(0, 24)}`).toContain(r.status);
    };
    // Garbage interleaved with the visitors.
    const work: (() => Promise<void>)[] = [];
    for (let v = 0, g = 0; v < VISITORS || g < GARBAGE; ) {
      if (v < VISITORS) work.push(((i) => () => visitor(i))(v++));
      if (g < GARBAGE && (v % 3 === 0 || v >= VISITORS)) work.push(((i) => () => junk(i))(g++));
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: DEVICES }, async () => {
        while (next < work.length) {
          await work[next++]!();
          finished();
        }
      }),
    );
    await Promise.all(abortsInFlight);
    quiet.mockRestore();
    days.add(kstDay(Date.now()));

    // Every valid scan recorded exactly once, at its facility.
    const expected = VISITORS;
    const operations = expected + replays + rescans + GARBAGE;
    expect(recorded).toHaveLength(expected);
    const rows = await Promise.all(facilities.map((f) => count(facilityStub(f.facilityId), "SELECT COUNT(*) AS n FROM visits")));
    const found = rows.reduce((a, b) => a + b, 0);
    const perFacility = new Array<number>(FACILITIES).fill(0);
    for (const r of recorded) perFacility[r.facility]!++;
    expect(rows).toEqual(perFacility);

    // The hourly counts the owner sees (R-F8) equal the visits, facility by facility.
    const hourlyTotals = await Promise.all(
      facilities.map(async (f) => {
        let total = 0;
        for (const day of days) total += (await facilityStub(f.facilityId).hourlyCounts(day)).reduce((a, b) => a + b, 0);
        return total;
      }),
    );
    expect(hourlyTotals).toEqual(perFacility);

    // No half record: each recorded token is claimed by its own facility. A claim
    // without a visit exists only for a token abandoned after its retries outlived
    // it, and then at the facility that scanned it (the visitor was there).
    const claimedAt = async (items: { jti: string; facility: number }[]) => {
      const out = new Map<string, string>();
      const byShard = new Map<string, string[]>();
      const hashes = await Promise.all(items.map((r) => lookupHash(env, "token", r.jti)));
      for (const hash of hashes) byShard.set(ledgerShard(hash), [...(byShard.get(ledgerShard(hash)) ?? []), hash]);
      for (const [shard, list] of byShard) for (const w of await ledgerStub(shard).whereClaimed(list, Date.now())) out.set(w.tokenHash, w.facilityId);
      return { hashes, out };
    };
    const kept = await claimedAt(recorded);
    expect(kept.hashes.map((h) => kept.out.get(h))).toEqual(recorded.map((r) => facilities[r.facility]!.facilityId));
    const dropped = await claimedAt(abandoned);
    const halfClaims = dropped.hashes.filter((h) => kept.out.get(h) === undefined && dropped.out.has(h));
    dropped.hashes.forEach((h, i) => {
      if (dropped.out.has(h)) expect(dropped.out.get(h)).toBe(facilities[abandoned[i]!.facility]!.facilityId);
    });
    let claims = 0;
    for (let s = 0; s < TOKEN_LEDGER_SHARDS; s++) claims += await count(ledgerStub(`ledger-${s}`), "SELECT COUNT(*) AS n FROM claims");
    expect(claims).toBe(expected + halfClaims.length);

    // The retention alarm survives: lose every alarm, abort, and each woken object re-arms from its due-work table.
    const today = [...days].sort()[0]!;
    await Promise.all(facilities.map((f) => runInDurableObject(facilityStub(f.facilityId), (_, state) => state.storage.deleteAlarm())));
    await abortAllDurableObjects();
    aborts++;
    const alarms = await Promise.all(facilities.map((f) => runInDurableObject(facilityStub(f.facilityId), (_, state) => state.storage.getAlarm())));
    expect(alarms.every((a) => a === expiresAt(today) && a === kstDayStart(addDays(today, 29)))).toBe(true);

    recordFigure(task, { area: "load held", what: "registry: scans (valid, replays, re-scans, garbage) across 100 facilities, all objects aborted mid-run", count: operations });
    recordFigure(task, { area: "faults survived", what: "registry: aborts of every Durable Object during the scan run", count: aborts });
    recordFigure(task, { area: "faults survived", what: "registry: scans that failed under an abort and were retried by the device", count: failures.count });
    recordFigure(task, { area: "faults survived", what: "registry: visitors whose token expired during the device's retries and who showed a fresh one", count: abandoned.length });
    recordFigure(task, { area: "records lost", what: "registry: valid scans minus visits found (Facility rows, hourly counts, ledger claims agree)", count: expected - found });
  }, 300_000);

  it("an abort after the ledger claim, before the visit: no half record, and the device's retry records the visit", async ({ task }) => {
    const [here, there] = await Promise.all([facility(), facility()]);
    const { qr, jti } = await mintQr();
    const tokenHash = await lookupHash(env, "token", jti);
    const shard = ledgerShard(tokenHash);
    // The state an abort leaves when it lands between the two writes: claimed in the ledger, no visit yet.
    expect(await ledgerStub(shard).claimToken({ shard, tokenHash, facilityId: here.facilityId, now: Date.now() })).toEqual({ ok: true, first: true });
    await abortAllDurableObjects();
    expect(await count(facilityStub(here.facilityId), "SELECT COUNT(*) AS n FROM visits")).toBe(0);
    expect(await count(facilityStub(here.facilityId), "SELECT COALESCE(SUM(visits), 0) AS n FROM hourly")).toBe(0);

    // The same token at another facility is still a replay; the retry at this facility records it once.
    const failures = { count: 0 };
    expect(await scanWithRetry(there.session, qr, failures)).toMatchObject({ status: 409, body: { error: { code: "token_used" } } });
    expect(await scanWithRetry(here.session, qr, failures)).toMatchObject({ status: 200, body: { repeat: false } });
    expect(await scanWithRetry(here.session, qr, failures)).toMatchObject({ status: 200, body: { repeat: true } });
    expect(await count(facilityStub(here.facilityId), "SELECT COUNT(*) AS n FROM visits")).toBe(1);
    expect(await count(facilityStub(here.facilityId), "SELECT SUM(visits) AS n FROM hourly")).toBe(1);
    expect(await count(facilityStub(there.facilityId), "SELECT COUNT(*) AS n FROM visits")).toBe(0);
    recordFigure(task, { area: "records lost", what: "registry: visit of a token claimed just before an abort, after the device's retry", count: 1 - (await count(facilityStub(here.facilityId), "SELECT COUNT(*) AS n FROM visits")) });
  });

  it("a retention sweep aborted between chunks resumes from its due-work table until the day is gone", async ({ task }) => {
    // Times in 2030 so the real clock never reaches them.
    const D0 = "2030-03-01";
    const at = (day: string, hour: number) => kstDayStart(day) + hour * HOUR;
    const id = "fac_faultsweep01";
    const stub = facilityStub(id);
    await stub.configure({ facilityId: id, status: "active", validFrom: null, validUntil: null, version: 0 });
    await stub.addDevice({ sessionHash: "session-sweep", accountId: "acc_device", expiresAt: at("2031-01-01", 0) });
    await stub.scan({ sessionHash: "session-sweep", tokenHash: "sweep-seed", qr: "KP1:SEED", now: at(D0, 9) });
    await runInDurableObject(stub, (_, state) => {
      for (let i = 0; i < 3 * SWEEP_CHUNK; i++) state.storage.sql.exec("INSERT INTO visits (token_hash, day, at, device, token) VALUES (?, ?, ?, 'd', 'x')", `bulk-${i}`, D0, at(D0, 9));
    });
    const now = at(addDays(D0, 29), 0) + 1; // the first moment D0 is due (R-R2: day + 29)
    let runs = 0;
    let aborts = 0;
    for (let more = true; more; ) {
      more = (await facilityStub(id).sweep(now)).more;
      runs++;
      await abortAllDurableObjects();
      aborts++;
      // Woken again, the object has its alarm back while work remains.
      const alarm = await runInDurableObject(facilityStub(id), (_, state) => state.storage.getAlarm());
      if (more) expect(alarm).toBeLessThanOrEqual(now);
    }
    expect(runs).toBe(4);
    expect(await count(facilityStub(id), "SELECT COUNT(*) AS n FROM visits")).toBe(0);
    expect(await count(facilityStub(id), "SELECT COUNT(*) AS n FROM due_work")).toBe(0);
    recordFigure(task, { area: "faults survived", what: "registry: aborts between retention-sweep chunks (sweep resumed, day gone)", count: aborts });
  });
});
