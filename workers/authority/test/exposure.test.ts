// R-A4: stays are estimated from the case's own scans; the investigator's
// margins widen them into the windows searched for contacts.
import { describe, expect, it } from "vitest";
import { EXIT_SCAN_WITHIN, exposureWindows, overlapWithStay, staysOf } from "../src/trace/exposure.js";

const H = 3_600_000;
const M = { assumedStay: H, marginBefore: 0.5 * H, marginAfter: H };

describe("stays from the case's scans", () => {
  it("takes a lone scan as the start of an assumed stay", () => {
    expect(staysOf([{ facilityId: "A", at: 10 * H }], M)).toEqual([{ facilityId: "A", entry: 10 * H, exit: 11 * H, exitScanned: false }]);
  });

  it("pairs an entry and an exit scan within a few hours, and only at the same facility", () => {
    const stays = staysOf(
      [
        { facilityId: "A", at: 10 * H },
        { facilityId: "B", at: 11 * H },
        { facilityId: "A", at: 12 * H },
      ],
      M,
    );
    expect(stays).toEqual([
      { facilityId: "A", entry: 10 * H, exit: 12 * H, exitScanned: true },
      { facilityId: "B", entry: 11 * H, exit: 12 * H, exitScanned: false },
    ]);
  });

  it("treats scans further apart than the exit bound as separate visits, and a third scan as a new entry", () => {
    const t = 10 * H;
    expect(staysOf([{ facilityId: "A", at: t }, { facilityId: "A", at: t + EXIT_SCAN_WITHIN + 1 }], M).map((s) => s.exitScanned)).toEqual([false, false]);
    const three = staysOf([0, 1, 2].map((i) => ({ facilityId: "A", at: t + i * H })), M);
    expect(three.map((s) => [s.entry, s.exit, s.exitScanned])).toEqual([
      [t, t + H, true],
      [t + 2 * H, t + 3 * H, false],
    ]);
  });
});

describe("exposure windows", () => {
  it("widens each stay by the margins", () => {
    expect(exposureWindows([{ facilityId: "A", at: 10 * H }], M)).toEqual([
      { facilityId: "A", entry: 10 * H, exit: 11 * H, exitScanned: false, from: 9.5 * H, to: 12 * H },
    ]);
  });

  it("measures how long a contact's assumed stay overlapped the case's", () => {
    const stay = { facilityId: "A", entry: 10 * H, exit: 12 * H, exitScanned: true };
    expect(overlapWithStay(stay, 9.5 * H, M)).toBe(0.5 * H);
    expect(overlapWithStay(stay, 11.5 * H, M)).toBe(0.5 * H);
    expect(overlapWithStay(stay, 12.5 * H, M)).toBe(0);
  });
});
