// Tracing a confirmed case (R-A1, R-A2, R-A4) against fake parties that
// verify signed requests and seal their answers like the real ones: exactly
// the people at the case's facility in its exposure window, never the case
// itself; a party that is down makes the trace incomplete and names it; a
// retry completes it; the CSV opens as text.
import { afterEach, describe, expect, it } from "vitest";
import { B, C, CASE, D, E, F1, T0 } from "./fake-parties.js";
import { env } from "cloudflare:workers";
import { AuditLog } from "@kipass/shared";
import { call, freshSupervisor, setParty, slowParties } from "./helpers.js";

const MIN = 60_000;
const DAY = 86_400_000;

interface Contact {
  name: string;
  phone: string;
  issuer: string;
  facilityId: string;
  facilityName: string;
  firstScan: number;
  overlap: number;
}
const contactsOf = (body: Record<string, unknown>) => body.contacts as Contact[];

async function openCase(token: string) {
  expect((await call("/api/cases", { token, body: { id: "case-2026-1120", title: "F1 노래방" } })).status).toBe(201);
}
const phoneTrace = { kind: "phone", phone: "010-0000-0001", from: T0 - DAY, to: T0 + DAY };

afterEach(async () => {
  await setParty("kakao", true);
  await setParty("registry", true);
});

describe("trace from a phone", () => {
  it("returns exactly the people at the case's facility in its window, with overlap, and not the case", async () => {
    const token = await freshSupervisor();
    await openCase(token);
    const res = await call("/api/cases/case-2026-1120/traces", { token, body: phoneTrace });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: "complete", failures: [], caseId: "case-2026-1120", kind: "phone" });
    // Entry at T0 and exit at T0 + 2 h bound the stay; default margins 30 min before, 1 h after.
    expect(res.body.windows).toEqual([{ facilityId: F1, entry: T0, exit: T0 + 120 * MIN, exitScanned: true, from: T0 - 30 * MIN, to: T0 + 180 * MIN }]);
    const contacts = contactsOf(res.body);
    expect(contacts.map((k) => [k.name, k.phone, k.issuer])).toEqual([
      [B.name, B.phone, "naver"],
      [C.name, C.phone, "kakao"],
    ]);
    expect(contacts[0]).toMatchObject({ facilityId: F1, facilityName: "시설 F1", firstScan: T0 + 10 * MIN, overlap: 60 * MIN });
    const names = contacts.map((k) => k.name);
    for (const outsider of [CASE, D, E]) expect(names).not.toContain(outsider.name);
  });

  it("widens the window with the investigator's margins", async () => {
    const token = await freshSupervisor();
    await openCase(token);
    // D scanned in at T0 + 5 h: outside the default hour after the case left at T0 + 2 h, inside a 4-hour margin.
    const wide = await call("/api/cases/case-2026-1120/traces", { token, body: { ...phoneTrace, marginAfterMinutes: 240 } });
    expect(contactsOf(wide.body).map((k) => k.name)).toEqual([B.name, C.name, D.name]);
  });

  it("is incomplete and names the issuer that is down; a retry after it is back completes it", async () => {
    const token = await freshSupervisor();
    await openCase(token);
    await setParty("kakao", false);
    const partial = await call("/api/cases/case-2026-1120/traces", { token, body: phoneTrace });
    expect(partial.body.status).toBe("incomplete");
    expect(partial.body.failures).toEqual(
      expect.arrayContaining([expect.objectContaining({ party: "kakao", step: "case tokens" }), expect.objectContaining({ party: "kakao", step: "resolve" })]),
    );
    expect(contactsOf(partial.body).map((k) => k.name)).toEqual([B.name]);

    await setParty("kakao", true);
    const retried = await call(`/api/traces/${partial.body.id as string}/retry`, { token, body: {} });
    expect(retried).toMatchObject({ status: 200, body: { status: "complete", failures: [] } });
    expect(contactsOf(retried.body).map((k) => k.name)).toEqual([B.name, C.name]);
    expect(contactsOf((await call(`/api/traces/${partial.body.id as string}`, { token })).body)).toHaveLength(2);
  });

  it("completes when the parties are slow: each request is signed when it is sent, not when the trace began", async () => {
    const token = await freshSupervisor();
    await openCase(token);
    // 20 s an answer: 8 rounds of calls take 160 s, and a signed request lives 30 s (+5 s skew).
    const restore = slowParties(20_000);
    try {
      const res = await call("/api/cases/case-2026-1120/traces", { token, body: phoneTrace });
      expect(res.body).toMatchObject({ status: "complete", failures: [] });
      expect(contactsOf(res.body).map((k) => k.name)).toEqual([B.name, C.name]);
      const sent = (await new AuditLog(env.DB).entries()).filter((e) => e.method === "POST" && e.caseId === "case-2026-1120");
      // by-phone at both issuers, visits, facility tokens (two pages), resolve at both issuers, facility details;
      // the last is sent after the seven answers before it, and signed (and logged) then.
      expect(sent.map((e) => e.outcome)).toEqual(Array(8).fill("answered"));
      expect(sent.at(-1)!.at - sent[0]!.at).toBeGreaterThanOrEqual(7 * 20_000);
    } finally {
      restore();
    }
  });

  it("returns no contacts, marked incomplete, when the registry is down", async () => {
    const token = await freshSupervisor();
    await openCase(token);
    await setParty("registry", false);
    const res = await call("/api/cases/case-2026-1120/traces", { token, body: phoneTrace });
    expect(res.body).toMatchObject({ status: "incomplete", contacts: [] });
    expect((res.body.failures as { party: string }[]).every((f) => f.party === "registry")).toBe(true);
  });
});

