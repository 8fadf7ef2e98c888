import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeBase45, encodeBase45 } from "../src/base45.js";
import { generateKeyRing, generatePartyKey, importPartyKey, publishedJwks, rotateKeyRing } from "../src/keys.js";
import {
  CLOCK_SKEW_MS,
  SEALED_BYTES,
  TOKEN_PREFIX,
  TOKEN_TTL_MS,
  mintToken,
  openHandle,
  parseToken,
  sealHandle,
  tokenId,
  verifyToken,
  type IssuerTrustList,
  type TokenErrorCode,
} from "../src/token.js";
import { BASE45_ALPHABET, QR_ALPHANUMERIC, T0, bytes, issuerFixture, newAesKey, someHandle, toHex, type IssuerFixture } from "./helpers.js";

const TOKEN_CODES: readonly TokenErrorCode[] = ["malformed", "unknown_issuer", "unknown_key", "bad_signature", "expired", "not_yet_valid"];
/** The latest instant a u32 seconds field can carry (2106-02-07). */
const MAX_TIME_MS = 0xffffffff * 1000 + 999;

const issuerId = fc.stringMatching(/^[a-z0-9-]{1,16}$/);
const userRef = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(bytes);
const nonce = fc.integer({ min: 0, max: 0xffffffff });
const time = fc.integer({ min: 0, max: MAX_TIME_MS });

function expectRefused(result: { ok: boolean; code?: string }, code?: TokenErrorCode): void {
  expect(result.ok).toBe(false);
  if (code) expect(result.code).toBe(code);
  else expect(TOKEN_CODES).toContain(result.code);
}

let naver: IssuerFixture;
let longest: IssuerFixture;
let trust: IssuerTrustList;

beforeAll(async () => {
  naver = await issuerFixture("naver");
  longest = await issuerFixture("abcdefghij-12345");
  trust = { ...naver.trust, ...longest.trust };
});

describe("token: spec constants", () => {
  it("is valid 15 s (R-U4) with 5 s skew allowance", () => {
    expect(TOKEN_TTL_MS).toBe(15_000);
    expect(CLOCK_SKEW_MS).toBe(5_000);
    expect(TOKEN_PREFIX).toBe("KP1:");
    expect(SEALED_BYTES).toBe(48);
  });
});

