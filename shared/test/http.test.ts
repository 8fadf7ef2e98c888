// The HTTP edge every party shares: one error envelope for every failure,
// and the dev-only clock header that exists only in the local stack.
import { createRoute, z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { AppError, DEV_NOW_HEADER, ManualClock, allowBrowserOrigins, createApp } from "../src/index.js";

function testApp() {
  const app = createApp<{ Bindings: { DEV_MODE?: string } }>({ title: "t", description: "d", clock: new ManualClock(1_000) });
  app.openapi(
    createRoute({
      method: "post",
      path: "/echo",
      request: { body: { required: true, content: { "application/json": { schema: z.object({ n: z.number().int() }).strict() } } } },
      responses: { 200: { description: "ok", content: { "application/json": { schema: z.object({ n: z.number(), now: z.number() }) } } } },
    }),
    (c) => c.json({ n: c.req.valid("json").n, now: c.var.clock.now() }, 200),
  );
  app.get("/teapot", () => {
    throw new AppError(409, "conflict_here", "explained");
  });
  return app;
}
const post = (body: string, headers: Record<string, string> = {}) => ({ method: "POST", body, headers: { "content-type": "application/json", ...headers } });

describe("error envelope", () => {
  it.each([
    ["a schema violation", post('{"n":"x"}'), 400, "invalid_request"],
    ["an unknown field", post('{"n":1,"x":2}'), 400, "invalid_request"],
    ["broken JSON", post("{"), 400, "invalid_request"],
    ["a body over the limit", post(JSON.stringify({ n: 1, pad: "x".repeat(20_000) })), 413, "body_too_large"],
  ])("answers %s with a 4xx and the envelope", async (_what, init, status, code) => {
    const res = await testApp().request("/echo", init);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error: { code, message: expect.any(String) } });
  });

  it("maps a thrown AppError and an unknown route", async () => {
    expect(await (await testApp().request("/teapot")).json()).toEqual({ error: { code: "conflict_here", message: "explained" } });
    const missing = await testApp().request("/nowhere");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "not_found" } });
  });
});

describe("dev clock header", () => {
  it("moves the clock only when DEV_MODE is on", async () => {
    const at = { [DEV_NOW_HEADER]: "1800000000000" };
    const dev = await testApp().request("/echo", post('{"n":1}', at), { DEV_MODE: "true" });
    expect(await dev.json()).toEqual({ n: 1, now: 1_800_000_000_000 });
    const prod = await testApp().request("/echo", post('{"n":1}', at), {});
    expect(await prod.json()).toEqual({ n: 1, now: 1_000 });
    const junk = await testApp().request("/echo", post('{"n":1}', { [DEV_NOW_HEADER]: "soon" }), { DEV_MODE: "true" });
    expect(await junk.json()).toEqual({ n: 1, now: 1_000 });
  });
});

describe("browser origins", () => {
  function corsApp() {
    const app = createApp<{ Bindings: { UI_ORIGINS?: string } }>({ title: "t", description: "d" });
    app.use("/v1/*", allowBrowserOrigins<{ UI_ORIGINS?: string }>((env) => env.UI_ORIGINS));
    app.post("/v1/scan", (c) => c.json({ ok: true }));
    app.post("/v1/used", () => {
      throw new AppError(409, "token_used", "QR already used at another facility");
    });
    app.delete("/v1/staff", (c) => c.body(null, 204));
    return app;
  }
  const env = { UI_ORIGINS: "http://127.0.0.1:8730, https://scanner.example" };

  it("lets the scanner UI's origin call, with a preflight cached for two hours", async () => {
    const preflight = await corsApp().request(
      "/v1/scan",
      { method: "OPTIONS", headers: { origin: "https://scanner.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" } },
      env,
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://scanner.example");
    expect(preflight.headers.get("access-control-max-age")).toBe("7200");
    const post = await corsApp().request("/v1/scan", { method: "POST", headers: { origin: "http://127.0.0.1:8730" } }, env);
    expect(post.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:8730");
  });

  it("lets the scanner read refusals and empty answers too, and tells caches the answer depends on the origin", async () => {
    const origin = "https://scanner.example";
    const refused = await corsApp().request("/v1/used", { method: "POST", headers: { origin } }, env);
    expect(refused.status).toBe(409);
    expect(refused.headers.get("access-control-allow-origin")).toBe(origin);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("token_used");
    const empty = await corsApp().request("/v1/staff", { method: "DELETE", headers: { origin } }, env);
    expect(empty.status).toBe(204);
    expect(empty.headers.get("access-control-allow-origin")).toBe(origin);
    const ok = await corsApp().request("/v1/scan", { method: "POST", headers: { origin } }, env);
    expect(ok.headers.get("content-type")).toMatch(/^application\/json/);
    for (const res of [refused, empty, ok, await corsApp().request("/v1/scan", { method: "POST" }, env)]) expect(res.headers.get("vary")).toBe("Origin");
  });

  it("gives any other origin no permission", async () => {
    const res = await corsApp().request("/v1/scan", { method: "POST", headers: { origin: "https://evil.example" } }, env);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});
