// The point of the whole system (issue 5), over real HTTP between separate
// wrangler dev processes: three issuers, 21 visitors (one under 14), five
// facilities, visits over three days; a case is confirmed and traced.
// Exactly the people at the case's facilities in its exposure windows come
// back — from every issuer — and nobody else. A party that is down makes the
// trace incomplete and named; after it restarts a retry completes it.
// Tampered, replayed and expired authority requests are refused and logged
// as refused; a tampered audit entry is detected; the CSV opens as text.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY, HOUR, MINUTE, addDays, kstDay, kstDayStart, openAnswer, parseJwks, signRequest } from "../../shared/src/index.js";
import { ISSUERS, deployment, localUrl } from "../../scripts/deployments.js";
import { readAuthorityKeys, readDevVars } from "../../scripts/dev-vars.js";
import { addStaff, enrolVisitor, guardianConsents, login, mintQrAt, registerFacility, scanQrAt, validBusinessNumber } from "../../scripts/people.js";
import { CHROMIUM, CHROMIUM_ARGS } from "./phone-browser.js";
import { startParties, type Parties } from "./run-parties.js";

const url = (env: string) => localUrl(deployment(env));
const registry = url("registry");
const authority = url("authority");

// Three days before today (KST), all well inside the 28-day retention.
const D1 = addDays(kstDay(Date.now()), -3);
const time = (day: number, hhmm: string) => kstDayStart(addDays(D1, day - 1)) + Number(hhmm.slice(0, 2)) * HOUR + Number(hhmm.slice(3)) * MINUTE;

interface Person {
  name: string;
  phone: string;
  issuer: string;
  birthDate: string;
}
const people: Person[] = Array.from({ length: 21 }, (_, i) => ({
  name: i === 2 ? '=HYPERLINK("x")' : `방문자${i}`,
  phone: `010-8000-${String(1000 + i)}`,
  issuer: ISSUERS[i % 3]!.env,
  birthDate: i === 20 ? `${new Date().getFullYear() - 10}-05-05` : "1990-01-01", // u20: under 14, at kakao
}));
const normalized = (p: Person) => p.phone.replace(/-/g, "");

// [person, facility, day, time]
const visits: [number, string, number, string][] = [
  [0, "F1", 1, "20:00"], [0, "F1", 1, "21:30"], [0, "F3", 2, "12:00"], // the case: entry + exit at F1, a lone scan at F3
  [1, "F1", 1, "19:45"], [1, "F3", 2, "12:20"],
  [2, "F1", 1, "20:10"],
  [3, "F1", 1, "21:00"], [3, "F1", 1, "22:00"],
  [4, "F1", 1, "22:15"],
  [5, "F3", 2, "12:30"],
  [6, "F3", 2, "11:40"],
  [20, "F3", 2, "13:10"],
  [7, "F1", 1, "22:40"], [8, "F1", 1, "19:00"], [9, "F1", 2, "20:00"], [10, "F2", 1, "20:00"], [11, "F3", 2, "15:00"],
  [12, "F4", 3, "12:00"], [13, "F5", 3, "18:00"], [14, "F2", 2, "09:00"], [15, "F4", 1, "10:00"], [16, "F5", 2, "19:00"],
  [17, "F2", 3, "21:00"], [18, "F3", 1, "12:00"], [19, "F1", 3, "20:00"],
];

// The exposure windows the documented defaults give (30 min before entry; exit scan, or entry + 1 h; 1 h after),
// written out here rather than computed by the code under test.
const windows = [
  { facility: "F1", from: time(1, "19:30"), to: time(1, "22:30") },
  { facility: "F3", from: time(2, "11:30"), to: time(2, "14:00") },
];
const expectedContacts = [
  ...new Set(
    visits
      .filter(([p, f, d, hm]) => p !== 0 && windows.some((w) => w.facility === f && time(d, hm) >= w.from && time(d, hm) < w.to))
      .map(([p, f]) => `${f} ${normalized(people[p]!)}`),
  ),
].sort();

