// The scanner UI is static assets from the edge; its worker answers health
// and turns every unknown path into the error envelope.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("scanner-ui basics", () => {
  it("answers health and names the registry it talks to", async () => {
    const res = await exports.default.fetch(new Request("https://scanner.test/healthz"));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, party: "scanner-ui", registry: expect.stringMatching(/^https?:\/\//) });
  });

  it("publishes no keys: it holds none", async () => {
    const res = await exports.default.fetch(new Request("https://scanner.test/.well-known/jwks.json"));
    expect(res.status).toBe(404);
  });
});

describe("scanner-ui config", () => {
  it("tells the page the registry's URL, the only origin it talks to", async () => {
    const res = await exports.default.fetch(new Request("https://scanner.test/config.json"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ registryUrl: expect.stringMatching(/^https?:\/\/[^/]+/) });
  });
});
