/**
 * Size goal (architecture: "the QR fits version 8 at error-correction level M"):
 * encode real tokens with an independent QR encoder and measure.
 */
import QRCode from "qrcode";
import { describe, expect, it } from "vitest";
import { KID_LENGTH, generateKeyRing, generatePartyKey, importPartyKey } from "../src/keys.js";
import { mintToken, sealHandle } from "../src/token.js";
import { QR_ALPHANUMERIC, T0, issuerFixture, newAesKey, someHandle } from "./helpers.js";

/** Token length from the layout: "KP1:" + base45(2 + issuer + kid + 4 + 48 + 64 bytes). */
const expectedLength = (issuerLen: number, kidLen: number) => {
  const n = 2 + issuerLen + kidLen + 4 + 48 + 64;
  return 4 + 3 * Math.floor(n / 2) + 2 * (n % 2);
};

function measure(qr: string) {
  const auto = QRCode.create(qr, { errorCorrectionLevel: "M" });
  const single = QRCode.create([{ data: qr, mode: "alphanumeric" }], { errorCorrectionLevel: "M" });
  return { auto: auto.version, single: single.version, modes: auto.segments.map((s) => s.mode.id) };
}

describe("QR size", () => {
  it("the alphanumeric capacity of version 8-M is 221 characters", () => {
    expect(QRCode.create([{ data: "A".repeat(221), mode: "alphanumeric" }], { errorCorrectionLevel: "M" }).version).toBe(8);
    expect(QRCode.create([{ data: "A".repeat(222), mode: "alphanumeric" }], { errorCorrectionLevel: "M" }).version).toBe(9);
  });

  it.each([
    ["naver", 201],
    ["pass", 199],
    ["kakao", 201],
    ["abcdefghij-12345", 217], // longest issuer id (16)
    ["0000000000000000", 217],
  ])("%s: %i characters, version ≤ 8-M, alphanumeric mode", async (issuer, length) => {
    expect(expectedLength(issuer.length, KID_LENGTH)).toBe(length);
    const f = await issuerFixture(issuer);
    expect(f.ring.current.kid).toHaveLength(8);
    for (let i = 0; i < 10; i++) {
      const { qr } = await f.mint(someHandle(i), T0 + i * 1000);
      expect(qr).toHaveLength(length);
      expect(qr).toMatch(QR_ALPHANUMERIC);
      const m = measure(qr);
      expect(m.single).toBeLessThanOrEqual(8);
      expect(m.auto).toBeLessThanOrEqual(8);
      for (const mode of m.modes) expect(["Alphanumeric", "Numeric"]).toContain(mode);
    }
  });

  it("the real limit: issuer id + key id ≤ 26 bytes fits 8-M, 27 does not", async () => {
    const aes = await newAesKey();
    const key = await generatePartyKey("sig");
    const privateKey = await importPartyKey(key, "private");
    const mint = async (issuer: string, kid: string) =>
      (await mintToken({ issuer, kid, privateKey, sealed: await sealHandle(aes, issuer, someHandle()), now: T0 })).qr;
    const fits = await mint("a".repeat(16), "k".repeat(10));
    expect(fits).toHaveLength(220);
    expect(measure(fits).single).toBe(8);
    const over = await mint("a".repeat(16), "k".repeat(11));
    expect(over).toHaveLength(222);
    expect(measure(over).single).toBe(9);
    // The format allows 16 + 16, which would need version 9: keys must keep 8-character ids.
    expect(measure(await mint("a".repeat(16), "k".repeat(16))).single).toBe(9);
  });

  it("generated key ids are always 8 characters", async () => {
    for (let i = 0; i < 5; i++) expect((await generateKeyRing("sig")).current.kid).toHaveLength(8);
  });
});
