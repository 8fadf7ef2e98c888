// R-O3: the issuer mints QR tokens only at alert level 경계 or 심각. The
// operator sets the level (audited in the hash chain); at 주의 token requests
// are refused while the authority API still answers from the log it holds.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AuditLog, MINUTE, verifyAuditChain } from "@kipass/shared";
import { authorityKeys, openPartyAnswer, requestId, signedRequest } from "../../../tests/authority-client.js";
import { BASE, call, enrol, mint } from "./wallet-client.js";

const testEnv = env as typeof env & { TEST_AUTHORITY_SIGNING: string; TEST_AUTHORITY_ENCRYPTION: string; OPERATOR_TOKEN: string };
const setLevel = (level: string, credential: string | undefined = testEnv.OPERATOR_TOKEN) =>
  call("/operations/v1/alert-level", { method: "PUT", body: JSON.stringify({ level }), ...(credential ? { credential } : {}) });
const errorOf = async (res: Response) => ({ status: res.status, code: ((await res.json()) as { error: { code: string } }).error.code });

describe("operating mode (R-O3)", () => {
  it("refuses tokens at 주의 and mints them again at 경계", async () => {
    const device = await enrol();
    expect((await setLevel("주의")).status).toBe(200);
    const refused = await mint(device.credential);
    expect(await errorOf(refused.clone())).toEqual({ status: 403, code: "collection_suspended" });
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/주의.*Entry logging is suspended/);
    expect((await setLevel("경계")).status).toBe(200);
    expect((await mint(device.credential)).status).toBe(201);
  });

  it("still answers the authority at 주의 from the tokens already issued", async () => {
    const person = await enrol({ phone: "010-4444-0001" });
    expect((await mint(person.credential)).status).toBe(201);
    expect((await setLevel("주의")).status).toBe(200);
    const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);
    const req = await signedRequest(keys, BASE, {
      audience: "naver",
      path: "/authority/v1/tokens/by-phone",
      body: JSON.stringify({ phone: "01044440001", from: Date.now() - 10 * MINUTE, to: Date.now() + MINUTE }),
    });
    const res = await exports.default.fetch(req.clone());
    expect(res.status).toBe(200);
    const { answer } = (await res.json()) as { answer: string };
    const opened = await openPartyAnswer(keys, answer, "naver", await (await call("/.well-known/jwks.json")).json(), requestId(req));
    expect(opened.ok && (opened.data as { tokens: unknown[] }).tokens).toHaveLength(1);
    expect((await setLevel("경계")).status).toBe(200);
  });

  it("appends every level change to the audit chain and refuses non-operators", async () => {
    await setLevel("심각");
    await setLevel("경계");
    expect(await errorOf(await setLevel("관심", "not-the-operator-token"))).toEqual({ status: 401, code: "not_operator" });
    const device = await enrol();
    expect(await errorOf(await setLevel("관심", device.credential))).toEqual({ status: 401, code: "not_operator" });
    const log = await new AuditLog(env.DB).entries();
    expect(log.filter((e) => e.path === "/operations/v1/alert-level").slice(-2).map((e) => [e.investigator, e.outcome])).toEqual([
      ["operator", "경계 → 심각"],
      ["operator", "심각 → 경계"],
    ]);
    expect(await verifyAuditChain(log)).toMatchObject({ ok: true });
    expect(await (await call("/operations/v1/mode")).json()).toMatchObject({ level: "경계", collecting: true });
  });
});
