import fc from "fast-check";
import { CompactSign } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { Bytes } from "../src/bytes.js";
import { generateKeyRing, generatePartyKey, importPartyKey, publishedJwks, type Jwks, type KeyRing, type PartyJwk } from "../src/keys.js";
import {
  MAX_REQUEST_LIFETIME_S,
  MemoryReplayStore,
  REQUEST_SKEW_MS,
  REQUEST_TYP,
  SIGNATURE_HEADER,
  SIGNED_REQUEST_STATUS,
  bodyDigest,
  signRequest,
  verifySignedRequest,
  type SignRequestInput,
  type SignedRequestErrorCode,
} from "../src/signed-request.js";
import { BASE64URL_ALPHABET, T0, b64urlDecodeLoose, b64urlEncode, bytes, utf8 } from "./helpers.js";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
const CODES = Object.keys(SIGNED_REQUEST_STATUS) as SignedRequestErrorCode[];

let ring: KeyRing;
let jwks: Jwks;

beforeAll(async () => {
  ring = await generateKeyRing("sig");
  jwks = publishedJwks(ring);
});

interface Presented {
  method: string;
  path: string;
  body: Bytes | string;
  audience: string;
  now: number;
  replay?: MemoryReplayStore;
}

const BASE: Omit<SignRequestInput, "key"> = {
  audience: "naver",
  method: "POST",
  path: "/authority/v1/tokens?from=1&to=2",
  body: '{"phone":"01012345678"}',
  caseId: "C-2026-0001",
  investigator: "inv-42",
  purpose: "contact tracing",
  now: T0,
};

async function sign(over: Partial<SignRequestInput> = {}): Promise<string> {
  const headers = await signRequest({ key: ring.current, ...BASE, ...over });
  expect(Object.keys(headers)).toEqual([SIGNATURE_HEADER]);
  return headers[SIGNATURE_HEADER]!;
}

function verify(jws: string | null, over: Partial<Presented> = {}) {
  const p: Presented = { method: BASE.method, path: BASE.path, body: BASE.body, audience: BASE.audience, now: T0, ...over };
  const headers = new Headers(jws === null ? {} : { [SIGNATURE_HEADER]: jws });
  return verifySignedRequest(
    { method: p.method, path: p.path, headers, body: typeof p.body === "string" ? utf8(p.body) : p.body },
    { audience: p.audience, jwks, replay: p.replay ?? new MemoryReplayStore(() => p.now), now: p.now },
  );
}

async function expectCode(result: Promise<{ ok: boolean; code?: string }>, code: SignedRequestErrorCode) {
  const r = await result;
  expect(r.ok).toBe(false);
  expect(r.code).toBe(code);
}

/** Signs any header and payload with a key, the way a forger holding that key could. */
async function forge(header: Record<string, unknown>, payload: unknown, key: PartyJwk = ring.current): Promise<string> {
  return new CompactSign(utf8(JSON.stringify(payload)))
    .setProtectedHeader({ alg: "EdDSA", ...header })
    .sign(await importPartyKey(key, "private"));
}

/** Whether a value can travel as an HTTP header value at all (Fetch refuses NUL, CR, LF and non-Latin-1). */
function sendable(value: string): boolean {
  try {
    new Headers({ x: value });
    return true;
  } catch {
    return false;
  }
}

const decodePart = (part: string): Record<string, unknown> => JSON.parse(new TextDecoder().decode(b64urlDecodeLoose(part))) as Record<string, unknown>;

describe("signed request: constants", () => {
  it("lives at most 60 s with 5 s skew, in the KP-Signature header", () => {
    expect(MAX_REQUEST_LIFETIME_S).toBe(60);
    expect(REQUEST_SKEW_MS).toBe(5_000);
    expect(SIGNATURE_HEADER).toBe("KP-Signature");
    expect(REQUEST_TYP).toBe("kp-request+jws");
  });
});

