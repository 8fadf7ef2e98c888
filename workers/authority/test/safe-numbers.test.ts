// R-P1: an investigator resolves the safe numbers written on a paper log,
// within an open case. Every issuer is asked (the code does not name its
// issuer); a code live at two issuers that day comes back twice, each with
// its issuer; an issuer that is down is named and the answer is incomplete;
// every call is in the audit chain with the case.
import { afterEach, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { AuditLog, verifyAuditChain } from "@kipass/shared";
import { B, D } from "./fake-parties.js";
import { call, freshSupervisor, setParty } from "./helpers.js";

const CASE_ID = "case-2026-1120";
const PATH = `/api/cases/${CASE_ID}/safe-numbers`;

async function openCase(token: string) {
  expect((await call("/api/cases", { token, body: { id: CASE_ID, title: "F1 수기명부" } })).status).toBe(201);
}

afterEach(async () => {
  await setParty("kakao", true);
});

describe("resolving safe numbers from a paper log", () => {
  it("asks every issuer and returns every match with its issuer and day", async () => {
    const token = await freshSupervisor();
    await openCase(token);
    const res = await call(PATH, { token, body: { safeNumbers: ["12 가-34나"], from: "2026-11-20" } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ caseId: CASE_ID, status: "complete", failures: [] });
    expect(res.body.matches).toEqual(
      expect.arrayContaining([
        { safeNumber: "12가34나", day: "2026-11-20", issuer: "naver", name: B.name, phone: B.phone },
        { safeNumber: "12가34나", day: "2026-11-20", issuer: "kakao", name: D.name, phone: D.phone },
      ]),
    );
    expect(res.body.matches).toHaveLength(2);
    // Another day: nobody.
    expect((await call(PATH, { token, body: { safeNumbers: ["12가34나"], from: "2026-11-21", to: "2026-11-22" } })).body.matches).toEqual([]);

    const entries = await new AuditLog(env.DB).entries();
    expect(entries.filter((e) => e.path.endsWith("/authority/v1/safe-numbers/resolve")).map((e) => [e.path, e.caseId, e.outcome])).toEqual(
      expect.arrayContaining([
        ["naver/authority/v1/safe-numbers/resolve", CASE_ID, "answered"],
        ["kakao/authority/v1/safe-numbers/resolve", CASE_ID, "answered"],
      ]),
    );
    expect(entries.some((e) => e.method === "ACTION" && e.caseId === CASE_ID && e.path === "resolve 1 safe numbers" && e.outcome === "complete, 2 matches")).toBe(true);
    expect(await verifyAuditChain(entries)).toMatchObject({ ok: true });
  });

  it("names an issuer that is down: incomplete, never a silently short answer", async () => {
    const token = await freshSupervisor();
    await openCase(token);
    await setParty("kakao", false);
    const res = await call(PATH, { token, body: { safeNumbers: ["12가34나"], from: "2026-11-20" } });
    expect(res.body).toMatchObject({ status: "incomplete", failures: [{ party: "kakao" }] });
    expect(res.body.matches).toEqual([{ safeNumber: "12가34나", day: "2026-11-20", issuer: "naver", name: B.name, phone: B.phone }]);
  });

  it("needs a signed-in investigator, an open case and well-formed input", async () => {
    const token = await freshSupervisor();
    expect((await call(PATH, { body: { safeNumbers: ["12가34나"], from: "2026-11-20" } })).status).toBe(401);
    expect((await call(PATH, { token, body: { safeNumbers: ["12가34나"], from: "2026-11-20" } })).body).toMatchObject({ error: { code: "case_not_found" } });
    await openCase(token);
    for (const body of [
      { safeNumbers: ["010-1234-5678"], from: "2026-11-20" },
      { safeNumbers: [], from: "2026-11-20" },
      { safeNumbers: ["12가34나"], from: "2026-11-20", to: "2026-11-19" },
      { safeNumbers: ["12가34나"], from: "2026-10-01", to: "2026-11-20" },
      { safeNumbers: ["12가34나"], from: "20 Nov" },
    ]) {
      const res = await call(PATH, { token, body });
      expect([res.status, res.body.error?.code], JSON.stringify(body)).toEqual([400, "invalid_request"]);
    }
  });
});
