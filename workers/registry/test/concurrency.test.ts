// One-time tokens under load: concurrent scans must neither lose a visit nor
// record one twice (architecture.md: claim in TokenLedger, idempotent by jti).
//
// The scans go through the registry's Hono app with the real bindings
// (`app.request(…, env)`): the same routes, validation, Facility and
// TokenLedger objects as exports.default.fetch, without the test pool's
// per-request dispatch, which costs ~100 ms a request on the 2-core machine
// and would turn these tests into minutes.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { kstDay } from "../../../shared/src/index.js";
import { app } from "../src/index.js";
import { activeFacility, hourly, mintQr } from "./helpers.js";

const scanDirect = (session: string, qr: string) =>
  app.request(
    "/v1/scan",
    { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${session}` }, body: JSON.stringify({ qr }) },
    env,
  );

const visitRows = async (facilityId: string) =>
  runInDurableObject(env.FACILITY.getByName(facilityId), (_, state) =>
    state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM visits").one().n,
  );

describe("concurrent scans", () => {
  it("1,000 concurrent scans of distinct tokens at one facility → exactly 1,000 visits, hourly counts add up", async () => {
    const f = await activeFacility();
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => mintQr()));
    const days = new Set([kstDay(Date.now())]);
    const responses = await Promise.all(tokens.map((t) => scanDirect(f.session, t.qr)));
    days.add(kstDay(Date.now())); // a run across KST midnight spreads over two days
    const bodies = await Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as { repeat?: boolean } })));
    expect(bodies.filter((b) => b.status === 200 && b.body.repeat === false)).toHaveLength(1000);
    expect(await visitRows(f.facilityId)).toBe(1000);
    let total = 0;
    for (const day of days) {
      const counts = await hourly(f.session, day);
      expect(counts.hours.reduce((a, h) => a + h.visitors, 0)).toBe(counts.total);
      total += counts.total;
    }
    expect(total).toBe(1000);
  }, 120_000);

  it("1,000 concurrent scans of the same token at 10 facilities → exactly one visit", async () => {
    const facilities = await Promise.all(Array.from({ length: 10 }, () => activeFacility()));
    const { qr } = await mintQr();
    const responses = await Promise.all(Array.from({ length: 1000 }, (_, i) => scanDirect(facilities[i % 10]!.session, qr)));
    const bodies = await Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as { repeat?: boolean; error?: { code: string } } })));
    const accepted = bodies.filter((b) => b.status === 200);
    const refused = bodies.filter((b) => b.status !== 200);
    // The winning facility answers ok to each of its 100 scans, exactly one of them new; the other nine refuse them as replays.
    expect(accepted).toHaveLength(100);
    expect(accepted.filter((b) => b.body.repeat === false)).toHaveLength(1);
    expect(refused).toHaveLength(900);
    expect(refused.every((b) => b.status === 409 && b.body.error?.code === "token_used")).toBe(true);
    const rows = await Promise.all(facilities.map((f) => visitRows(f.facilityId)));
    expect(rows.reduce((a, b) => a + b, 0)).toBe(1);
    const totals = await Promise.all(facilities.map(async (f) => (await hourly(f.session)).total));
    expect(totals.reduce((a, b) => a + b, 0)).toBe(1);
  }, 120_000);
});
