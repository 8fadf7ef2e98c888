// Only named, signed-in investigators act (R-A3): the first supervisor comes
// from the bootstrap secret, supervisors add and remove the others, wrong
// passwords lock an account, and every action lands in the audit chain.
import { exports, env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuditLog, verifyAuditChain } from "@kipass/shared";
import { LOCKOUT_MS, MAX_FAILED_LOGINS } from "../src/investigators.js";

const BASE = "https://authority.test";
const BOOT = "Bearer test-bootstrap-token-0123456789";

async function call(path: string, init: { method?: string; body?: unknown; token?: string; auth?: string } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.auth) headers.authorization = init.auth;
  const res = await exports.default.fetch(
    new Request(BASE + path, { method: init.method ?? (init.body ? "POST" : "GET"), headers, body: init.body ? JSON.stringify(init.body) : undefined }),
  );
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> & { error?: { code: string } } };
}

const supervisor = { id: "sup-park", name: "박감독", role: "supervisor", password: "correct horse battery" };
const login = async (id: string, password: string) => call("/api/login", { body: { id, password } });
const tokenOf = async (id: string, password: string) => (await login(id, password)).body.token as string;

beforeEach(async () => {
  for (const t of ["sessions", "cases", "investigators", "authority_audit"]) await env.DB.prepare(`DELETE FROM ${t}`).run();
});
afterEach(() => vi.useRealTimers());

describe("bootstrap", () => {
  it("creates the first supervisor only with the bootstrap secret, and only once", async () => {
    expect((await call("/api/bootstrap", { body: supervisor, auth: "Bearer wrong-token-000000000000" })).status).toBe(401);
    expect(await call("/api/bootstrap", { body: supervisor, auth: BOOT })).toMatchObject({ status: 201, body: { id: "sup-park", role: "supervisor" } });
    const again = await call("/api/bootstrap", { body: { ...supervisor, id: "sup-two" }, auth: BOOT });
    expect(again).toMatchObject({ status: 409, body: { error: { code: "already_bootstrapped" } } });
  });

  it("makes one supervisor of 50 bootstraps sent at once", async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => call("/api/bootstrap", { body: { ...supervisor, id: `sup-${i}` }, auth: BOOT })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, ...Array<number>(49).fill(409)]);
    for (const a of answers.filter((a) => a.status === 409)) expect(a).toMatchObject({ body: { error: { code: "already_bootstrapped" } } });
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM investigators").first("n")).toBe(1);
  });

  it("refuses a weak password or a bad id with the error envelope", async () => {
    const res = await call("/api/bootstrap", { body: { ...supervisor, password: "short" }, auth: BOOT });
    expect(res).toMatchObject({ status: 400, body: { error: { code: "invalid_request" } } });
    expect((await call("/api/bootstrap", { body: { ...supervisor, id: "UPPER CASE" }, auth: BOOT })).status).toBe(400);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM investigators").first("n")).toBe(0);
  });
});

