// R-A1, R-A3: the authority asks which tokens a phone was issued and whose
// tokens these are. Signed requests only; every attempt is audited in the
// hash chain; answers open only with the authority's key. No facility id.
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { AuditLog, DAY, MINUTE, parseJwks, verifyAuditChain, verifyToken } from "@kipass/shared";
import { userTokensOf } from "../src/tokens/user-tokens.js";
import { authorityKeys, openPartyAnswer, requestId, signedRequest, type SignedCall } from "../../../tests/authority-client.js";
import { BASE, call, enrol, mint } from "./wallet-client.js";

const testEnv = env as typeof env & { TEST_AUTHORITY_SIGNING: string; TEST_AUTHORITY_ENCRYPTION: string };
const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);
const send = (req: Request) => exports.default.fetch(req);
const jwks = async () => (await call("/.well-known/jwks.json")).json();
const BY_PHONE = "/authority/v1/tokens/by-phone";
const RESOLVE = "/authority/v1/tokens/resolve";
const signed = (path: string, body: unknown, over: Partial<SignedCall> = {}) =>
  signedRequest(keys, BASE, { audience: "naver", path, body: JSON.stringify(body), ...over });

async function ask<T>(req: Request): Promise<T> {
  const res = await send(req.clone());
  expect(res.status, await res.clone().text()).toBe(200);
  const { answer } = (await res.json()) as { answer: string };
  const opened = await openPartyAnswer(keys, answer, "naver", await jwks(), requestId(req));
  if (!opened.ok) throw new Error(`answer does not open: ${opened.code}`);
  return opened.data as T;
}

beforeEach(async () => {
  await env.DB.prepare("DELETE FROM authority_audit").run();
  await env.DB.prepare("DELETE FROM request_replay").run();
});

describe("tokens issued to a phone", () => {
  it("lists the jti and time of each token issued to that person in [from, to], and nobody else's", async () => {
    const person = await enrol({ phone: "010-7777-0001" });
    const other = await enrol({ phone: "010-7777-0002" });
    const first = (await (await mint(person.credential)).json()) as { qr: string; issuedAt: number };
    await mint(other.credential);
    const userRef = (await env.DB.prepare("SELECT user_ref FROM devices WHERE id = ?").bind(person.deviceId).first<{ user_ref: string }>())!.user_ref;
    const second = await userTokensOf(env, userRef).mint(userRef, Date.now() + 3000);
    if (!second.ok) throw new Error("mint refused");

    const data = await ask<{ issuer: string; tokens: { jti: string; issuedAt: number }[] }>(
      await signed(BY_PHONE, { phone: "01077770001", from: Date.now() - 10 * MINUTE, to: Date.now() + MINUTE }),
    );
    const trust = { naver: parseJwks(await jwks())! };
    const v = await verifyToken(first.qr, trust, first.issuedAt);
    expect(data.issuer).toBe("naver");
    expect(data.tokens.map((t) => t.jti)).toEqual([v.ok && v.jti, second.jti]);

    const narrow = await ask<{ tokens: unknown[] }>(await signed(BY_PHONE, { phone: "010-7777-0001", from: Date.now() - 30 * DAY, to: Date.now() - 10 * MINUTE }));
    expect(narrow.tokens).toEqual([]);
    const stranger = await ask<{ tokens: unknown[] }>(await signed(BY_PHONE, { phone: "010-7777-0999", from: Date.now() - 30 * DAY, to: Date.now() }));
    expect(stranger.tokens).toEqual([]);
  });

  it("refuses a facility id or any other extra field, a reversed range, and moments past 2100", async () => {
    for (const body of [
      { phone: "010-7777-0001", from: 0, to: 1, facility: "F-1" },
      { phone: "010-7777-0001", from: 10, to: 1 },
      { phone: "010-7777-0001", from: 0, to: 61 * DAY },
      { phone: "not a phone", from: 0, to: 1 },
      { phone: "010-7777-0001", from: 8_640_000_000_000_000 - DAY, to: 8_640_000_000_000_000 },
    ]) {
      const res = await send(await signed(BY_PHONE, body));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_request" } });
    }
  });
});

describe("resolving tokens", () => {
  it("answers name, phone and issuer for this issuer's tokens; nothing for others or garbage", async () => {
    const person = await enrol({ phone: "010-8888-0001", name: "박확진" });
    const token = (await (await mint(person.credential)).json()) as { qr: string };
    const data = await ask<{ resolutions: Record<string, unknown>[] }>(await signed(RESOLVE, { tokens: [token.qr, "KP1:garbage", "hello"] }));
    expect(data.resolutions[0]).toMatchObject({ status: "resolved", name: "박확진", phone: "01088880001", issuer: "naver", token: token.qr });
    expect(data.resolutions[1]).toMatchObject({ status: "malformed" });
    expect(data.resolutions[2]).toMatchObject({ status: "malformed" });
  });

  it("refuses an empty list and more than 64 tokens", async () => {
    for (const tokens of [[], Array.from({ length: 65 }, () => "KP1:A")]) {
      const res = await send(await signed(RESOLVE, { tokens }));
      expect(res.status).toBe(400);
    }
  });
});

