import { describe, expect, it } from "vitest";
import {
  KID_LENGTH,
  findKey,
  generateKeyRing,
  generatePartyKey,
  importPartyKey,
  parseJwks,
  parseKeyRing,
  publicJwk,
  publishedJwks,
  rotateKeyRing,
  type PartyJwk,
} from "../src/keys.js";
import { b64urlEncode, utf8 } from "./helpers.js";

/** RFC 7638 thumbprint, computed here from the required members in lexicographic order. */
async function thumbprint(jwk: PartyJwk): Promise<string> {
  const members = jwk.kty === "OKP" ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return b64urlEncode(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(JSON.stringify(members)))));
}

describe("keys: ids", () => {
  it("the thumbprint helper matches RFC 8037 §A.3", async () => {
    const rfc: PartyJwk = { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", kid: "x", alg: "EdDSA", use: "sig" };
    expect(await thumbprint(rfc)).toBe("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  });

  it.each(["sig", "enc"] as const)("%s: kid = first 8 characters of the RFC 7638 thumbprint, same for the public half", async (use) => {
    expect(KID_LENGTH).toBe(8);
    const kids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const jwk = await generatePartyKey(use);
      expect(jwk.kid).toHaveLength(8);
      expect(jwk.kid).toMatch(/^[A-Za-z0-9_-]{8}$/);
      expect(jwk.kid).toBe((await thumbprint(jwk)).slice(0, 8));
      const pub = publicJwk(jwk);
      expect(pub.kid).toBe(jwk.kid);
      expect((await thumbprint(pub)).slice(0, 8)).toBe(jwk.kid);
      kids.add(jwk.kid);
    }
    expect(kids.size).toBe(5);
  });

  it("generates Ed25519 signing keys and P-256 encryption keys with private parts", async () => {
    expect(await generatePartyKey("sig")).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig", d: expect.any(String) });
    expect(await generatePartyKey("enc")).toMatchObject({
      kty: "EC",
      crv: "P-256",
      alg: "ECDH-ES+A256KW",
      use: "enc",
      y: expect.any(String),
      d: expect.any(String),
    });
  });
});

describe("keys: publication", () => {
  it("publishes current, next and retired keys of every ring, and never a private part", async () => {
    const sig = await rotateKeyRing(await generateKeyRing("sig"));
    const enc = await generateKeyRing("enc");
    const jwks = publishedJwks(sig, enc);
    expect(jwks.keys.map((k) => k.kid)).toEqual([sig.current.kid, sig.next.kid, sig.retired[0]!.kid, enc.current.kid, enc.next.kid]);
    for (const k of jwks.keys) expect(k).not.toHaveProperty("d");
    expect(JSON.stringify(jwks)).not.toMatch(/"d"/);
    for (const secret of [sig.current.d, sig.next.d, enc.current.d, enc.next.d]) expect(JSON.stringify(jwks)).not.toContain(secret);
    expect(parseJwks(JSON.stringify(jwks))).toEqual(jwks);
  });

  it("publicJwk does not change the key it is given", async () => {
    const jwk = await generatePartyKey("sig");
    const d = jwk.d;
    publicJwk(jwk);
    expect(jwk.d).toBe(d);
  });

  it("findKey matches kid and use", async () => {
    const sig = await generateKeyRing("sig");
    const enc = await generateKeyRing("enc");
    const jwks = publishedJwks(sig, enc);
    expect(findKey(jwks, sig.next.kid, "sig")?.x).toBe(sig.next.x);
    expect(findKey(jwks, sig.next.kid, "enc")).toBeUndefined();
    expect(findKey(jwks, enc.current.kid, "enc")?.x).toBe(enc.current.x);
    expect(findKey(jwks, "nope", "sig")).toBeUndefined();
  });

  it("parseJwks refuses what is not a JWKS", () => {
    for (const bad of [undefined, null, "", "{", "[]", { keys: "x" }, { keys: [{ kty: "RSA" }] }, { keys: Array.from({ length: 17 }, () => ({})) }]) {
      expect(parseJwks(bad)).toBeNull();
    }
  });
});

describe("keys: rotation", () => {
  it("next becomes current, the old current is kept as retired (public only), a fresh key becomes next", async () => {
    for (const use of ["sig", "enc"] as const) {
      const ring0 = await generateKeyRing(use);
      const ring1 = await rotateKeyRing(ring0);
      expect(ring1.current).toEqual(ring0.next);
      expect(ring1.current.d).toBe(ring0.next.d);
      expect(ring1.retired).toEqual([publicJwk(ring0.current)]);
      expect(ring1.retired[0]).not.toHaveProperty("d");
      expect([ring0.current.kid, ring0.next.kid]).not.toContain(ring1.next.kid);
      expect(ring1.next.use).toBe(use);
      expect(ring1.next.d).toEqual(expect.any(String));
      const ring2 = await rotateKeyRing(ring1);
      expect(ring2.retired.map((k) => k.kid)).toEqual([ring1.current.kid]);
      expect(publishedJwks(ring2).keys.map((k) => k.kid)).not.toContain(ring0.current.kid);
    }
  });

  it("what the next key signs verifies with the published next key, before and after rotation", async () => {
    const ring0 = await generateKeyRing("sig");
    const data = utf8("hello");
    const sig = await crypto.subtle.sign("Ed25519", await importPartyKey(ring0.next, "private"), data);
    const ring1 = await rotateKeyRing(ring0);
    for (const jwks of [publishedJwks(ring0), publishedJwks(ring1)]) {
      const pub = findKey(jwks, ring0.next.kid, "sig")!;
      expect(await crypto.subtle.verify("Ed25519", await importPartyKey(pub, "public"), sig, data)).toBe(true);
    }
  });
});

describe("keys: parseKeyRing", () => {
  it("accepts a generated ring, also after rotation", async () => {
    const ring = await generateKeyRing("sig");
    expect(parseKeyRing(JSON.stringify(ring), "SIGNING_KEYS")).toEqual(ring);
    const rotated = await rotateKeyRing(ring);
    expect(parseKeyRing(JSON.stringify(rotated), "SIGNING_KEYS")).toEqual(rotated);
  });

  it("refuses a ring without private keys", async () => {
    const ring = await generateKeyRing("sig");
    const publicOnly = { current: publicJwk(ring.current), next: publicJwk(ring.next), retired: [] };
    expect(() => parseKeyRing(JSON.stringify(publicOnly), "SIGNING_KEYS")).toThrow(/SIGNING_KEYS/);
    // The next key becomes current at the next rotation: it must be private too.
    const nextPublic = { ...ring, next: publicJwk(ring.next) };
    expect(() => parseKeyRing(JSON.stringify(nextPublic), "SIGNING_KEYS")).toThrow(/SIGNING_KEYS/);
    expect(() => parseKeyRing(JSON.stringify(publishedJwks(ring)), "SIGNING_KEYS")).toThrow();
  });

  it("refuses missing or broken secrets", () => {
    for (const bad of [undefined, "", "{", "null", "[]", '{"current":{}}']) expect(() => parseKeyRing(bad, "X")).toThrow(/X is missing/);
  });
});

describe("keys: shape", () => {
  it("refuses a published key whose type does not match its algorithm, so verifiers never import it", async () => {
    const enc = publicJwk(await generatePartyKey("enc"));
    const sig = publicJwk(await generatePartyKey("sig"));
    expect(parseJwks({ keys: [sig, enc] })).not.toBeNull();
    expect(parseJwks({ keys: [{ ...enc, alg: "EdDSA", use: "sig" }] })).toBeNull();
    expect(parseJwks({ keys: [{ ...sig, alg: "ECDH-ES+A256KW", use: "enc" }] })).toBeNull();
    expect(parseJwks({ keys: [{ ...sig, crv: "P-256" }] })).toBeNull();
  });
});