describe("signed request: round trip", () => {
  const method = fc
    .tuple(fc.constantFrom(...METHODS), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }))
    .map(([m, lower]) => [...m].map((c, i) => (lower[i] ? c.toLowerCase() : c)).join(""));
  const printable = fc.stringMatching(/^[\x21-\x7e]{1,64}$/);
  const body = fc.oneof(fc.uint8Array({ maxLength: 300 }).map(bytes), fc.string({ unit: "binary", maxLength: 100 }));

  it("verifies and returns exactly the signed claims", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          method,
          path: fc.string({ unit: "binary", maxLength: 100 }).map((s) => "/" + s),
          body,
          audience: printable,
          caseId: printable,
          investigator: printable,
          purpose: fc.string({ unit: "binary", minLength: 1, maxLength: 100 }),
          now: fc.integer({ min: 10_000_000, max: 4_000_000_000_000 }),
          lifetime: fc.integer({ min: 1, max: 60 }),
          jti: fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/), { nil: undefined }),
        }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (input, where) => {
          const headers = await signRequest({ key: ring.current, ...input });
          const jws = headers[SIGNATURE_HEADER]!;
          const iat = Math.floor(input.now / 1000);
          const exp = iat + input.lifetime;
          const from = iat * 1000 - 5_000;
          const to = exp * 1000 + 5_000 - 1;
          const at = Math.min(to, from + Math.floor(where * (to - from + 1)));
          const result = await verify(jws, { method: input.method, path: input.path, body: input.body, audience: input.audience, now: at });
          expect(result).toMatchObject({ ok: true });
          if (!result.ok) return;
          const rawBody = typeof input.body === "string" ? utf8(input.body) : input.body;
          const digest = b64urlEncode(new Uint8Array(await crypto.subtle.digest("SHA-256", rawBody)));
          expect(result.claims).toEqual({
            v: 1,
            aud: input.audience,
            htm: input.method.toUpperCase(),
            htu: input.path,
            bdy: digest,
            iat,
            exp,
            jti: input.jti ?? result.claims.jti,
            case: input.caseId,
            inv: input.investigator,
            purpose: input.purpose,
          });
          expect(result.claims.jti).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
          expect(decodePart(jws.split(".")[0]!)).toEqual({ alg: "EdDSA", kid: ring.current.kid, typ: "kp-request+jws" });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("gives each request a fresh random jti when none is given", async () => {
    const a = decodePart((await sign()).split(".")[1]!);
    const b = decodePart((await sign()).split(".")[1]!);
    expect(a.jti).not.toBe(b.jti);
    expect(String(a.jti)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("bodyDigest is base64url SHA-256 of the raw bytes (strings as UTF-8)", async () => {
    // SHA-256("") and SHA-256("abc") from FIPS 180-2.
    expect(await bodyDigest("")).toBe("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"); // e3b0c442…b855
    expect(await bodyDigest(utf8("abc"))).toBe("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
  });
});

describe("signed request: tampering", () => {
  it("refuses another method, path or body", async () => {
    const jws = await sign();
    const other = fc.record({
      method: fc.constantFrom(...METHODS).filter((m) => m !== BASE.method),
      path: fc.string({ unit: "binary", maxLength: 40 }).map((s) => "/" + s).filter((p) => p !== BASE.path),
      body: fc.string({ unit: "binary", maxLength: 40 }).filter((b) => b !== BASE.body),
    });
    await fc.assert(
      fc.asyncProperty(other, async (o) => {
        await expectCode(verify(jws, { method: o.method }), "wrong_audience");
        await expectCode(verify(jws, { path: o.path }), "wrong_audience");
        await expectCode(verify(jws, { body: o.body }), "body_mismatch");
      }),
      { numRuns: 100 },
    );
    // Near misses a lenient server could be tempted to normalise.
    await expectCode(verify(jws, { path: BASE.path + "/" }), "wrong_audience");
    await expectCode(verify(jws, { path: "/authority/v1/tokens" }), "wrong_audience");
    await expectCode(verify(jws, { path: "/authority/v1/tokens?to=2&from=1" }), "wrong_audience");
    await expectCode(verify(jws, { body: BASE.body + "\n" }), "body_mismatch");
    await expectCode(verify(jws, { body: "" }), "body_mismatch");
  });

  it("refuses a payload with any claim changed under the old signature", async () => {
    const jws = await sign();
    const [h, p, s] = jws.split(".") as [string, string, string];
    const claims = decodePart(p);
    const printable = fc.stringMatching(/^[\x21-\x7e]{1,64}$/);
    const change = fc.oneof(
      fc.record({ key: fc.constant("v"), value: fc.integer({ min: 2, max: 9 }) }),
      fc.record({ key: fc.constant("aud"), value: printable }),
      fc.record({ key: fc.constant("htm"), value: fc.constantFrom(...METHODS) }),
      fc.record({ key: fc.constant("htu"), value: fc.string({ maxLength: 50 }).map((x) => "/" + x) }),
      fc.record({ key: fc.constant("bdy"), value: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/) }),
      fc.record({ key: fc.constant("iat"), value: fc.integer({ min: Number(claims.exp) - 60, max: Number(claims.exp) - 1 }) }),
      fc.record({ key: fc.constant("exp"), value: fc.integer({ min: Number(claims.iat) + 1, max: Number(claims.iat) + 60 }) }),
      fc.record({ key: fc.constant("jti"), value: fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/) }),
      fc.record({ key: fc.constant("case"), value: printable }),
      fc.record({ key: fc.constant("inv"), value: printable }),
      fc.record({ key: fc.constant("purpose"), value: fc.string({ minLength: 1, maxLength: 200 }) }),
    );
    await fc.assert(
      fc.asyncProperty(change, async ({ key, value }) => {
        fc.pre(claims[key] !== value);
        const changed = { ...claims, [key]: value };
        const forged = `${h}.${b64urlEncode(utf8(JSON.stringify(changed)))}.${s}`;
        // Present the request the changed claims describe, so only the signature can object.
        const result = await verify(forged, {
          audience: String(changed.aud),
          method: String(changed.htm),
          path: String(changed.htu),
          now: Number(changed.iat) * 1000,
        });
        expect(result.ok).toBe(false);
        expect(result.ok ? null : result.code).toBe(key === "v" ? "malformed" : "bad_signature");
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a single changed character anywhere in the header value", async () => {
    const jws = await sign();
    expect((await verify(jws)).ok).toBe(true);
    const replacement = fc.oneof(fc.constantFrom(...BASE64URL_ALPHABET, "."), fc.string({ unit: "binary", minLength: 1, maxLength: 1 }));
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: jws.length - 1 }), replacement, async (i, c) => {
        fc.pre(jws[i] !== c);
        const changed = jws.slice(0, i) + c + jws.slice(i + 1);
        fc.pre(sendable(changed)); // what HTTP cannot carry never reaches the verifier
        const result = await verify(changed);
        expect(result.ok).toBe(false);
      }),
      { numRuns: 600 },
    );
  });

  it("refuses every other character at the end of each part (base64url leftover bits)", async () => {
    const jws = await sign();
    const parts = jws.split(".");
    const ends = parts.map((_, k) => parts.slice(0, k + 1).join(".").length - 1);
    for (const i of ends) {
      const results = await Promise.all(
        [...BASE64URL_ALPHABET].filter((c) => c !== jws[i]).map((c) => verify(jws.slice(0, i) + c + jws.slice(i + 1))),
      );
      for (const r of results) expect(r.ok).toBe(false);
    }
  });
});