describe("a phone number passed on to someone else", () => {
  it("keeps each holder's tokens their own, stops the earlier holder's devices, and forgets the earlier holder with their last tokens", async () => {
    const phone = "010-6666-0001";
    const earlier = await enrol({ phone, name: "홍길동", birthDate: "1980-01-01" });
    const hers = (await (await mint(earlier.credential)).json()) as { qr: string; issuedAt: number };
    const earlierRef = (await env.DB.prepare("SELECT user_ref FROM devices WHERE id = ?").bind(earlier.deviceId).first<{ user_ref: string }>())!.user_ref;
    // The carrier gives the number to another person, who enrols with it.
    await env.DB.prepare("DELETE FROM phone_verifications").run(); // a new code at once
    const later = await enrol({ phone, name: "김철수", birthDate: "1995-03-03" });
    const his = (await (await mint(later.credential)).json()) as { qr: string; issuedAt: number };

    // The earlier holder's wallet no longer gets QR codes in the new holder's name.
    const refused = await mint(earlier.credential);
    expect(refused.status).toBe(401);
    // Each token resolves to whoever held the number when it was issued.
    const { resolutions } = await ask<{ resolutions: { name: string; phone: string }[] }>(await signed(RESOLVE, { tokens: [hers.qr, his.qr] }));
    expect(resolutions.map((r) => [r.name, r.phone])).toEqual([
      ["홍길동", "01066660001"],
      ["김철수", "01066660001"],
    ]);
    // A case with this number is the new holder: only his tokens.
    const trust = { naver: parseJwks(await jwks())! };
    const v = await verifyToken(his.qr, trust, his.issuedAt);
    const byPhone = await ask<{ tokens: { jti: string }[] }>(await signed(BY_PHONE, { phone, from: Date.now() - 10 * MINUTE, to: Date.now() + MINUTE }));
    expect(byPhone.tokens.map((t) => t.jti)).toEqual([v.ok && v.jti]);

    // The same person enrolling another device is not a new holder: his first device keeps working.
    await env.DB.prepare("DELETE FROM phone_verifications").run();
    const tablet = await enrol({ phone, name: "김철수", birthDate: "1995-03-03" });
    expect(await env.DB.prepare("SELECT COUNT(DISTINCT user_ref) AS n FROM devices WHERE id IN (?, ?) AND revoked_at IS NULL").bind(later.deviceId, tablet.deviceId).first()).toEqual({ n: 1 });

    // 28 days after the number passed on, the retirement day's tokens are kept (until its day + 29), and so is who they resolve to.
    const count = (table: string) => env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE user_ref = ?`).bind(earlierRef).first();
    await env.DB.prepare("UPDATE users SET retired_at = retired_at - 28 * 86400000 WHERE user_ref = ?").bind(earlierRef).run();
    await enrol();
    expect(await count("users")).toEqual({ n: 1 });
    const kept = await ask<{ resolutions: { name: string }[] }>(await signed(RESOLVE, { tokens: [hers.qr] }));
    expect(kept.resolutions.map((r) => r.name)).toEqual(["홍길동"]);
    // A day later the retirement day is past retention (its tokens' keys are gone): the identity is deleted.
    await env.DB.prepare("UPDATE users SET retired_at = retired_at - 86400000 WHERE user_ref = ?").bind(earlierRef).run();
    await enrol();
    for (const table of ["users", "devices", "consent_records"]) expect(await count(table), table).toEqual({ n: 0 });
  });
});

describe("access control and audit", () => {
  it.each([BY_PHONE, RESOLVE])("%s refuses unsigned, expired, replayed and wrong-audience requests", async (path) => {
    const body = path === BY_PHONE ? { phone: "010-7777-0001", from: 0, to: 1 } : { tokens: ["KP1:A"] };
    const unsigned = await send(new Request(BASE + path, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } }));
    expect([unsigned.status, await unsigned.json()]).toMatchObject([401, { error: { code: "missing" } }]);
    const expired = await send(await signed(path, body, { now: Date.now() - 120_000 }));
    expect([expired.status, await expired.json()]).toMatchObject([401, { error: { code: "expired" } }]);
    const wrong = await send(await signed(path, body, { audience: "kakao" }));
    expect([wrong.status, await wrong.json()]).toMatchObject([403, { error: { code: "wrong_audience" } }]);
    const req = await signed(path, body);
    expect((await send(req.clone())).status).toBe(200);
    const replay = await send(req);
    expect([replay.status, await replay.json()]).toMatchObject([409, { error: { code: "replayed" } }]);

    const entries = await new AuditLog(env.DB).entries();
    expect(entries.map((e) => e.outcome)).toEqual(["missing", "expired", "wrong_audience", "accepted 200", "replayed"]);
    expect(entries[3]).toMatchObject({ path, requestId: requestId(req), caseId: "case-2026-0001", investigator: "inv-kim", purpose: "contact_tracing" });
    expect(await verifyAuditChain(entries)).toEqual({ ok: true, length: 5 });
  });

  it("logs every accepted request, one entry each", async () => {
    for (let i = 0; i < 3; i++) await ask(await signed(RESOLVE, { tokens: ["KP1:A"] }, { caseId: `case-${i}` }));
    const entries = await new AuditLog(env.DB).entries();
    expect(entries.map((e) => [e.caseId, e.outcome])).toEqual([
      ["case-0", "accepted 200"],
      ["case-1", "accepted 200"],
      ["case-2", "accepted 200"],
    ]);
  });

  it("never takes a facility id anywhere in its API", async () => {
    const doc = (await (await call("/openapi.json")).json()) as { paths: unknown; components: unknown };
    expect(JSON.stringify([doc.paths, doc.components])).not.toMatch(/facility/i);
  });
});
