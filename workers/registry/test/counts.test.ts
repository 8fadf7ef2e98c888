// R-F8: nobody at the facility sees visitors — every route a facility
// account can call answers without tokens, token hashes or visit rows.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hmacKey, keyedHash, kstDay } from "../../../shared/src/index.js";
import { addStaff, activeFacility, call, hourly, json, mintQr, scan } from "./helpers.js";

const testEnv = env as typeof env & { LOOKUP_KEY: string };

describe("hourly counts", () => {
  it("counts visitors per KST hour and per day, and totals a range", async () => {
    const f = await activeFacility();
    for (let i = 0; i < 3; i++) await json(await scan(f.session, (await mintQr()).qr), 200);
    const today = kstDay(Date.now());
    const counts = await hourly(f.session, today);
    expect(counts.hours).toHaveLength(24);
    expect(counts.total).toBe(3);
    expect(counts.hours.reduce((a, h) => a + h.visitors, 0)).toBe(3);
    const range = await json<{ days: { day: string; visitors: number }[]; total: number }>(
      await call("GET", `/v1/facility/counts/daily?from=${today}&to=${today}`, undefined, f.session),
      200,
    );
    expect(range).toMatchObject({ total: 3, days: [{ day: today, visitors: 3 }] });
    expect((await call("GET", `/v1/facility/counts/daily?from=2026-01-01&to=2026-03-01`, undefined, f.session)).status).toBe(400);
  });

  it("no route a facility account can call exposes token data (R-F8)", async () => {
    const f = await activeFacility();
    const staff = await addStaff(f.session);
    const tokens = [];
    for (let i = 0; i < 3; i++) {
      const t = await mintQr();
      tokens.push(t);
      await json(await scan(staff.session, t.qr), 200);
    }
    const lookup = await hmacKey(testEnv.LOOKUP_KEY);
    const secrets = [
      ...tokens.map((t) => t.qr),
      ...tokens.map((t) => t.qr.slice(4, 40)),
      ...tokens.map((t) => t.jti),
      ...(await Promise.all(tokens.map((t) => keyedHash(lookup, `token\u0000${t.jti}`)))),
    ];
    // Every GET route in the generated OpenAPI document that is not the authority's, as owner and as staff.
    const doc = await json<{ paths: Record<string, Record<string, unknown>> }>(await call("GET", "/openapi.json"), 200);
    const today = kstDay(Date.now());
    const gets = Object.entries(doc.paths)
      .filter(([path, ops]) => "get" in ops && !path.startsWith("/authority"))
      .map(([path]) => path.replace(/\{id\}/, "x") + (path.endsWith("/daily") ? `?from=${today}&to=${today}` : ""));
    expect(gets).toContain("/v1/facility/counts/hourly");
    const outputs: string[] = [];
    for (const session of [f.session, staff.session]) {
      for (const path of gets) outputs.push(`${path} ${await (await call("GET", path, undefined, session)).text()}`);
    }
    outputs.push(await (await call("POST", "/v1/login", { loginId: f.loginId, password: f.password })).text());
    const all = outputs.join("\n");
    expect(all).toContain('"total":3'); // the counts are there…
    for (const s of secrets) expect(all).not.toContain(s); // …and nothing of the tokens
  });
});
