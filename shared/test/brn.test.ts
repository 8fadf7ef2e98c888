import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatBusinessNumber, isValidBusinessNumber, normalizeBusinessNumber } from "../src/brn.js";

/** Real, published registration numbers (Samsung Electronics, Naver, Kakao). */
const KNOWN = ["124-81-00998", "220-81-62517", "120-81-47521"] as const;
const digitsOf = (brn: string) => brn.replace(/-/g, "");

/** Every number that differs from `digits` in exactly one position. */
function singleDigitChanges(digits: string): { position: number; changed: string }[] {
  const out: { position: number; changed: string }[] = [];
  for (let position = 0; position < digits.length; position++) {
    for (let d = 0; d <= 9; d++) {
      if (String(d) === digits[position]) continue;
      out.push({ position, changed: digits.slice(0, position) + d + digits.slice(position + 1) });
    }
  }
  return out;
}

describe("business registration number (사업자등록번호)", () => {
  it.each(KNOWN)("%s is valid with and without dashes", (brn) => {
    expect(isValidBusinessNumber(brn)).toBe(true);
    expect(isValidBusinessNumber(digitsOf(brn))).toBe(true);
    expect(normalizeBusinessNumber(brn)).toBe(digitsOf(brn));
    expect(formatBusinessNumber(digitsOf(brn))).toBe(brn);
  });

  it.each(KNOWN)("every single-digit change of %s is invalid (all 90, every position)", (brn) => {
    const changes = singleDigitChanges(digitsOf(brn));
    expect(changes).toHaveLength(90);
    for (const { changed } of changes) {
      expect(isValidBusinessNumber(changed)).toBe(false);
      expect(isValidBusinessNumber(formatBusinessNumber(changed))).toBe(false);
    }
  });

  it("exactly one check digit makes any nine digits valid", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{9}$/), (nine) => {
        const valid = [..."0123456789"].filter((c) => isValidBusinessNumber(nine + c));
        expect(valid).toHaveLength(1);
        // …so any single-digit change of a valid number is invalid, whatever the number.
        for (const { changed } of singleDigitChanges(nine + valid[0]!)) expect(isValidBusinessNumber(changed)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it("refuses wrong lengths, letters and stray characters", () => {
    const ok = "1248100998";
    const bad = [
      "",
      ok.slice(0, 9),
      ok + "0",
      "124-81-0099",
      "124-81-009980",
      "12A8100998",
      "124-81-0O998",
      "124 81 00998",
      "124.81.00998",
      "124--81-00998",
      "+124810099",
      "-124810099",
      "１２４８１００９９８", // full-width digits
      "124-81-00998x",
      "0x1248100998",
    ];
    for (const input of bad) {
      expect(isValidBusinessNumber(input)).toBe(false);
      expect(normalizeBusinessNumber(input)).toBeNull();
    }
  });

  it("normalises surrounding whitespace only", () => {
    expect(normalizeBusinessNumber(" 124-81-00998\n")).toBe("1248100998");
    expect(isValidBusinessNumber("\t1248100998 ")).toBe(true);
  });
});
