// A supervisor puts both sides of a case side by side (R-A3): each request
// the authority sent next to the answering party's own log entry, with every
// hash chain verified; an altered entry is found.
import { env } from "cloudflare:workers";
import { AUDIT_PAGE, randomBytes, signRequest, signingKeys, systemClock, toBase64url } from "@kipass/shared";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { callParty, parties } from "../src/parties.js";
import { T0 } from "./fake-parties.js";
import { SUPERVISOR, call, freshSupervisor, slowParties } from "./helpers.js";

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

  // Before the tamper test below: that one alters naver's log for the rest of the run.
  it("reads a party's log past one page without false problems, and still reports a request the authority never sent", { timeout: 120_000 }, async () => {
    const token = await freshSupervisor();
    const caseId = "case-audit-long";
    expect((await call("/api/cases", { token, body: { id: caseId, title: "audit" } })).status).toBe(201);
    // A page of the case's own requests to naver, through the authority's channel (so both logs hold them);
    // one after another, as the fake party numbers its entries as they arrive.
    const naver = parties(env.PARTIES).find((p) => p.id === "naver")!;
    const ctx = { caseId, investigator: SUPERVISOR.id, purpose: "trace", clock: systemClock };
    for (let i = 0; i < AUDIT_PAGE; i++) expect((await callParty(env, naver, "/authority/v1/ping", {}, ctx, z.object({ party: z.string() }))).ok).toBe(true);

    // naver's log is over a page: the audit reads page 2, which holds naver's entry for the audit's own page-1 request.
    const first = await call(`/api/cases/${caseId}/audit`, { token });
    expect(first.status).toBe(200);
    expect(first.body.problems).toEqual([]);
    const pings = (first.body.rows as Row[]).filter((r) => r.party === "naver" && r.path === "/authority/v1/ping");
    expect(pings).toHaveLength(AUDIT_PAGE);
    expect(pings.every((r) => r.sent === "answered" && r.received === "accepted 200")).toBe(true);

    // A request under the case the authority's log does not have (its key used outside it), on naver's page 2.
    const jti = toBase64url(randomBytes(16));
    const headers = await signRequest({
      jti,
      key: signingKeys(env.SIGNING_KEYS).current,
      audience: "naver",
      method: "POST",
      path: "/authority/v1/ping",
      body: "{}",
      caseId,
      investigator: SUPERVISOR.id,
      purpose: "trace",
      now: Date.now(),
    });
    expect((await fetch("https://naver.party.test/authority/v1/ping", { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: "{}" })).status).toBe(200);
    const second = await call(`/api/cases/${caseId}/audit`, { token });
    expect(second.body.problems).toEqual([`naver: request ${jti} is not in the authority's log`]);
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
