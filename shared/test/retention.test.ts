// R-R2, R-I1, R-O4: every record is kept at least 28 days ("4주(28일) 동안
// 저장·관리", "28일 이상 저장") and its day goes at the first KST midnight
// after the day's last record is 28 days old: the start of day + 29.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DAY, HOUR, RETENTION_DAYS, SHRED_AFTER_DAYS, addDays, expiresAt, kstDay, kstDayStart, lastExpiredDay } from "../src/index.js";

/** Any millisecond from 2020 to 2100. */
const moment = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2100, 0, 1) });

describe("retention", () => {
  it("keeps 28 days, shreds at the start of day + 29", () => {
    expect(RETENTION_DAYS).toBe(28); // window-length checks stay 28 days
    expect(SHRED_AFTER_DAYS).toBe(29);
    expect(expiresAt("2026-11-01")).toBe(kstDayStart("2026-11-30"));
    expect(lastExpiredDay("2026-11-29")).toBe("2026-10-31");
    expect(lastExpiredDay("2026-11-30")).toBe("2026-11-01");
  });

  it("keeps a 22:00 record at 23:00 on day + 28 and not at 00:00 on day + 29", () => {
    const at = kstDayStart("2026-11-01") + 22 * HOUR;
    const late = kstDayStart("2026-11-29") + 23 * HOUR;
    expect(late - at).toBe(28 * DAY + HOUR);
    expect(expiresAt(kstDay(at))).toBeGreaterThan(late);
    expect("2026-11-01" <= lastExpiredDay(kstDay(late))).toBe(false);
    expect("2026-11-01" <= lastExpiredDay(kstDay(kstDayStart("2026-11-30")))).toBe(true);
  });

  it("every moment of a day is kept more than 28 × 24 h and at most 29 × 24 h, gone at a KST midnight", () => {
    fc.assert(
      fc.property(moment, (t) => {
        const gone = expiresAt(kstDay(t));
        expect(gone - t).toBeGreaterThan(RETENTION_DAYS * DAY);
        expect(gone - t).toBeLessThanOrEqual((RETENTION_DAYS + 1) * DAY); // 29 days exactly only for a record at 00:00:00.000
        expect(kstDay(gone)).toBe(addDays(kstDay(t), 29));
        expect(kstDayStart(kstDay(gone))).toBe(gone);
        // The midnight before would cut the day's last millisecond short of 28 days.
        expect(gone - DAY - (kstDayStart(addDays(kstDay(t), 1)) - 1)).toBeLessThan(RETENTION_DAYS * DAY);
      }),
      { numRuns: 2000 },
    );
  });

  it("the vaults and the sweeps agree: a day is expired at `now` exactly when its moment has come", () => {
    fc.assert(
      fc.property(moment, moment, (record, now) => {
        const day = kstDay(record);
        expect(day <= lastExpiredDay(kstDay(now))).toBe(expiresAt(day) <= now);
      }),
      { numRuns: 2000 },
    );
    // Around the moment itself, to the millisecond.
    for (const day of ["2026-11-01", "2028-02-29", "2026-12-31"]) {
      const t = expiresAt(day);
      expect(day <= lastExpiredDay(kstDay(t - 1))).toBe(false);
      expect(day <= lastExpiredDay(kstDay(t))).toBe(true);
    }
  });
});