describe("sign-in", () => {
  beforeEach(async () => {
    await call("/api/bootstrap", { body: supervisor, auth: BOOT });
  });

  it("signs in and out; the token works until logout", async () => {
    const token = await tokenOf(supervisor.id, supervisor.password);
    expect(await call("/api/me", { token })).toMatchObject({ status: 200, body: { id: "sup-park", role: "supervisor" } });
    expect((await call("/api/logout", { method: "POST", token })).status).toBe(204);
    expect((await call("/api/me", { token })).status).toBe(401);
  });

  it("deletes expired sessions when someone logs in, and keeps live ones", async () => {
    const live = await tokenOf(supervisor.id, supervisor.password);
    await env.DB.prepare("INSERT INTO sessions (token_hash, investigator_id, created_at, expires_at) VALUES ('expired-session', ?, 0, ?)").bind(supervisor.id, Date.now() - 1).run();
    await tokenOf(supervisor.id, supervisor.password);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM sessions WHERE token_hash = 'expired-session'").first("n")).toBe(0);
    expect((await call("/api/me", { token: live })).status).toBe(200);
  });

  it("answers a wrong password and an unknown id alike", async () => {
    const wrong = await login(supervisor.id, "not the password");
    const unknown = await login("nobody", "not the password");
    expect(wrong).toEqual({ status: 401, body: { error: { code: "invalid_credentials", message: expect.any(String) } } });
    expect(unknown.body).toEqual(wrong.body);
  });

  it(`locks the account after ${MAX_FAILED_LOGINS} wrong passwords, even against the right one, until the lockout ends`, async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.parse("2026-11-27T01:00:00Z"));
    for (let i = 0; i < MAX_FAILED_LOGINS; i++) expect((await login(supervisor.id, "wrong password!")).status).toBe(401);
    expect(await login(supervisor.id, supervisor.password)).toMatchObject({ status: 423, body: { error: { code: "account_locked" } } });
    vi.setSystemTime(Date.parse("2026-11-27T01:00:00Z") + LOCKOUT_MS + 1);
    expect((await login(supervisor.id, supervisor.password)).status).toBe(200);
  });

  it(`checks only ${MAX_FAILED_LOGINS} of 50 wrong passwords sent at once, then locks`, async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => login(supervisor.id, `guess number ${i}`)));
    expect(answers.filter((a) => a.status === 401)).toHaveLength(MAX_FAILED_LOGINS);
    expect(answers.filter((a) => a.status === 423)).toHaveLength(50 - MAX_FAILED_LOGINS);
    expect((await login(supervisor.id, supervisor.password)).status).toBe(423);
  });

  it("the right password after 4 failures logs in and starts the count again", async () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) expect((await login(supervisor.id, "wrong password!")).status).toBe(401);
      expect((await login(supervisor.id, supervisor.password)).status).toBe(200);
    }
  });
});

describe("supervisors manage investigators", () => {
  it("adds an investigator, who cannot manage others; deactivation ends their session at once", async () => {
    await call("/api/bootstrap", { body: supervisor, auth: BOOT });
    const sup = await tokenOf(supervisor.id, supervisor.password);
    const added = await call("/api/investigators", { token: sup, body: { id: "inv-kim", name: "김조사", role: "investigator", password: "investigate 2020" } });
    expect(added).toMatchObject({ status: 201, body: { id: "inv-kim", role: "investigator" } });
    expect((await call("/api/investigators", { token: sup, body: { id: "inv-kim", name: "x", role: "investigator", password: "investigate 2020" } })).status).toBe(409);

    const inv = await tokenOf("inv-kim", "investigate 2020");
    expect(await call("/api/investigators", { token: inv })).toMatchObject({ status: 403, body: { error: { code: "forbidden" } } });
    expect((await call("/api/me", { token: inv })).status).toBe(200);

    expect((await call("/api/investigators/inv-kim", { method: "DELETE", token: sup })).status).toBe(204);
    expect((await call("/api/me", { token: inv })).status).toBe(401);
    expect((await login("inv-kim", "investigate 2020")).status).toBe(401);
    expect((await call("/api/investigators/no-such", { method: "DELETE", token: sup })).status).toBe(404);
  });
});

describe("cases", () => {
  it("opens a case in the investigator's name, once, and records it in the audit chain", async () => {
    await call("/api/bootstrap", { body: supervisor, auth: BOOT });
    const token = await tokenOf(supervisor.id, supervisor.password);
    expect((await call("/api/cases", { body: { id: "case-2020-0511", title: "이태원 클럽" } })).status).toBe(401);
    expect(await call("/api/cases", { token, body: { id: "case-2020-0511", title: "이태원 클럽" } })).toMatchObject({
      status: 201,
      body: { id: "case-2020-0511", openedBy: "sup-park" },
    });
    expect((await call("/api/cases", { token, body: { id: "case-2020-0511", title: "again" } })).status).toBe(409);
    expect((await call("/api/cases", { token, body: { id: "../etc", title: "x" } })).status).toBe(400);
    expect((await call("/api/cases", { token })).body).toHaveLength(1);

    const entries = await new AuditLog(env.DB).entries();
    expect(entries.map((e) => [e.path, e.investigator, e.caseId])).toEqual([
      ["bootstrap", "sup-park", null],
      ["login", "sup-park", null],
      ["open case", "sup-park", "case-2020-0511"],
    ]);
    expect(await verifyAuditChain(entries)).toEqual({ ok: true, length: 3 });
  });
});
