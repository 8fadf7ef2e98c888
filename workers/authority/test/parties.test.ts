// A supervisor checks the signed channel to every party before a case needs
// it. A refusing or garbled party is named, with why; every call is audited.
import { exports, env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "@kipass/shared";

const BASE = "https://authority.test";
const post = (path: string, body: unknown, auth: string) =>
  exports.default.fetch(new Request(BASE + path, { method: "POST", headers: { "content-type": "application/json", authorization: auth }, body: JSON.stringify(body) }));

beforeEach(async () => {
  for (const t of ["sessions", "investigators", "authority_audit"]) await env.DB.prepare(`DELETE FROM ${t}`).run();
  await post("/api/bootstrap", { id: "sup-park", name: "박감독", role: "supervisor", password: "correct horse battery" }, "Bearer test-bootstrap-token-0123456789");
});

describe("party check", () => {
  it("names each party that refuses or answers garbage, and audits every call", async () => {
    const login = (await (await post("/api/login", { id: "sup-park", password: "correct horse battery" }, "")).json()) as { token: string };
    const res = await post("/api/parties/check", {}, `Bearer ${login.token}`);
    expect(res.status).toBe(200);
    const rows = (await res.json()) as { party: string; ok: boolean; code?: string }[];
    expect(rows).toEqual([
      expect.objectContaining({ party: "naver", ok: false, code: "refused:bad_signature" }),
      expect.objectContaining({ party: "registry", ok: false, code: "answer_malformed" }),
    ]);
    const calls = (await new AuditLog(env.DB).entries()).filter((e) => e.method === "POST");
    expect(calls.map((e) => [e.path, e.outcome, e.investigator])).toEqual(
      expect.arrayContaining([
        ["naver/authority/v1/ping", "refused:bad_signature", "sup-park"],
        ["registry/authority/v1/ping", "answer_malformed", "sup-park"],
      ]),
    );
  });

  it("is for supervisors only", async () => {
    expect((await post("/api/parties/check", {}, "Bearer not-a-session-token-000000")).status).toBe(401);
  });
});
