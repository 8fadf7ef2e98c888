// The authority publishes what the other parties pin: its signing keys (to
// verify its requests) and its encryption keys (to seal answers to it).
import { exports, env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseKeyRing } from "@kipass/shared";

describe("authority basics", () => {
  it("publishes signing and encryption keys, public halves only", async () => {
    const res = await exports.default.fetch(new Request("https://authority.test/.well-known/jwks.json"));
    const text = await res.text();
    const { keys } = JSON.parse(text) as { keys: { kid: string; use: string; alg: string }[] };
    const signing = parseKeyRing(env.SIGNING_KEYS, "SIGNING_KEYS");
    const encryption = parseKeyRing(env.ENCRYPTION_KEYS, "ENCRYPTION_KEYS");
    expect(keys.filter((k) => k.use === "sig").map((k) => k.kid)).toEqual([signing.current.kid, signing.next.kid]);
    expect(keys.filter((k) => k.use === "enc").map((k) => [k.kid, k.alg])).toEqual([
      [encryption.current.kid, "ECDH-ES+A256KW"],
      [encryption.next.kid, "ECDH-ES+A256KW"],
    ]);
    expect(text).not.toContain('"d"');
  });

  it("has no authority endpoint to call it with before tracing exists", async () => {
    const res = await exports.default.fetch(new Request("https://authority.test/authority/v1/ping", { method: "POST", body: "{}" }));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
  });
});
