// Anyone can send the authority endpoints requests nobody signed. They are
// refused and counted in the audit log, but a flood of them must not stall
// the authority's own requests behind one audit entry each, nor grow the log
// by one entry each.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AuditLog, verifyAuditChain, type AuditEntry } from "../../../shared/src/index.js";
import { authorityKeys, signedRequest } from "../../../tests/authority-client.js";
import { BASE, errorCode, send, testEnv } from "./helpers.js";

const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);
const FLOOD = 200;

const unsigned = () =>
  send(new Request(`${BASE}/authority/v1/visits`, { method: "POST", body: '{"tokenIds":["AAAAAAAAAAAAAAAAAAAAAA"]}', headers: { "content-type": "application/json" } }));

/** How many refusals the entries stand for: "missing" is one, "missing ×41" is 41. */
const refusalsIn = (entries: AuditEntry[]) =>
  entries.reduce((n, e) => {
    const m = /^missing(?: ×(\d+))?$/.exec(e.outcome);
    return m ? n + Number(m[1] ?? 1) : n;
  }, 0);

describe("a flood of unsigned authority requests", () => {
  it("is refused and counted in a few entries, and a signed request sent during it is answered and logged", async () => {
    await env.DB.prepare("DELETE FROM authority_audit").run();
    const signed = await signedRequest(keys, BASE, { audience: "registry", path: "/authority/v1/facilities", body: JSON.stringify({ facilityIds: ["fac_AAAAAAAAAAAA"] }) });
    const flood = Array.from({ length: FLOOD }, unsigned);
    const [answer, ...refused] = await Promise.all([send(signed), ...flood]);
    expect(answer!.status).toBe(200);
    for (const res of refused) expect(await errorCode(res)).toEqual({ status: 401, code: "missing" });

    // The counted refusals are written after their requests were answered.
    let entries: AuditEntry[] = [];
    for (let i = 0; i < 100 && refusalsIn(entries) < FLOOD; i++) {
      await new Promise((r) => setTimeout(r, 50));
      entries = await new AuditLog(env.DB).entries();
    }
    expect(refusalsIn(entries)).toBe(FLOOD);
    expect(entries.filter((e) => e.outcome === "accepted 200")).toHaveLength(1);
    // One write in flight per isolate: the entries grow with how long the flood lasts (here 27–29
    // for 200 refusals in about a second), not with how many requests it sends (201 before).
    expect(entries.length).toBeLessThanOrEqual(FLOOD / 4);
    expect(await verifyAuditChain(entries)).toMatchObject({ ok: true });
  });

  it("one at a time, each refusal is its own entry", async () => {
    await env.DB.prepare("DELETE FROM authority_audit").run();
    for (let i = 0; i < 3; i++) expect((await unsigned()).status).toBe(401);
    expect((await new AuditLog(env.DB).entries()).map((e) => e.outcome)).toEqual(["missing", "missing", "missing"]);
  });
});
