import { describe, expect, it } from "vitest";
import { ManualClock, addDays, kstDay, kstDayStart, kstHour } from "../src/index.js";

describe("KST days and hours", () => {
  it("puts 14:59:59 UTC on the same KST day and 15:00 UTC on the next", () => {
    expect(kstDay(Date.parse("2026-11-27T14:59:59.999Z"))).toBe("2026-11-27");
    expect(kstDay(Date.parse("2026-11-27T15:00:00Z"))).toBe("2026-11-28");
    expect(kstHour(Date.parse("2026-11-27T15:00:00Z"))).toBe(0);
    expect(kstHour(Date.parse("2026-11-27T13:30:00Z"))).toBe(22);
  });

  it("starts a KST day at 15:00 UTC the day before and counts days across months", () => {
    expect(new Date(kstDayStart("2026-12-01")).toISOString()).toBe("2026-11-30T15:00:00.000Z");
    expect(addDays("2026-12-01", -28)).toBe("2026-11-03");
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
  });

  it("lets tests move time", () => {
    const clock = new ManualClock(1_000);
    clock.advance(14_999);
    expect(clock.now()).toBe(15_999);
  });
});
