// A supervisor checks the signed channel to every party before a case needs
// it. A party that is down is named, with why; every call is audited.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog } from "@kipass/shared";
import { call, freshSupervisor, setParty } from "./helpers.js";

afterEach(async () => {
  await setParty("kakao", true);
});

describe("party check", () => {
  it("reaches every party with a signed request and opens each sealed answer", async () => {
    const token = await freshSupervisor();
    const res = await call("/api/parties/check", { token, body: {} });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { party: "naver", kind: "issuer", ok: true },
      { party: "kakao", kind: "issuer", ok: true },
      { party: "registry", kind: "registry", ok: true },
    ]);
  });

  it("names a party that is down, and audits every call", async () => {
    const token = await freshSupervisor();
    await setParty("kakao", false);
    const rows = (await call("/api/parties/check", { token, body: {} })).body as unknown as { party: string; ok: boolean; code?: string }[];
    expect(rows.find((r) => r.party === "kakao")).toMatchObject({ ok: false, code: "refused:http_503" });
    expect(rows.filter((r) => r.ok).map((r) => r.party)).toEqual(["naver", "registry"]);
    const calls = (await new AuditLog(env.DB).entries()).filter((e) => e.method === "POST");
    expect(calls.map((e) => [e.path, e.outcome, e.investigator, e.caseId])).toEqual(
      expect.arrayContaining([
        ["naver/authority/v1/ping", "answered", "sup-park", "connectivity-check"],
        ["kakao/authority/v1/ping", "refused:http_503", "sup-park", "connectivity-check"],
      ]),
    );
  });

  it("is for supervisors only", async () => {
    expect((await call("/api/parties/check", { body: {}, auth: "Bearer not-a-session-token-000000" })).status).toBe(401);
  });
});
