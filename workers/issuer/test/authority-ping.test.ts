// The authority's signed-request handshake (R-A3): only a fresh, untampered
// request signed by the pinned authority key for this issuer passes, each
// request id once, every attempt lands in the hash-chained audit log, and the
// answer is readable only by the authority.
import { exports, env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { AuditLog, verifyAuditChain, type AuditEntry } from "@kipass/shared";
import { authorityKeys, openPartyAnswer, requestId, signedRequest } from "../../../tests/authority-client.js";

const testEnv = env as typeof env & { TEST_AUTHORITY_SIGNING: string; TEST_AUTHORITY_ENCRYPTION: string };
const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);
const BASE = "https://naver.test";
const send = (req: Request) => exports.default.fetch(req);
const ping = (over: Partial<Parameters<typeof signedRequest>[2]> = {}) =>
  signedRequest(keys, BASE, { audience: "naver", path: "/authority/v1/ping", ...over });
const auditLog = () => new AuditLog(env.DB).entries();
const jwks = async () => (await send(new Request(`${BASE}/.well-known/jwks.json`))).json();

beforeEach(async () => {
  await env.DB.prepare("DELETE FROM authority_audit").run();
  await env.DB.prepare("DELETE FROM request_replay").run();
});

describe("authority ping", () => {
  it("accepts a signed request and answers sealed to the authority", async () => {
    const req = await ping({ caseId: "case-77" });
    const res = await send(req);
    expect(res.status).toBe(200);
    const { answer } = (await res.json()) as { answer: string };
    expect(answer.split(".")).toHaveLength(5); // compact JWE, not readable in transit
    const opened = await openPartyAnswer(keys, answer, "naver", await jwks(), requestId(req));
    expect(opened).toMatchObject({ ok: true, data: { party: "naver", case: "case-77" } });
  });

  it("refuses the same request twice", async () => {
    const req = await ping();
    expect((await send(req.clone())).status).toBe(200);
    const again = await send(req);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: "replayed" } });
  });

  it.each([
    ["unsigned", async () => new Request(`${BASE}/authority/v1/ping`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } }), 401, "missing"],
    ["expired", () => ping({ now: Date.now() - 120_000 }), 401, "expired"],
    ["for another issuer", () => ping({ audience: "pass" }), 403, "wrong_audience"],
    ["signed for another path", () => ping({ path: "/authority/v1/other" }).then((r) => new Request(`${BASE}/authority/v1/ping`, r)), 403, "wrong_audience"],
    ["issued in the future", () => ping({ now: Date.now() + 60_000 }), 401, "issued_in_future"],
  ] as const)("refuses a request %s", async (_name, make, status, code) => {
    const res = await send(await make());
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: { code } });
  });

  it("refuses a body changed after signing", async () => {
    const req = await ping({ body: "{}" });
    const tampered = new Request(req.url, { method: "POST", headers: req.headers, body: '{ }' });
    const res = await send(tampered);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "body_mismatch" } });
  });

  it("refuses a request signed by a key that is not pinned", async () => {
    const { generateKeyRing } = await import("@kipass/shared");
    const stranger = { ...keys, signing: await generateKeyRing("sig") };
    const res = await send(await signedRequest(stranger, BASE, { audience: "naver", path: "/authority/v1/ping" }));
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "bad_signature" } });
  });

  it("validates the signed body like any other input", async () => {
    const res = await send(await ping({ body: '{"unexpected":1}' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_request" } });
  });

  it("logs every attempt, accepted or refused, in a chain that detects tampering", async () => {
    await send(await ping({ caseId: "case-1", investigator: "inv-lee" }));
    await send(await ping({ audience: "kakao" }));
    await send(new Request(`${BASE}/authority/v1/ping`, { method: "POST", body: "{}" }));
    const entries = await auditLog();
    expect(entries.map((e: AuditEntry) => e.outcome)).toEqual(["accepted 200", "wrong_audience", "missing"]);
    expect(entries[0]).toMatchObject({ caseId: "case-1", investigator: "inv-lee", purpose: "contact_tracing", path: "/authority/v1/ping" });
    expect(await verifyAuditChain(entries)).toEqual({ ok: true, length: 3 });

    await env.DB.prepare("UPDATE authority_audit SET case_id = 'case-2' WHERE seq = 1").run();
    expect(await verifyAuditChain(await auditLog())).toMatchObject({ ok: false, seq: 1, reason: "entry altered" });
    await env.DB.prepare("UPDATE authority_audit SET case_id = 'case-1' WHERE seq = 1").run();
    await env.DB.prepare("DELETE FROM authority_audit WHERE seq = 2").run();
    expect(await verifyAuditChain(await auditLog())).toMatchObject({ ok: false, seq: 2, reason: "entry missing" });
  });

  it("keeps a consistent chain under concurrent requests", async () => {
    const reqs = await Promise.all(Array.from({ length: 12 }, (_, i) => ping({ caseId: `case-${i}` })));
    const statuses = await Promise.all(reqs.map(async (r) => (await send(r)).status));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const entries = await auditLog();
    expect(entries).toHaveLength(12);
    expect(await verifyAuditChain(entries)).toEqual({ ok: true, length: 12 });
  });
});