describe("token: round trip", () => {
  it("mint → verify returns issuer, kid, jti, times; openHandle returns the handle", async () => {
    const ring = await generateKeyRing("sig");
    const privateKey = await importPartyKey(ring.current, "private");
    const jwks = publishedJwks(ring);
    const aes = await newAesKey();
    await fc.assert(
      fc.asyncProperty(issuerId, userRef, nonce, time, fc.integer({ min: -CLOCK_SKEW_MS, max: TOKEN_TTL_MS + CLOCK_SKEW_MS - 1 }), async (issuer, ref, n, now, offset) => {
        const sealed = await sealHandle(aes, issuer, { userRef: ref, nonce: n });
        expect(sealed.length).toBe(48);
        const minted = await mintToken({ issuer, kid: ring.current.kid, privateKey, sealed, now });
        const issuedAt = Math.floor(now / 1000) * 1000;
        expect(minted.issuedAt).toBe(issuedAt);
        expect(minted.expiresAt).toBe(issuedAt + 15_000);
        expect(minted.qr.startsWith("KP1:")).toBe(true);
        expect(minted.qr).toMatch(QR_ALPHANUMERIC);
        expect(minted.qr.length).toBeLessThanOrEqual(221); // QR version 8-M, alphanumeric

        const verified = await verifyToken(minted.qr, { [issuer]: jwks }, issuedAt + offset);
        expect(verified.ok).toBe(true);
        if (!verified.ok) return;
        expect(verified.issuer).toBe(issuer);
        expect(verified.kid).toBe(ring.current.kid);
        expect(verified.jti).toBe(await tokenId(sealed));
        expect(verified.jti).toBe(minted.jti);
        expect(verified.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect(verified.issuedAt).toBe(issuedAt);
        expect(verified.expiresAt).toBe(issuedAt + 15_000);
        expect(toHex(verified.sealed)).toBe(toHex(sealed));

        const handle = await openHandle(aes, issuer, verified.sealed);
        expect(handle).not.toBeNull();
        expect(toHex(handle!.userRef)).toBe(toHex(ref));
        expect(handle!.nonce).toBe(n);
      }),
      { numRuns: 150 },
    );
  });

  it("gives every token its own jti, even for the same user and nonce", async () => {
    const a = await naver.mint(someHandle(5), T0);
    const b = await naver.mint(someHandle(5), T0);
    expect(a.jti).not.toBe(b.jti);
    expect(a.qr).not.toBe(b.qr);
  });

  it("does not carry the user reference in the clear", async () => {
    const handle = someHandle(9);
    const t = await naver.mint(handle, T0);
    const parsed = parseToken(t.qr);
    if ("ok" in parsed) throw new Error(parsed.message);
    expect(toHex(parsed.sealed)).not.toContain(toHex(handle.userRef));
    expect(toHex(decodeBase45(t.qr.slice(4))!)).not.toContain(toHex(handle.userRef).slice(0, 16));
  });

  it("mintToken refuses ids and handles outside the format", async () => {
    const sealed = new Uint8Array(48);
    const base = { issuer: "naver", kid: naver.ring.current.kid, privateKey: naver.privateKey, sealed, now: T0 };
    await expect(mintToken(base)).resolves.toBeDefined();
    for (const issuer of ["", "Naver", "a".repeat(17), "na ver", "naver_", "네이버"]) {
      await expect(mintToken({ ...base, issuer })).rejects.toThrow();
    }
    for (const kid of ["", "a".repeat(17), "ab.cd", "ab cd"]) await expect(mintToken({ ...base, kid })).rejects.toThrow();
    for (const n of [0, 47, 49]) await expect(mintToken({ ...base, sealed: new Uint8Array(n) })).rejects.toThrow();
  });
});

describe("token: tampering", () => {
  let tokens: string[];
  beforeAll(async () => {
    tokens = [(await naver.mint(someHandle(1), T0)).qr, (await longest.mint(someHandle(2), T0)).qr];
  });

  it("refuses every single-character substitution within the base45 alphabet (exhaustive)", async () => {
    const qr = tokens[0]!;
    expect((await verifyToken(qr, trust, T0)).ok).toBe(true);
    const codes = new Set<string>();
    for (let i = 0; i < qr.length; i++) {
      const variants = [...BASE45_ALPHABET].filter((c) => c !== qr[i]).map((c) => qr.slice(0, i) + c + qr.slice(i + 1));
      expect(variants).toHaveLength(44);
      for (const result of await Promise.all(variants.map((v) => verifyToken(v, trust, T0)))) {
        expectRefused(result);
        if (!result.ok) codes.add(result.code);
      }
    }
    // Changes in the body are caught by the signature, not only by the shape checks.
    expect(codes).toContain("bad_signature");
    expect(codes).toContain("malformed");
  });

  it("refuses any one-character replacement, deletion or insertion", async () => {
    const edit = fc.oneof(
      fc.record({ kind: fc.constant("replace" as const), c: fc.oneof(fc.constantFrom(...BASE45_ALPHABET), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })) }),
      fc.record({ kind: fc.constant("delete" as const) }),
      fc.record({ kind: fc.constant("insert" as const), c: fc.oneof(fc.constantFrom(...BASE45_ALPHABET), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1), fc.nat(), edit, async (which, at, e) => {
        const qr = tokens[which]!;
        let changed: string;
        if (e.kind === "delete") {
          const i = at % qr.length;
          changed = qr.slice(0, i) + qr.slice(i + 1);
        } else if (e.kind === "insert") {
          const i = at % (qr.length + 1);
          changed = qr.slice(0, i) + e.c + qr.slice(i);
        } else {
          const i = at % qr.length;
          fc.pre(qr[i] !== e.c);
          changed = qr.slice(0, i) + e.c + qr.slice(i + 1);
        }
        expect(changed).not.toBe(qr);
        expectRefused(await verifyToken(changed, trust, T0));
      }),
      { numRuns: 800 },
    );
  });

  it("refuses a changed issued-at as a bad signature, not as expired", async () => {
    const t = await naver.mint(someHandle(3), T0);
    const raw = decodeBase45(t.qr.slice(4))!;
    const iatAt = 1 + 5 + 1 + 8; // issuerLen, "naver", kidLen, kid
    const view = new DataView(raw.buffer);
    view.setUint32(iatAt, view.getUint32(iatAt) + 3600);
    expectRefused(await verifyToken("KP1:" + encodeBase45(raw), trust, T0 + 3_600_000), "bad_signature");
  });

  it("refuses a token whose sealed handle was swapped with another token's", async () => {
    const a = decodeBase45((await naver.mint(someHandle(1), T0)).qr.slice(4))!;
    const b = decodeBase45((await naver.mint(someHandle(2), T0)).qr.slice(4))!;
    const sealedAt = 1 + 5 + 1 + 8 + 4;
    a.set(b.slice(sealedAt, sealedAt + 48), sealedAt);
    expectRefused(await verifyToken("KP1:" + encodeBase45(a), trust, T0), "bad_signature");
  });
});