describe("tracing a confirmed case across every party", () => {
  let parties: Parties;
  let token: string;
  const facilityIds: Record<string, string> = {};

  const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(authority + path, {
      method: init.method ?? (init.body !== undefined ? "POST" : "GET"),
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, text, body: (res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const contactKeys = (body: Record<string, unknown>) =>
    (body.contacts as { facilityId: string; phone: string }[])
      .map((c) => `${Object.entries(facilityIds).find(([, id]) => id === c.facilityId)?.[0]} ${c.phone}`)
      .sort();

  beforeAll(async () => {
    parties = await startParties();
    // Five facilities, each with an entrance device.
    const devices: Record<string, string> = {};
    for (let i = 1; i <= 5; i++) {
      const f = `F${i}`;
      const reg = await registerFacility(registry, {
        managerPhone: `010-6000-${1000 + i}`,
        loginId: `owner-f${i}`,
        password: `owner-password-${i}`,
        businessName: `시설 ${f}`,
        businessNumber: validBusinessNumber(`12381${String(1000 + i)}`),
        addressDetail: `${i}층`,
      });
      facilityIds[f] = reg.facilityId;
      await addStaff(registry, await login(registry, `owner-f${i}`, `owner-password-${i}`), `gate-f${i}`, `gate-password-${i}`, "입구");
      devices[f] = await login(registry, `gate-f${i}`, `gate-password-${i}`);
    }
    // 21 visitors over three issuers; the child's guardian consents once (R-U3).
    const credentials = await Promise.all(people.map((p) => enrolVisitor(url(p.issuer), p)));
    expect(credentials[20]!.guardianRequired).toBe(true);
    await guardianConsents(url("kakao"), credentials[20]!.credential, { name: "보호자", phone: "010-8999-0001" });
    // The visits, each at its own time: the QR minted a few seconds before it is scanned.
    for (const [p, f, d, hm] of visits.sort((a, b) => time(a[2], a[3]) - time(b[2], b[3]))) {
      const when = time(d, hm);
      const { qr } = await mintQrAt(url(people[p]!.issuer), credentials[p]!.credential, when - 3_000);
      await scanQrAt(registry, devices[f]!, qr, when);
    }
    // An authority supervisor signs in and opens the case.
    const boot = await fetch(`${authority}/api/bootstrap`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${readDevVars("authority").BOOTSTRAP_TOKEN}` },
      body: JSON.stringify({ id: "sup-scenario", name: "시나리오 감독", role: "supervisor", password: "scenario password" }),
    });
    expect(boot.status).toBe(201);
    token = ((await (await fetch(`${authority}/api/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id: "sup-scenario", password: "scenario password" }) })).json()) as { token: string }).token;
    expect((await api("/api/cases", { body: { id: "case-scenario", title: "확진자 0" } })).status).toBe(201);
  }, 600_000);

  afterAll(async () => {
    await parties?.stopAll();
  });

  const phoneTrace = { kind: "phone", phone: people[0]!.phone, from: time(1, "00:00"), to: time(3, "23:59") };

  it("returns exactly the people at the case's facilities in its windows, from every issuer", async () => {
    const trace = await api("/api/cases/case-scenario/traces", { body: phoneTrace });
    expect(trace.status).toBe(201);
    expect(trace.body).toMatchObject({ status: "complete", failures: [] });
    expect(contactKeys(trace.body)).toEqual(expectedContacts);
    const issuers = new Set((trace.body.contacts as { issuer: string }[]).map((c) => c.issuer));
    expect([...issuers].sort()).toEqual(["kakao", "naver", "pass"]);
    // The under-14 visitor is found through their issuer; the case, and those outside the windows, are not.
    const phones = (trace.body.contacts as { phone: string }[]).map((c) => c.phone);
    expect(phones).toContain(normalized(people[20]!));
    for (const outsider of [0, 7, 8, 9, 10, 11]) expect(phones).not.toContain(normalized(people[outsider]!));
    // u3 scanned in and out at F1: one row for that visit.
    expect(phones.filter((p) => p === normalized(people[3]!))).toHaveLength(1);
  });

  it("traces from a facility and a window: exactly the people scanned there then", async () => {
    const trace = await api("/api/cases/case-scenario/traces", { body: { kind: "facility", facilityId: facilityIds.F2, from: time(1, "19:00"), to: time(1, "21:00") } });
    expect(trace.body.status).toBe("complete");
    expect(contactKeys(trace.body)).toEqual([`F2 ${normalized(people[10]!)}`]);
  });

  it("exports the contacts as CSV in which a formula-like name is text", async () => {
    const trace = await api("/api/cases/case-scenario/traces", { body: phoneTrace });
    const csv = await api(`/api/traces/${trace.body.id as string}/contacts.csv`);
    expect(csv.status).toBe(200);
    // The phone as people write it: bare digits would lose their leading 0 in a spreadsheet.
    expect(csv.text).toContain(`"'=HYPERLINK(""x"")",${people[2]!.phone},kakao`);
    expect(csv.text).not.toMatch(/(^|,)=HYPERLINK/m);
  });

  it("marks the trace incomplete naming an issuer that is down, and a retry after its restart completes it", { timeout: 240_000 }, async () => {
    await parties.stop("pass");
    const partial = await api("/api/cases/case-scenario/traces", { body: phoneTrace });
    expect(partial.body.status).toBe("incomplete");
    expect(new Set((partial.body.failures as { party: string }[]).map((f) => f.party))).toEqual(new Set(["pass"]));
    expect((partial.body.contacts as { issuer: string }[]).some((c) => c.issuer === "pass")).toBe(false);

    await parties.start("pass");
    const retried = await api(`/api/traces/${partial.body.id as string}/retry`, { body: {} });
    expect(retried.body.failures).toEqual([]);
    expect(retried.body.status).toBe("complete");
    expect(contactKeys(retried.body)).toEqual(expectedContacts);
  });

  it("refuses tampered, replayed and expired authority requests at the issuer and the registry, and logs them as refused", async () => {
    const keys = readAuthorityKeys();
    for (const party of ["naver", "registry"]) {
      const path = party === "registry" ? "/authority/v1/facilities" : "/authority/v1/tokens/by-phone";
      const body = JSON.stringify(party === "registry" ? { facilityIds: [facilityIds.F1] } : { phone: people[0]!.phone, from: Date.now() - 7 * DAY, to: Date.now() });
      const sign = (now: number) =>
        // Requests made outside the authority's system (its own log never sees them): their own case id.
        signRequest({ key: keys.signing.current, audience: party, method: "POST", path, body, caseId: "case-crafted", investigator: "sup-scenario", purpose: "contact_tracing", now });
      const send = (headers: Record<string, string>, b = body) => fetch(url(party) + path, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: b });

      const tampered = await send(await sign(Date.now()), body.replace("}", ' }'));
      expect(tampered.status).toBe(400);
      const headers = await sign(Date.now());
      expect((await send(headers)).status).toBe(200);
      expect((await send(headers)).status).toBe(409);
      expect((await send(await sign(Date.now() - 5 * MINUTE))).status).toBe(401);

      // The party's own chain records the refusals (read as the authority, signed and sealed).
      const auditBody = JSON.stringify({ fromSeq: 1, limit: 1000 });
      const auditHeaders = await signRequest({ key: keys.signing.current, audience: party, method: "POST", path: "/authority/v1/audit", body: auditBody, caseId: "case-crafted", investigator: "sup-scenario", purpose: "audit", now: Date.now() });
      const res = (await (await fetch(`${url(party)}/authority/v1/audit`, { method: "POST", headers: { ...auditHeaders, "content-type": "application/json" }, body: auditBody })).json()) as { answer: string };
      const jwks = parseJwks(await (await fetch(`${url(party)}/.well-known/jwks.json`)).json())!;
      const requestId = JSON.parse(Buffer.from(auditHeaders["KP-Signature"]!.split(".")[1]!, "base64url").toString()).jti as string;
      const opened = await openAnswer(res.answer, { decryption: keys.encryption, senderJwks: jwks, sender: party, requestId });
      expect(opened.ok).toBe(true);
      const outcomes = (opened as { data: { entries: { outcome: string }[] } }).data.entries.map((e) => e.outcome);
      expect(outcomes).toEqual(expect.arrayContaining(["body_mismatch", "replayed", "expired", "accepted 200"]));
    }
  });

  it("lets a supervisor see both sides of the case and detects a tampered audit entry", async () => {
    const clean = await api("/api/cases/case-scenario/audit");
    expect(clean.body.problems).toEqual([]);
    expect((clean.body.rows as unknown[]).length).toBeGreaterThan(10);

    // An insider edits naver's log directly in its database.
    const state = parties.stateDir("naver");
    execFileSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--env", "naver", "--persist-to", state, "--command", "UPDATE authority_audit SET outcome = 'accepted 204' WHERE seq = 1"], {
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
      stdio: "ignore",
    });
    const tampered = await api("/api/cases/case-scenario/audit");
    expect(tampered.body.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^naver: chain broken at entry 1/)]));
  });

  it("lets an investigator run the trace on the investigator page, Korean first, English on request", { timeout: 90_000 }, async () => {
    const profile = mkdtempSync(join(tmpdir(), "kipass-investigator-"));
    const shots = new URL("../../screenshots/", import.meta.url).pathname;
    mkdirSync(shots, { recursive: true });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      viewport: { width: 1200, height: 900 },
      locale: "ko-KR",
    });
    const foreign: string[] = [];
    context.on("request", (r) => (r.url().startsWith(authority) || r.url().startsWith("blob:") ? undefined : foreign.push(r.url())));
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(authority);
      expect(await page.textContent("h1")).toContain("역학조사");
      await page.fill("#login-id", "sup-scenario");
      await page.fill("#login-pw", "scenario password");
      await page.click("#login button[type=submit]");
      await page.waitForSelector("#work-view:not([hidden])");
      // 200 cases opened since: the list holds the newest 200, and the case is found by its number.
      for (let i = 0; i < 200; i += 20) {
        const opened = await Promise.all(Array.from({ length: 20 }, (_, j) => api("/api/cases", { body: { id: `case-later-${i + j}`, title: "later" } })));
        expect(opened.map((r) => r.status)).toEqual(Array(20).fill(201));
      }
      await page.reload();
      await page.waitForSelector("#work-view:not([hidden]) #case-select option", { state: "attached" });
      expect(await page.locator('#case-select option[value="case-scenario"]').count()).toBe(0);
      await page.fill("#case-search", "case-scen");
      await page.waitForSelector('#case-select option[value="case-scenario"]', { state: "attached" });
      expect(await page.locator("#case-select option").count()).toBe(1);
      await page.selectOption("#case-select", "case-scenario");
      await page.fill("#phone", people[0]!.phone);
      const kstInput = (ms: number) => new Date(ms + 9 * HOUR).toISOString().slice(0, 16);
      await page.fill("#from", kstInput(phoneTrace.from));
      await page.fill("#to", kstInput(phoneTrace.to));
      await page.click("#trace button[type=submit]");
      await page.waitForSelector("#result:not([hidden]) table");
      expect(await page.textContent("#result-status")).toContain("완료");
      // Grouped by facility and time: one table per exposure window, one row per contact.
      expect(await page.locator("#groups table").count()).toBe(windows.length);
      expect(await page.locator("#groups tbody tr").count()).toBe(expectedContacts.length);
      expect(await page.textContent("#groups")).toContain("시설 F1");
      await page.screenshot({ path: join(shots, "authority-trace-ko.png"), fullPage: true });
      await page.click("#lang");
      expect(await page.textContent("#result-status")).toContain("Complete");
      expect(await page.textContent("#trace-h")).toBe("Trace");
      await page.screenshot({ path: join(shots, "authority-trace-en.png"), fullPage: true });
      const download = page.waitForEvent("download");
      await page.click("#export");
      expect((await download).suggestedFilename()).toMatch(/^case-scenario-tr_.*\.csv$/);
      // The file as saved starts with the UTF-8 BOM, so Excel reads the Hangul as UTF-8, not CP949.
      const saved = readFileSync((await (await download).path())!);
      expect([...saved.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(saved.toString("utf8")).toMatch(/^\uFEFF이름 name,전화 phone,/);
      expect(foreign).toEqual([]);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