describe("signed request: time window", () => {
  it("is exact at both ends", async () => {
    const jws = await sign({ lifetime: 30 });
    const iat = Math.floor(T0 / 1000);
    const exp = iat + 30;
    expect((await verify(jws, { now: exp * 1000 + 5_000 - 1 })).ok).toBe(true);
    await expectCode(verify(jws, { now: exp * 1000 + 5_000 }), "expired");
    await expectCode(verify(jws, { now: iat * 1000 - 5_000 - 1 }), "issued_in_future");
    expect((await verify(jws, { now: iat * 1000 - 5_000 })).ok).toBe(true);
  });

  it("defaults to 30 s and refuses a lifetime outside 1..60 s when signing", async () => {
    const claims = decodePart((await sign()).split(".")[1]!);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(30);
    await expect(sign({ lifetime: 60 })).resolves.toBeTypeOf("string");
    for (const lifetime of [61, 3600, 0, -1]) await expect(sign({ lifetime })).rejects.toThrow();
  });

  it("refuses a forged lifetime over 60 s, or an expiry not after issue, as malformed", async () => {
    const good = decodePart((await sign()).split(".")[1]!);
    const iat = Number(good.iat);
    for (const exp of [iat + 61, iat + 86_400, iat, iat - 1]) {
      const forged = await forge({ kid: ring.current.kid, typ: REQUEST_TYP }, { ...good, exp });
      await expectCode(verify(forged, { now: iat * 1000 }), "malformed");
    }
    const ok = await forge({ kid: ring.current.kid, typ: REQUEST_TYP }, { ...good, exp: iat + 60 });
    expect((await verify(ok, { now: iat * 1000 })).ok).toBe(true);
  });
});

describe("signed request: replay", () => {
  it("accepts a request once, then refuses it as replayed", async () => {
    const jws = await sign();
    const replay = new MemoryReplayStore(() => T0);
    expect((await verify(jws, { replay })).ok).toBe(true);
    await expectCode(verify(jws, { replay }), "replayed");
    await expectCode(verify(jws, { replay, now: T0 + 20_000 }), "replayed");
    // A different request id is a different request.
    expect((await verify(await sign({ jti: "another-request-id-0001" }), { replay })).ok).toBe(true);
  });

  it("does not use up the id of a refused request", async () => {
    const jws = await sign();
    const replay = new MemoryReplayStore(() => T0);
    await expectCode(verify(jws, { replay, body: "tampered" }), "body_mismatch");
    await expectCode(verify(jws, { replay, audience: "kakao" }), "wrong_audience");
    await expectCode(verify(jws, { replay, method: "GET" }), "wrong_audience");
    await expectCode(verify(jws, { replay, now: T0 - 10_000 }), "issued_in_future");
    expect((await verify(jws, { replay })).ok).toBe(true);
    await expectCode(verify(jws, { replay }), "replayed");
  });

  it("keeps the id at least until the request expires", async () => {
    let now = T0;
    const replay = new MemoryReplayStore(() => now);
    const jws = await sign({ lifetime: 10 });
    expect((await verify(jws, { replay, now })).ok).toBe(true);
    const exp = (Math.floor(T0 / 1000) + 10) * 1000;
    now = exp + 5_000 - 1; // last instant the request would still be accepted
    await expectCode(verify(jws, { replay, now }), "replayed");
    now = exp + 5_000;
    await expectCode(verify(jws, { replay, now }), "expired");
  });
});

