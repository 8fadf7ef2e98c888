// R-U4, R-I2: a minted token verifies with the shared codec, lives 15 s
// (+ skew), opens only at this issuer to its user, and the per-user rate
// limit holds under concurrent requests.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CLOCK_SKEW_MS, HOUR, TOKEN_TTL_MS, parseJwks, parseKeyRing, publishedJwks, rotateKeyRing, verifyToken, type Jwks } from "@kipass/shared";
import { app } from "../src/index.js";
import { vaultOf } from "../src/tokens/day-key-vault.js";
import { bestMask, formatBits, qrSvg } from "../src/tokens/qr-svg.js";
import { MAX_PER_HOUR, MIN_GAP_MS, userTokensOf } from "../src/tokens/user-tokens.js";
import { fromHex, newUserRef, toHex } from "../src/user-ref.js";
import { BASE, call, enrol, mint } from "./wallet-client.js";

const jwks = async (): Promise<Jwks> => parseJwks(await (await call("/.well-known/jwks.json")).json())!;

describe("token endpoint", () => {
  it("answers { qr, expiresAt, svg } with a token the shared codec accepts for 15 s plus skew", async () => {
    const device = await enrol();
    const res = await mint(device.credential);
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const token = (await res.json()) as { qr: string; issuedAt: number; expiresAt: number; svg: string };
    expect(token.expiresAt - token.issuedAt).toBe(TOKEN_TTL_MS);
    expect(token.svg).toMatch(/^<svg[^>]*viewBox/);
    expect(token.qr.length).toBeLessThanOrEqual(221); // QR version 8 at level M

    const trust = { naver: await jwks() };
    const ok = await verifyToken(token.qr, trust, token.issuedAt + 1000);
    expect(ok).toMatchObject({ ok: true, issuer: "naver", expiresAt: token.expiresAt });
    expect(await verifyToken(token.qr, trust, token.expiresAt + CLOCK_SKEW_MS - 1)).toMatchObject({ ok: true });
    expect(await verifyToken(token.qr, trust, token.expiresAt + CLOCK_SKEW_MS)).toMatchObject({ ok: false, code: "expired" });
    expect(await verifyToken(token.qr, { kakao: trust.naver }, token.issuedAt)).toMatchObject({ ok: false, code: "unknown_issuer" });
  });

  it("seals a handle only this issuer opens, to the user and a per-user nonce that grows", async () => {
    const ref = newUserRef();
    const stub = userTokensOf(env, ref);
    const t0 = Date.now();
    const a = await stub.mint(ref, t0);
    const b = await stub.mint(ref, t0 + MIN_GAP_MS);
    if (!a.ok || !b.ok) throw new Error("mint refused");
    const trust = { naver: await jwks() };
    const va = await verifyToken(a.qr, trust, t0);
    const vb = await verifyToken(b.qr, trust, t0 + MIN_GAP_MS);
    if (!va.ok || !vb.ok) throw new Error("token does not verify");
    expect(va.jti).not.toBe(vb.jti);
    const ha = await vaultOf(env).open("naver", va.sealed, va.issuedAt, t0);
    const hb = await vaultOf(env).open("naver", vb.sealed, vb.issuedAt, t0);
    expect(ha && toHex(ha.userRef)).toBe(ref);
    expect(hb!.nonce).toBe(ha!.nonce + 1);
    expect(await vaultOf(env).open("kakao", va.sealed, va.issuedAt, t0)).toBeNull();
  });
});

describe("rate limit (2 s apart, 60 an hour)", () => {
  it("lets exactly one of many concurrent requests for one user through", async () => {
    const device = await enrol();
    const answers = await Promise.all(Array.from({ length: 12 }, () => mint(device.credential)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(11);
    const refused = answers.find((r) => r.status === 429)!;
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ error: { code: "rate_limited" } });
  });

  it("does not slow down another user", async () => {
    const [a, b] = await Promise.all([enrol(), enrol()]);
    const [ra, rb] = await Promise.all([mint(a.credential), mint(b.credential)]);
    expect([ra.status, rb.status]).toEqual([201, 201]);
  });

  it("caps a user at 60 tokens per rolling hour", async () => {
    const ref = newUserRef();
    const stub = userTokensOf(env, ref);
    const t0 = Date.now();
    for (let i = 0; i < MAX_PER_HOUR; i++) expect((await stub.mint(ref, t0 + i * MIN_GAP_MS)).ok).toBe(true);
    const over = await stub.mint(ref, t0 + MAX_PER_HOUR * MIN_GAP_MS);
    expect(over).toMatchObject({ ok: false, code: "rate_limited" });
    expect((await stub.mint(ref, t0 + HOUR + 1)).ok).toBe(true);
  });
});

describe("keys (R-I2)", () => {
  it("keeps a token signed before a rotation verifiable against the rotated JWKS", async () => {
    const device = await enrol();
    const token = (await (await mint(device.credential)).json()) as { qr: string; issuedAt: number };
    const rotated = await rotateKeyRing(parseKeyRing(env.SIGNING_KEYS, "SIGNING_KEYS"));
    const res = await app.fetch(new Request(`${BASE}/.well-known/jwks.json`), { ...env, SIGNING_KEYS: JSON.stringify(rotated) });
    const after = parseJwks(await res.json())!;
    expect(after).toEqual(publishedJwks(rotated));
    expect(await verifyToken(token.qr, { naver: after }, token.issuedAt + 1000)).toMatchObject({ ok: true });
  });
});

// fromHex is the inverse of toHex (the user reference round-trips through D1 and the DO name).
it("round-trips a user reference", () => {
  const ref = newUserRef();
  expect(toHex(fromHex(ref))).toBe(ref);
});

describe("QR picture", () => {
  it("encodes the token text exactly, as one alphanumeric segment at version 8", async () => {
    const QRCode = (await import("qrcode")).default;
    const device = await enrol();
    const { qr, svg } = (await (await mint(device.credential)).json()) as { qr: string; svg: string };
    const expected = await QRCode.toString(qr, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
    expect(svg).toBe(expected); // same modules as the library's own segmentation
    expect(QRCode.create(qr, { errorCorrectionLevel: "M" }).version).toBe(8);
  });

  it("draws, for 100 random tokens, the library's own picture: the mask its penalty search chooses, applied to the same modules", async () => {
    const QRCode = (await import("qrcode")).default;
    const BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    const seen = new Set<number>();
    for (let n = 0; n < 100; n++) {
      const random = crypto.getRandomValues(new Uint8Array(197));
      const token = "KP1:" + Array.from(random, (b) => BASE45[b % 45]).join("");
      const segments = [{ data: token, mode: "alphanumeric" as const }];
      const library = QRCode.create(segments, { errorCorrectionLevel: "M" }).maskPattern;
      expect(bestMask(QRCode.create(segments, { errorCorrectionLevel: "M", maskPattern: 0 }).modules)).toBe(library);
      expect(qrSvg(token)).toBe(await QRCode.toString(token, { type: "svg", errorCorrectionLevel: "M", margin: 2 }));
      seen.add(library ?? -1);
    }
    expect(seen.size).toBeGreaterThan(3); // the comparison covered several masks, not one
  });

  it("writes the standard's format information for level M", () => {
    // ISO/IEC 18004 table C.1, level M, masks 0–7.
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(formatBits)).toEqual([0x5412, 0x5125, 0x5e7c, 0x5b4b, 0x45f9, 0x40ce, 0x4f97, 0x4aa0]);
  });
});