describe("token: validity window", () => {
  it("is exact at all four boundaries", async () => {
    const t = await naver.mint(someHandle(), T0); // T0 = …000.250 → issuedAt = …000.000
    const issuedAt = Math.floor(T0 / 1000) * 1000;
    const expiresAt = issuedAt + 15_000;
    expect(t.issuedAt).toBe(issuedAt);
    expect(t.expiresAt).toBe(expiresAt);
    expect((await verifyToken(t.qr, trust, expiresAt + 5_000 - 1)).ok).toBe(true);
    expectRefused(await verifyToken(t.qr, trust, expiresAt + 5_000), "expired");
    expect((await verifyToken(t.qr, trust, issuedAt - 5_000)).ok).toBe(true);
    expectRefused(await verifyToken(t.qr, trust, issuedAt - 5_000 - 1), "not_yet_valid");
  });

  it("holds the boundaries for any minting time", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 10_000, max: MAX_TIME_MS - 30_000 }), async (now) => {
        const t = await naver.mint(someHandle(), now);
        const verify = (at: number) => verifyToken(t.qr, trust, at);
        expect((await verify(t.expiresAt + CLOCK_SKEW_MS - 1)).ok).toBe(true);
        expectRefused(await verify(t.expiresAt + CLOCK_SKEW_MS), "expired");
        expect((await verify(t.issuedAt - CLOCK_SKEW_MS)).ok).toBe(true);
        expectRefused(await verify(t.issuedAt - CLOCK_SKEW_MS - 1), "not_yet_valid");
      }),
      { numRuns: 40 },
    );
  });

  it("checks time only after the signature", async () => {
    const t = await naver.mint(someHandle(), T0);
    const forged = t.qr.slice(0, -1) + (t.qr.endsWith("0") ? "1" : "0");
    const result = await verifyToken(forged, trust, T0 + 3_600_000);
    expect(result.ok).toBe(false);
    expect(result.ok ? null : result.code).not.toBe("expired");
  });
});

describe("token: typed refusals", () => {
  it("unknown issuer, including names of Object.prototype members", async () => {
    const t = await naver.mint(someHandle(), T0);
    expectRefused(await verifyToken(t.qr, longest.trust, T0), "unknown_issuer");
    expectRefused(await verifyToken(t.qr, {}, T0), "unknown_issuer");
    for (const id of ["constructor"]) {
      const f = await issuerFixture(id, naver.ring);
      const token = await f.mint(someHandle(), T0);
      expectRefused(await verifyToken(token.qr, {}, T0), "unknown_issuer");
      expectRefused(await verifyToken(token.qr, naver.trust, T0), "unknown_issuer");
    }
  });

  it("unknown key id", async () => {
    const t = await naver.mint(someHandle(), T0);
    const other = await generateKeyRing("sig");
    expectRefused(await verifyToken(t.qr, { naver: publishedJwks(other) }, T0), "unknown_key");
    // A key with that id but for encryption is not a signing key.
    const enc = await generatePartyKey("enc");
    const encWithKid = { ...enc, kid: naver.ring.current.kid };
    delete encWithKid.d;
    expectRefused(await verifyToken(t.qr, { naver: { keys: [encWithKid] } }, T0), "unknown_key");
  });

  it("signature by another key that claims the same kid", async () => {
    const impostor = await generatePartyKey("sig");
    const sameKid = { ...impostor, kid: naver.ring.current.kid };
    const sealed = await sealHandle(naver.aes, "naver", someHandle());
    const forged = await mintToken({ issuer: "naver", kid: sameKid.kid, privateKey: await importPartyKey(sameKid, "private"), sealed, now: T0 });
    expectRefused(await verifyToken(forged.qr, naver.trust, T0), "bad_signature");
    // …and the impostor's key is really a valid key: its own JWKS accepts the token.
    const { d: _d, ...pub } = sameKid;
    expect((await verifyToken(forged.qr, { naver: { keys: [pub] } }, T0)).ok).toBe(true);
  });

  it("never throws on garbage and always answers with a typed code", async () => {
    const garbage = fc.oneof(
      fc.anything(),
      fc.string({ unit: "binary", maxLength: 300 }),
      fc.string({ maxLength: 300 }).map((s) => "KP1:" + s),
      fc.string({ unit: fc.constantFrom(...BASE45_ALPHABET), maxLength: 300 }).map((s) => "KP1:" + s),
      fc.uint8Array({ maxLength: 200 }).map((b) => "KP1:" + encodeBase45(bytes(b))),
      // Right shape, random content: reaches the issuer, key and signature checks.
      fc
        .record({
          issuer: fc.constantFrom("naver", "abcdefghij-12345", "kakao", "Naver", ""),
          kid: fc.oneof(fc.constant(naver.ring.current.kid), fc.constant(longest.ring.current.kid), fc.stringMatching(/^[\x00-\x7f]{0,17}$/)),
          rest: fc.uint8Array({ minLength: 116, maxLength: 116 }), // iat | sealed | sig
        })
        .map(({ issuer, kid, rest }) => {
          const i = new TextEncoder().encode(issuer);
          const k = new TextEncoder().encode(kid);
          return "KP1:" + encodeBase45(bytes([i.length, ...i, k.length, ...k, ...rest]));
        }),
    );
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(garbage, async (input) => {
        const result = await verifyToken(input, trust, T0);
        expectRefused(result);
        if (!result.ok) {
          expect(typeof result.message).toBe("string");
          seen.add(result.code);
        }
      }),
      { numRuns: 600 },
    );
    expect([...seen].sort()).toEqual(expect.arrayContaining(["bad_signature", "malformed", "unknown_issuer", "unknown_key"]));
  });

  it("refuses other prefixes, case, whitespace and oversize input as malformed", async () => {
    const t = await naver.mint(someHandle(), T0);
    const body = t.qr.slice(4);
    for (const bad of ["KP2:" + body, "kp1:" + body, "KP1" + body, " " + t.qr, t.qr + " ", t.qr + "\n", body, "KP1:", "", "KP1:" + "0".repeat(402)]) {
      expectRefused(await verifyToken(bad, trust, T0), "malformed");
    }
  });
});

