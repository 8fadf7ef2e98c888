// A supervisor puts both sides of a case side by side (R-A3): each request
// the authority sent next to the answering party's own log entry, with every
// hash chain verified; an altered entry is found.
import { describe, expect, it } from "vitest";
import { T0 } from "./fake-parties.js";
import { call, freshSupervisor, slowParties } from "./helpers.js";

const DAY = 86_400_000;
interface Row {
  party: string;
  path: string;
  sent: string;
  received: string;
}

async function traceCase(token: string) {
  await call("/api/cases", { token, body: { id: "case-audit-1", title: "audit" } });
  const res = await call("/api/cases/case-audit-1/traces", { token, body: { kind: "phone", phone: "01000000001", from: T0 - DAY, to: T0 + DAY } });
  expect(res.body.status).toBe("complete");
}

describe("case audit", () => {
  it("matches every request of the case on both sides and finds no problem", async () => {
    const token = await freshSupervisor();
    await traceCase(token);
    const res = await call("/api/cases/case-audit-1/audit", { token });
    expect(res.status).toBe(200);
    const rows = res.body.rows as Row[];
    // by-phone at both issuers, visits, facility tokens (two pages), resolve at both issuers, facility details
    expect(rows.map((r) => `${r.party}${r.path}`).sort()).toEqual(
      [
        "kakao/authority/v1/tokens/by-phone",
        "kakao/authority/v1/tokens/resolve",
        "naver/authority/v1/tokens/by-phone",
        "naver/authority/v1/tokens/resolve",
        "registry/authority/v1/facilities",
        "registry/authority/v1/facility-tokens",
        "registry/authority/v1/facility-tokens",
        "registry/authority/v1/visits",
      ].sort(),
    );
    expect(rows.every((r) => r.sent === "answered" && r.received === "accepted 200")).toBe(true);
    expect(res.body.problems).toEqual([]);
  });

  it("reads every party's log when the parties are slow: each request is signed when it is sent", async () => {
    const token = await freshSupervisor();
    await call("/api/cases", { token, body: { id: "case-audit-slow", title: "audit" } });
    expect((await call("/api/cases/case-audit-slow/traces", { token, body: { kind: "phone", phone: "01000000001", from: T0 - DAY, to: T0 + DAY } })).body.status).toBe("complete");
    // 20 s an answer: the third party's log is asked for 40 s after the audit began (a request lives 30 s).
    const restore = slowParties(20_000);
    try {
      const res = await call("/api/cases/case-audit-slow/audit", { token });
      expect(res.body.chains).toEqual(["authority", "naver", "kakao", "registry"].map((party) => ({ party, check: expect.objectContaining({ ok: true }) })));
      expect(res.body.problems).toEqual([]);
      expect((res.body.rows as Row[]).every((r) => r.sent === "answered" && r.received === "accepted 200")).toBe(true);
    } finally {
      restore();
    }
  });

  it("reports a party whose log was altered", async () => {
    const token = await freshSupervisor();
    await traceCase(token);
    await fetch("https://control.test/tamper/naver");
    const res = await call("/api/cases/case-audit-1/audit", { token });
    expect(res.body.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^naver: chain broken at entry 1 \(entry altered\)/)]));
  });

  it("is for supervisors only", async () => {
    const sup = await freshSupervisor();
    await call("/api/investigators", { token: sup, body: { id: "inv-kim", name: "김조사", role: "investigator", password: "investigate 2020" } });
    const inv = (await call("/api/login", { body: { id: "inv-kim", password: "investigate 2020" } })).body.token as string;
    expect((await call("/api/cases/case-audit-1/audit", { token: inv })).status).toBe(403);
  });
});
