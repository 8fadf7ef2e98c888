// What every integrator first touches: health, published keys, the OpenAPI
// document, and the one error envelope for anything wrong.
import { exports, env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseKeyRing } from "@kipass/shared";

const call = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`https://naver.test${path}`, init));

describe("issuer basics", () => {
  it("answers health with its party id", async () => {
    const res = await call("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, party: "naver" });
  });

  it("publishes its current and next signing keys, public halves only", async () => {
    const ring = parseKeyRing(env.SIGNING_KEYS, "SIGNING_KEYS");
    const res = await call("/.well-known/jwks.json");
    const text = await res.text();
    const jwks = JSON.parse(text) as { keys: { kid: string; use: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([ring.current.kid, ring.next.kid]);
    expect(jwks.keys.every((k) => k.use === "sig")).toBe(true);
    expect(text).not.toContain('"d"');
    expect(text).not.toContain(ring.current.d);
  });

  it("documents its routes at /openapi.json", async () => {
    const doc = (await (await call("/openapi.json")).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/healthz", "/.well-known/jwks.json", "/authority/v1/ping"]));
  });

  it("serves a Korean-first landing page", async () => {
    const res = await call("/");
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain('lang="ko"');
  });

  it("answers an unknown route with the error envelope and 404", async () => {
    const res = await call("/no/such/route");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "not_found", message: expect.stringContaining("/no/such/route") } });
  });

  it("refuses a body over the limit with 413 and the envelope", async () => {
    const res = await call("/authority/v1/ping", { method: "POST", body: "x".repeat(20_000), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "body_too_large" } });
  });
});