describe("token: key rotation", () => {
  it("accepts a token of a retired key and refuses it once that key is no longer published", async () => {
    const ring0 = await generateKeyRing("sig");
    const f = await issuerFixture("pass", ring0);
    const t = await f.mint(someHandle(), T0);
    const ring1 = await rotateKeyRing(ring0);
    expect(ring1.retired.map((k) => k.kid)).toContain(ring0.current.kid);
    expect((await verifyToken(t.qr, { pass: publishedJwks(ring1) }, T0)).ok).toBe(true);
    const ring2 = await rotateKeyRing(ring1);
    expect(publishedJwks(ring2).keys.map((k) => k.kid)).not.toContain(ring0.current.kid);
    expectRefused(await verifyToken(t.qr, { pass: publishedJwks(ring2) }, T0), "unknown_key");
  });

  it("accepts a token of the next key before rotation (published ahead of use)", async () => {
    const ring0 = await generateKeyRing("sig");
    const ring1 = await rotateKeyRing(ring0);
    const t = await (await issuerFixture("pass", ring1)).mint(someHandle(), T0);
    expect((await verifyToken(t.qr, { pass: publishedJwks(ring0) }, T0)).ok).toBe(true);
  });
});

describe("token: sealed handle", () => {
  it("opens only with the issuer's key and id, and only untouched", async () => {
    const handle = someHandle(77);
    const sealed = await sealHandle(naver.aes, "naver", handle);
    expect(await openHandle(naver.aes, "naver", sealed)).toEqual({ userRef: handle.userRef, nonce: 77 });
    expect(await openHandle(longest.aes, "naver", sealed)).toBeNull(); // wrong key
    expect(await openHandle(naver.aes, "kakao", sealed)).toBeNull(); // wrong issuer (AAD)
    expect(await openHandle(naver.aes, "naver", sealed.slice(0, 47))).toBeNull();
    for (const i of [0, 11, 12, 31, 47]) {
      const flipped = sealed.slice();
      flipped[i]! ^= 1;
      expect(await openHandle(naver.aes, "naver", flipped)).toBeNull();
    }
  });

  it("sealHandle refuses a user ref that is not 16 bytes and a nonce that is not a u32", async () => {
    await expect(sealHandle(naver.aes, "naver", { userRef: new Uint8Array(15), nonce: 1 })).rejects.toThrow();
    for (const n of [-1, 2 ** 32, 1.5, Number.NaN]) {
      await expect(sealHandle(naver.aes, "naver", { userRef: new Uint8Array(16), nonce: n })).rejects.toThrow();
    }
  });
});
