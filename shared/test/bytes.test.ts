import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromBase64url, toBase64url } from "../src/bytes.js";
import { BASE64URL_ALPHABET, b64urlEncode, bytes, toHex } from "./helpers.js";

describe("base64url (RFC 4648 §5, unpadded)", () => {
  it.each([
    ["", ""],
    ["f", "Zg"],
    ["fo", "Zm8"],
    ["foo", "Zm9v"],
    ["foob", "Zm9vYg"],
    ["fooba", "Zm9vYmE"],
    ["foobar", "Zm9vYmFy"], // §10 vectors, padding dropped
  ])("%j ⇄ %j", (text, encoded) => {
    expect(toBase64url(new TextEncoder().encode(text))).toBe(encoded);
    expect(new TextDecoder().decode(fromBase64url(encoded)!)).toBe(text);
  });

  it("agrees with the platform's btoa and round-trips any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (raw) => {
        const data = bytes(raw);
        const text = toBase64url(data);
        expect(text).toBe(b64urlEncode(data));
        expect(toHex(fromBase64url(text)!)).toBe(toHex(data));
      }),
      { numRuns: 500 },
    );
  });

  it("uses the URL-safe characters for 62 and 63", () => {
    expect(toBase64url(Uint8Array.of(0xfb, 0xff))).toBe("-_8");
    expect(fromBase64url("+/8")).toBeNull();
  });

  it("refuses any character outside the alphabet, wherever it stands", () => {
    const outside = fc.string({ minLength: 1, maxLength: 1, unit: "binary" }).filter((c) => !BASE64URL_ALPHABET.includes(c));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 3, maxLength: 60 }), outside, fc.nat(), (raw, c, at) => {
        const text = toBase64url(bytes(raw));
        const i = at % text.length;
        expect(fromBase64url(text.slice(0, i) + c + text.slice(i + 1))).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it("refuses an impossible length and non-canonical leftover bits", () => {
    expect(fromBase64url("Zm9vY")).toBeNull(); // 5 characters: 30 bits, not a whole byte
    expect(fromBase64url("Zh")).toBeNull(); // "f" is "Zg": the last 4 bits must be zero
    expect(fromBase64url("Zm9")).toBeNull(); // "fo" is "Zm8": the last 2 bits must be zero
    expect(fromBase64url("Zm8")).not.toBeNull();
  });
});
