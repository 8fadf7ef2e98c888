/**
 * The one clock abstraction. Everything that asks "what time is it?" takes a
 * Clock, so tests can move time instead of waiting for it.
 * Times are milliseconds since the Unix epoch.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  constructor(private time: number) {}
  now(): number {
    return this.time;
  }
  set(time: number): void {
    this.time = time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Korea Standard Time is UTC+9 all year: days and hours in the guide are KST. */
const KST_OFFSET = 9 * HOUR;

/** The last day `kstDay` computed, with its bounds: the hot paths ask for today's many times per request. */
let lastDay = { start: 0, end: 0, day: "" };

/** "2026-11-27" — the KST calendar day of a moment; retention and counts go by it. */
export function kstDay(ms: number): string {
  if (ms >= lastDay.start && ms < lastDay.end) return lastDay.day;
  const day = new Date(ms + KST_OFFSET).toISOString().slice(0, 10);
  const start = kstDayStart(day);
  lastDay = { start, end: start + DAY, day };
  return day;
}

/** 0..23 — the KST hour of a moment (hourly counts, R-F8). */
export function kstHour(ms: number): number {
  return new Date(ms + KST_OFFSET).getUTCHours();
}

/** The moment a KST day starts (NaN if `day` is no date: check input with `isKstDay`). */
export function kstDayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) - KST_OFFSET;
}

/**
 * True when `text` is "YYYY-MM-DD" naming a real calendar day. The round
 * trip refuses what Date.parse rolls over ("2026-02-30" is 2 March) or
 * cannot read ("2026-12-99"); never throws, as zod refinements must not.
 */
export function isKstDay(text: string): boolean {
  const start = kstDayStart(text);
  return Number.isFinite(start) && kstDay(start) === text;
}

/** The KST day `n` days after `day` (n may be negative). */
export function addDays(day: string, n: number): string {
  return kstDay(kstDayStart(day) + n * DAY);
}