describe("signed request: refusals", () => {
  it("wrong audience", async () => {
    await expectCode(verify(await sign({ audience: "registry" }), { audience: "naver" }), "wrong_audience");
  });

  it("missing header", async () => {
    await expectCode(verify(null), "missing");
    await expectCode(verify(""), "missing");
  });

  it("key not in the pinned JWKS, or another key with the pinned kid", async () => {
    const stranger = await generatePartyKey("sig");
    const jws = (await signRequest({ key: stranger, ...BASE }))[SIGNATURE_HEADER]!;
    await expectCode(verify(jws), "bad_signature");
    const sameKid = await signRequest({ key: { ...stranger, kid: ring.current.kid }, ...BASE });
    await expectCode(verify(sameKid[SIGNATURE_HEADER]!), "bad_signature");
    // The next and retired keys are pinned too.
    expect((await verify((await signRequest({ key: ring.next, ...BASE }))[SIGNATURE_HEADER]!)).ok).toBe(true);
  });

  it("checks the signature before the target, so a forger learns nothing", async () => {
    const stranger = await generatePartyKey("sig");
    const jws = await forge({ kid: ring.current.kid, typ: REQUEST_TYP }, decodePart((await sign({ audience: "registry" })).split(".")[1]!), stranger);
    await expectCode(verify(jws), "bad_signature");
  });

  it("malformed signatures", async () => {
    const good = await sign();
    const [h, p, s] = good.split(".") as [string, string, string];
    const claims = decodePart(p);
    const header = { kid: ring.current.kid, typ: REQUEST_TYP };
    const cases: string[] = [
      "x",
      `${h}.${p}`,
      `${h}.${p}.${s}.x`,
      `${h}..${s}`,
      `.${p}.${s}`,
      `${b64urlEncode(utf8('{"alg":"none","kid":"x","typ":"kp-request+jws"}'))}.${p}.`,
      `${h}.${b64urlEncode(utf8("not json"))}.${s}`,
      `${h}.${p}.${s}${"A".repeat(8192)}`,
      await forge({ kid: ring.current.kid, typ: "JWT" }, claims),
      await forge({ kid: ring.current.kid, typ: REQUEST_TYP, extra: 1 }, claims),
      await forge({ typ: REQUEST_TYP }, claims),
      await forge(header, { ...claims, extra: "x" }),
      await forge(header, { ...claims, jti: "short" }),
      await forge(header, { ...claims, case: "has space" }),
      await forge(header, { ...claims, htu: "no-leading-slash" }),
      await forge(header, { ...claims, htm: "post" }),
      await forge(header, { ...claims, iat: 1.5 }),
      await forge(header, { ...claims, purpose: "" }),
      await forge(header, (({ inv: _inv, ...rest }) => rest)(claims)),
    ];
    for (const jws of cases) await expectCode(verify(jws), "malformed");
  });

  it("produces every error code, each a 4xx", async () => {
    const replay = new MemoryReplayStore(() => T0);
    const jws = await sign();
    await verify(jws, { replay });
    const stranger = await generatePartyKey("sig");
    const scenarios: [SignedRequestErrorCode, Promise<{ ok: boolean; code?: string }>][] = [
      ["missing", verify(null)],
      ["malformed", verify("a.b")],
      ["bad_signature", verify((await signRequest({ key: stranger, ...BASE }))[SIGNATURE_HEADER]!)],
      ["wrong_audience", verify(jws, { audience: "kakao" })],
      ["expired", verify(jws, { now: T0 + 3_600_000 })],
      ["issued_in_future", verify(jws, { now: T0 - 3_600_000 })],
      ["body_mismatch", verify(jws, { body: "x" })],
      ["replayed", verify(jws, { replay })],
    ];
    for (const [code, result] of scenarios) await expectCode(result, code);
    expect(scenarios.map(([c]) => c).sort()).toEqual([...CODES].sort());
    for (const code of CODES) {
      expect(SIGNED_REQUEST_STATUS[code]).toBeGreaterThanOrEqual(400);
      expect(SIGNED_REQUEST_STATUS[code]).toBeLessThan(500);
    }
    expect(SIGNED_REQUEST_STATUS.replayed).toBe(409);
    expect(SIGNED_REQUEST_STATUS.wrong_audience).toBe(403);
  });
});
