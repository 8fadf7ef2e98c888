// R-O3: the registry collects only at alert level 경계 or 심각. The operator
// sets the level (audited in the hash chain); at 주의 scans are refused while
// the authority API still answers from the visits already held.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AuditLog, verifyAuditChain } from "../../../shared/src/index.js";
import { authorityKeys, openPartyAnswer, requestId, signedRequest } from "../../../tests/authority-client.js";
import { BASE, activeFacility, call, errorCode, json, mintQr, scan, send, testEnv } from "./helpers.js";

const setLevel = (level: string, token: string | null = testEnv.OPERATOR_TOKEN) => call("PUT", "/operations/v1/alert-level", { level }, token ?? undefined);
const mode = async () => json<{ level: string; collecting: boolean }>(await call("GET", "/operations/v1/mode"), 200);

describe("operating mode (R-O3)", () => {
  it("starts at 경계 and collecting on a fresh deployment", async () => {
    expect(await mode()).toMatchObject({ level: "경계", collecting: true, shutDownAt: null });
  });

  it("refuses scans at 주의 and accepts them again at 경계", async () => {
    const f = await activeFacility();
    await json(await setLevel("주의"), 200);
    const refused = await scan(f.session, (await mintQr()).qr);
    expect(await errorCode(refused.clone())).toEqual({ status: 403, code: "collection_suspended" });
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/주의.*Entry logging is suspended/);
    await json(await setLevel("관심"), 200);
    expect(await errorCode(await scan(f.session, (await mintQr()).qr))).toEqual({ status: 403, code: "collection_suspended" });

    await json(await setLevel("경계"), 200);
    expect(await json(await scan(f.session, (await mintQr()).qr), 200)).toMatchObject({ ok: true, repeat: false });
    await json(await setLevel("심각"), 200);
    expect(await json(await scan(f.session, (await mintQr()).qr), 200)).toMatchObject({ ok: true });
    await json(await setLevel("경계"), 200);
  });

  it("still answers the authority at 주의 from visits already held", async () => {
    const f = await activeFacility();
    const visitor = await mintQr();
    await json(await scan(f.session, visitor.qr), 200);
    await json(await setLevel("주의"), 200);

    const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);
    const req = await signedRequest(keys, BASE, { audience: "registry", path: "/authority/v1/visits", body: JSON.stringify({ tokenIds: [visitor.jti] }) });
    const { answer } = await json<{ answer: string }>(await send(req.clone()), 200);
    const jwks = await (await send(new Request(`${BASE}/.well-known/jwks.json`))).json();
    const opened = await openPartyAnswer(keys, answer, "registry", jwks, requestId(req));
    expect(opened).toMatchObject({ ok: true, data: { visits: [{ tokenId: visitor.jti, facilityId: f.facilityId }] } });
    await json(await setLevel("경계"), 200);
  });

  it("appends every level change to the audit chain", async () => {
    await json(await setLevel("주의"), 200);
    await json(await setLevel("경계"), 200);
    const log = await new AuditLog(env.DB).entries();
    const changes = log.filter((e) => e.path === "/operations/v1/alert-level");
    expect(changes.slice(-2).map((e) => [e.method, e.investigator, e.outcome])).toEqual([
      ["PUT", "operator", "경계 → 주의"],
      ["PUT", "operator", "주의 → 경계"],
    ]);
    expect(await verifyAuditChain(log)).toEqual({ ok: true, length: log.length });
  });

  it("refuses anyone without the operator token, and changes nothing", async () => {
    const before = (await new AuditLog(env.DB).entries()).length;
    expect(await errorCode(await setLevel("주의", null))).toEqual({ status: 401, code: "not_operator" });
    expect(await errorCode(await setLevel("주의", testEnv.ADMIN_TOKEN))).toEqual({ status: 401, code: "not_operator" });
    const owner = await activeFacility();
    expect(await errorCode(await setLevel("주의", owner.session))).toEqual({ status: 401, code: "not_operator" });
    expect(await errorCode(await call("POST", "/operations/v1/shutdown", { confirm: "destroy all records" }, owner.session))).toEqual({ status: 401, code: "not_operator" });
    expect(await errorCode(await setLevel("초록"))).toEqual({ status: 400, code: "invalid_request" });
    expect(await mode()).toMatchObject({ level: "경계", collecting: true });
    expect((await new AuditLog(env.DB).entries()).length).toBe(before);
  });
});
