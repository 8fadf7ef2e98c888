import { describe, expect, it } from "vitest";
import { ManualClock, addDays, isKstDay, kstDay, kstDayStart, kstHour } from "../src/index.js";

describe("KST days and hours", () => {
  it("puts 14:59:59 UTC on the same KST day and 15:00 UTC on the next", () => {
    expect(kstDay(Date.parse("2026-11-27T14:59:59.999Z"))).toBe("2026-11-27");
    expect(kstDay(Date.parse("2026-11-27T15:00:00Z"))).toBe("2026-11-28");
    expect(kstHour(Date.parse("2026-11-27T15:00:00Z"))).toBe(0);
    expect(kstHour(Date.parse("2026-11-27T13:30:00Z"))).toBe(22);
  });

  it("answers like a fresh computation for moments in any order (it keeps the last day it computed)", () => {
    const fresh = (ms: number) => new Date(ms + 9 * 3_600_000).toISOString().slice(0, 10);
    const edge = Date.parse("2026-11-27T15:00:00Z");
    const moments = [edge - 1, edge, edge - 1, edge + 1, edge - 86_400_000, edge - 86_400_001, edge + 86_399_999, edge + 86_400_000];
    for (let i = 0; i < 2000; i++) moments.push(edge + Math.round((Math.random() - 0.5) * 10 * 86_400_000));
    for (const ms of moments) expect(kstDay(ms)).toBe(fresh(ms));
  });

  it("starts a KST day at 15:00 UTC the day before and counts days across months", () => {
    expect(new Date(kstDayStart("2026-12-01")).toISOString()).toBe("2026-11-30T15:00:00.000Z");
    expect(addDays("2026-12-01", -28)).toBe("2026-11-03");
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
  });

  it("knows which strings are real days, without throwing on the rest", () => {
    for (const ok of ["2026-11-27", "2028-02-29", "1970-01-01", "0000-01-01", "9999-12-31"]) expect(isKstDay(ok), ok).toBe(true);
    // Date.parse rolls "2026-02-30" over to 2 March and reads "2026-12-99" as NaN.
    for (const bad of ["2026-02-30", "2027-02-29", "2026-04-31", "2026-12-99", "2026-13-01", "2026-1-1", "+02026-01-01", "2026-11-27T00:00", "", "27 Nov"]) {
      expect(isKstDay(bad), bad).toBe(false);
    }
  });

  it("lets tests move time", () => {
    const clock = new ManualClock(1_000);
    clock.advance(14_999);
    expect(clock.now()).toBe(15_999);
  });
});
