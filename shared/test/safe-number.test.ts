// R-P1, R-U6: the safe number a visitor writes on a paper log — its shape
// (12가34나), every code reachable, and what people write by hand accepted.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SAFE_NUMBER_SPACE, SAFE_SYLLABLES, kstDateIn, kstDatesWithin, normalizeSafeNumber, safeNumberFromBytes, safeNumberIn } from "../src/index.js";

const bytes6 = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => new Uint8Array(b));

describe("safe numbers", () => {
  it("uses 84 distinct open syllables a person can write by hand: 70,560,000 codes", () => {
    expect(new Set(SAFE_SYLLABLES).size).toBe(84);
    expect(SAFE_SYLLABLES.slice(0, 6)).toEqual(["가", "거", "고", "구", "그", "기"]);
    expect(SAFE_SYLLABLES).toContain("하");
    // No final consonant (받침): (code − 0xAC00) % 28 === 0.
    for (const s of SAFE_SYLLABLES) expect((s.charCodeAt(0) - 0xac00) % 28).toBe(0);
    expect(SAFE_NUMBER_SPACE).toBe(70_560_000);
  });

  it("derives two digits, a syllable, two digits, a syllable from any 6 bytes, and it reads back as itself", () => {
    fc.assert(
      fc.property(bytes6, (b) => {
        const code = safeNumberFromBytes(b);
        expect(code).toMatch(/^[0-9]{2}[가-힣][0-9]{2}[가-힣]$/);
        expect(normalizeSafeNumber(code)).toBe(code);
      }),
    );
  });

  it("reaches both ends of the code space", () => {
    expect(safeNumberFromBytes(new Uint8Array(6))).toBe("00가00가");
    const last = SAFE_SYLLABLES[83]!;
    // SAFE_NUMBER_SPACE − 1 as 6 big-endian bytes.
    const n = SAFE_NUMBER_SPACE - 1;
    const b = new Uint8Array(6).map((_, i) => Math.floor(n / 256 ** (5 - i)) % 256);
    expect(safeNumberFromBytes(b)).toBe(`99${last}99${last}`);
  });

  it("accepts what people write (spaces, dashes) and refuses anything else", () => {
    expect(normalizeSafeNumber("12 가-34나")).toBe("12가34나");
    expect(normalizeSafeNumber("12가34나")).toBe("12가34나");
    for (const bad of ["", "1가34나", "12가345나", "12각34나", "12A34B", "010-1234-5678", "12가34나5", "가12나34"]) {
      expect(normalizeSafeNumber(bad), bad).toBeNull();
    }
  });

  it("checks them at the edge, with the date written on the paper", () => {
    expect(safeNumberIn.safeParse("12 가34나").success).toBe(true);
    expect(safeNumberIn.safeParse("010-1234-5678").success).toBe(false);
    for (const ok of ["2026-11-27", "2028-02-29"]) expect(kstDateIn.safeParse(ok).success, ok).toBe(true);
    for (const bad of ["2026-02-30", "2027-02-29", "2026-13-01", "27 Nov", "2026-11-27T00:00"]) expect(kstDateIn.safeParse(bad).success, bad).toBe(false);
  });

  it("checks a paper log's date range without throwing on a date that is not one", () => {
    expect(kstDatesWithin("2026-11-01", "2026-11-29", 28)).toBe(true);
    expect(kstDatesWithin("2026-11-01", "2026-11-30", 28)).toBe(false);
    expect(kstDatesWithin("2026-11-02", "2026-11-01", 28)).toBe(false);
    // Found by the authority's fuzz test: the range check ran on "2026-13-45" and threw (a 500).
    for (const bad of ["2026-13-45", "0000-00-00", "9999-99-99"]) expect(kstDatesWithin(bad, "2026-11-01", 28), bad).toBe(false);
  });
});
