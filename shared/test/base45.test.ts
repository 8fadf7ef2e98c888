import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase45, encodeBase45 } from "../src/base45.js";
import { BASE45_ALPHABET, QR_ALPHANUMERIC, bytes, referenceBase45, toHex, utf8 } from "./helpers.js";

const ascii = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));
const alphabetChar = fc.constantFrom(...BASE45_ALPHABET);
const b45String = (minLength: number, maxLength: number) => fc.string({ unit: alphabetChar, minLength, maxLength });
/** Value of a group, least significant character first (RFC 9285 §4.2). */
const groupValue = (g: string) => [...g].reduceRight((n, c) => n * 45 + BASE45_ALPHABET.indexOf(c), 0);

describe("base45 (RFC 9285)", () => {
  it.each([
    ["AB", "BB8"], // §4.3
    ["Hello!!", "%69 VD92EX0"], // §4.3
    ["base-45", "UJCLQE7W581"], // §4.3
    ["ietf!", "QED8WEX0"], // §4.4
    ["", ""],
  ])("%j ⇄ %j", (text, encoded) => {
    expect(encodeBase45(utf8(text))).toBe(encoded);
    expect(ascii(decodeBase45(encoded))).toBe(text);
  });

  it("agrees with an independent encoder and round-trips any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (raw) => {
        const data = bytes(raw);
        const text = encodeBase45(data);
        expect(text).toBe(referenceBase45(data));
        expect(text).toMatch(QR_ALPHANUMERIC);
        expect(text.length).toBe(3 * Math.floor(data.length / 2) + 2 * (data.length % 2));
        const back = decodeBase45(text);
        expect(back).not.toBeNull();
        expect(toHex(back!)).toBe(toHex(data));
      }),
      { numRuns: 500 },
    );
  });

  it("decodes the largest canonical groups and refuses one more", () => {
    expect(toHex(decodeBase45("FGW")!)).toBe("ffff"); // 15 + 16·45 + 32·45² = 65535
    expect(decodeBase45("GGW")).toBeNull(); // 65536 (the RFC's own invalid example)
    expect(toHex(decodeBase45("U5")!)).toBe("ff"); // 30 + 5·45 = 255
    expect(decodeBase45("V5")).toBeNull(); // 256
    expect(decodeBase45(":::")).toBeNull(); // 91124
    expect(decodeBase45("::")).toBeNull(); // 2024
  });

  it("refuses any triple worth more than 65535", () => {
    const bigTriple = b45String(3, 3).filter((g) => groupValue(g) > 0xffff);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), bigTriple, fc.uint8Array({ maxLength: 20 }), (pre, g, post) => {
        const even = (a: Uint8Array) => bytes(a.slice(0, a.length - (a.length % 2)));
        expect(decodeBase45(encodeBase45(even(pre)) + g + encodeBase45(bytes(post)))).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it("refuses any trailing pair worth more than 255", () => {
    const bigPair = b45String(2, 2).filter((g) => groupValue(g) > 0xff);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), bigPair, (pre, g) => {
        const even = bytes(pre.slice(0, pre.length - (pre.length % 2)));
        expect(decodeBase45(encodeBase45(even) + g)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a length ≡ 1 (mod 3)", () => {
    fc.assert(
      fc.property(b45String(0, 90), alphabetChar, (s, c) => {
        const text = s.slice(0, s.length - (s.length % 3)) + c;
        expect(text.length % 3).toBe(1);
        expect(decodeBase45(text)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it("refuses any character outside the alphabet", () => {
    const foreign = fc.string({ unit: "binary", minLength: 1, maxLength: 1 }).filter((c) => !BASE45_ALPHABET.includes(c));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(), foreign, (raw, at, c) => {
        const text = encodeBase45(bytes(raw));
        const i = at % text.length;
        expect(decodeBase45(text.slice(0, i) + c + text.slice(i + 1))).toBeNull();
      }),
      { numRuns: 300 },
    );
    for (const c of "abcxyz#&=_,;!?\t\n\u00a0\u3000한") expect(decodeBase45(`BB${c}`)).toBeNull();
  });

  it("is canonical: every string that decodes is the encoding of what it decodes to", () => {
    fc.assert(
      fc.property(b45String(0, 60), (text) => {
        const data = decodeBase45(text);
        if (data !== null) expect(encodeBase45(data)).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });
});