describe("trace from a facility and a window", () => {
  it("returns exactly the people scanned there in that window", async () => {
    const token = await freshSupervisor();
    await openCase(token);
    const res = await call("/api/cases/case-2026-1120/traces", {
      token,
      body: { kind: "facility", facilityId: F1, from: T0 + 5 * MIN, to: T0 + 15 * MIN },
    });
    expect(res.body.status).toBe("complete");
    expect(contactsOf(res.body).map((k) => k.name)).toEqual([B.name]);
  });

  it("is incomplete, naming the facility, when the registry does not know it (a mistyped id is not 'no contacts')", async () => {
    const token = await freshSupervisor();
    await openCase(token);
    const typo = "fac_noraebang00l";
    const res = await call("/api/cases/case-2026-1120/traces", { token, body: { kind: "facility", facilityId: typo, from: T0 - DAY, to: T0 + DAY } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: "incomplete", contacts: [] });
    expect(res.body.failures).toEqual([{ party: "registry", step: "facilities", code: "facility_unknown", message: expect.stringContaining(typo) }]);
  });
});

describe("refusals", () => {
  it("needs a signed-in investigator, an open case and a valid query", async () => {
    const token = await freshSupervisor();
    expect((await call("/api/cases/case-2026-1120/traces", { body: phoneTrace })).status).toBe(401);
    expect(await call("/api/cases/case-2026-1120/traces", { token, body: phoneTrace })).toMatchObject({ status: 404, body: { error: { code: "case_not_found" } } });
    await openCase(token);
    for (const bad of [
      { ...phoneTrace, phone: "02-123-4567" },
      { ...phoneTrace, to: phoneTrace.from },
      { ...phoneTrace, to: phoneTrace.from + 29 * DAY },
      { kind: "address", from: 0, to: 1 },
      { ...phoneTrace, extra: true },
      { kind: "facility", facilityId: F1, from: 8_640_000_000_000_000 - DAY, to: 8_640_000_000_000_000 },
      // Not the registry's format (fac_ and 12 characters): the registry would refuse it.
      { kind: "facility", facilityId: "F1", from: T0, to: T0 + DAY },
      { kind: "facility", facilityId: `${F1}x`, from: T0, to: T0 + DAY },
    ]) {
      expect(await call("/api/cases/case-2026-1120/traces", { token, body: bad })).toMatchObject({ status: 400, body: { error: { code: "invalid_request" } } });
    }
    expect((await call("/api/traces/tr_AAAAAAAAAAAAAAAA", { token })).status).toBe(404);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM traces").first("n")).toBe(0);
  });
});

describe("export", () => {
  it("exports contacts as CSV in which a formula-like name stays text", async () => {
    const token = await freshSupervisor();
    await openCase(token);
    const trace = await call("/api/cases/case-2026-1120/traces", { token, body: phoneTrace });
    const csv = await call(`/api/traces/${trace.body.id as string}/contacts.csv`, { token });
    expect(csv.status).toBe(200);
    const lines = csv.text.replace(/^\uFEFF/, "").trim().split("\r\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^"'=HYPERLINK\(""x""\)",010-2222-2222,kakao,시설 F1,/);
  });
});
