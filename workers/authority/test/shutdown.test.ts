// R-O4 shutdown at the authority: the operator command deletes every stored
// trace (contact lists), signs a receipt that verifies against the
// authority's JWKS (and fails with one changed count), and new traces are
// refused afterwards. Non-operators cannot start it.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEV_NOW_HEADER, MODE_CACHE_MS, SHUTDOWN_CONFIRMATION, parseJwks, verifyReceipt, type ReceiptFile } from "@kipass/shared";
import { exports } from "cloudflare:workers";
import { T0 } from "./fake-parties.js";
import { call, freshSupervisor } from "./helpers.js";

const OPERATOR = "Bearer test-operator-token-0123456789";
const DAY = 86_400_000;

describe("shutdown with verified destruction (R-O4)", () => {
  it("deletes every stored trace and signs a receipt that verifies", async () => {
    const token = await freshSupervisor();
    expect((await call("/api/cases", { token, body: { id: "case-2026-0219", title: "종료 전 사례" } })).status).toBe(201);
    const trace = { kind: "phone", phone: "010-0000-0001", from: T0 - DAY, to: T0 + DAY };
    for (let i = 0; i < 2; i++) expect((await call("/api/cases/case-2026-0219/traces", { token, body: trace })).status).toBe(201);
    const count = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM traces").first<{ n: number }>())!.n;
    expect(await count()).toBe(2);

    expect((await call("/operations/v1/shutdown", { body: { confirm: SHUTDOWN_CONFIRMATION }, token })).body.error?.code).toBe("not_operator");
    expect((await call("/operations/v1/shutdown", { body: { confirm: "yes" }, auth: OPERATOR })).status).toBe(400);
    const first = await call("/operations/v1/shutdown", { body: { confirm: SHUTDOWN_CONFIRMATION }, auth: OPERATOR });
    expect(first.body).toMatchObject({ done: false, waitMs: expect.any(Number) });
    // After the mode cache has expired everywhere (the dev clock stands in for waiting): a chunk that deletes
    // the traces, then one that finds none left and signs.
    const later = async () => {
      const res = await exports.default.fetch(
        new Request("https://authority.test/operations/v1/shutdown", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: OPERATOR, [DEV_NOW_HEADER]: String(Date.now() + MODE_CACHE_MS + 1000) },
          body: JSON.stringify({ confirm: SHUTDOWN_CONFIRMATION }),
        }),
      );
      return (await res.json()) as { done: boolean; destroyed: Record<string, number>; receipt: ReceiptFile };
    };
    expect(await later()).toMatchObject({ done: false, destroyed: { "d1.traces": 2 } });
    const done = await later();
    expect(done).toMatchObject({ done: true });
    const receipt = done.receipt;

    expect(await count()).toBe(0);
    const jwks = parseJwks((await call("/.well-known/jwks.json")).body)!;
    expect(await verifyReceipt(receipt, jwks)).toMatchObject({ ok: true, receipt: { party: "authority", destroyed: { "d1.traces": 2 }, keyIds: [] } });
    const tampered = structuredClone(receipt);
    tampered.receipt.destroyed["d1.traces"] = 0;
    expect(await verifyReceipt(tampered, jwks)).toMatchObject({ ok: false });

    const after = await call("/api/cases/case-2026-0219/traces", { token, body: trace });
    expect([after.status, after.body.error?.code]).toEqual([410, "collection_ended"]);
    // The authority has no alert level of its own.
    expect((await call("/operations/v1/alert-level", { method: "PUT", body: { level: "주의" }, auth: OPERATOR })).status).toBe(404);
  }, 60_000);
});
