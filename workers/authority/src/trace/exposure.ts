/**
 * Exposure windows (R-A4). Stay time is not recorded; it is estimated from
 * the case's own scans: two scans of the case at one facility within
 * EXIT_SCAN_WITHIN bound a stay (entry, then the optional exit scan);
 * a lone scan is taken to start a stay of `assumedStay`. The investigator's
 * margins widen each stay into the window searched for contacts: someone who
 * arrived `marginBefore` before the case, or up to `marginAfter` after the
 * case left, was there at the same time or soon after.
 */
import { HOUR, MINUTE } from "@kipass/shared";

/** Two scans of the case at one facility this close are an entry and an exit. */
export const EXIT_SCAN_WITHIN = 4 * HOUR;

export interface Margins {
  /** Length of a stay with no exit scan. Default 1 h: a meal, a class, a PC-bang session. */
  assumedStay: number;
  /** Widen the window before the case's entry. Default 30 min. */
  marginBefore: number;
  /** Widen the window after the case left. Default 1 h: air stays infectious after a case leaves. */
  marginAfter: number;
}

export const DEFAULT_MARGINS: Margins = { assumedStay: HOUR, marginBefore: 30 * MINUTE, marginAfter: HOUR };

export interface CaseVisit {
  facilityId: string;
  at: number;
}

export interface Stay {
  facilityId: string;
  entry: number;
  /** The exit scan, or entry + assumed stay. */
  exit: number;
  exitScanned: boolean;
}

export interface ExposureWindow extends Stay {
  from: number;
  to: number;
}

/** Pairs the case's scans into stays, per facility, in time order. */
export function staysOf(visits: readonly CaseVisit[], margins: Margins): Stay[] {
  const byFacility = new Map<string, number[]>();
  for (const v of visits) byFacility.set(v.facilityId, [...(byFacility.get(v.facilityId) ?? []), v.at]);
  const stays: Stay[] = [];
  for (const [facilityId, times] of byFacility) {
    times.sort((a, b) => a - b);
    for (let i = 0; i < times.length; i++) {
      const entry = times[i]!;
      const next = times[i + 1];
      if (next !== undefined && next - entry <= EXIT_SCAN_WITHIN) {
        stays.push({ facilityId, entry, exit: next, exitScanned: true });
        i++; // the exit scan is used up
      } else {
        stays.push({ facilityId, entry, exit: entry + margins.assumedStay, exitScanned: false });
      }
    }
  }
  return stays.sort((a, b) => a.entry - b.entry || a.facilityId.localeCompare(b.facilityId));
}

export function exposureWindows(visits: readonly CaseVisit[], margins: Margins): ExposureWindow[] {
  return staysOf(visits, margins).map((s) => ({ ...s, from: s.entry - margins.marginBefore, to: s.exit + margins.marginAfter }));
}

/**
 * How long a contact scanned at `scannedAt` (staying `assumedStay`) overlapped
 * the case's stay, in ms; 0 when they only shared the margins.
 */
export function overlapWithStay(stay: Stay, scannedAt: number, margins: Margins): number {
  const start = Math.max(stay.entry, scannedAt);
  const end = Math.min(stay.exit, scannedAt + margins.assumedStay);
  return Math.max(0, end - start);
}
