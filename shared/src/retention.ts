/**
 * How long records live (R-R2, R-I1, R-O4, R-P1). The guide keeps them 4
 * weeks: "4주(28일) 동안 저장·관리" (l. 790), "28일 이상 저장" (l. 1027), and
 * "지난 4주간의 출입기록이 즉시 제출 가능" (l. 125). Records go by KST day (one
 * day key, one due row per day), so a day goes at once, at the first KST
 * midnight after its last record is 28 days old: the start of day + 29. Every
 * record lives 28 to 29 days; at day + 28 a 22:00 visit would have lived 27
 * days 2 hours, and a 28-day window could never be answered in full.
 *
 * No imports but the clock: the scanner UI bundles this for the paper log.
 */
import { addDays, kstDayStart } from "./clock.js";

/** R-R2: twice the 14-day incubation period. Records are kept at least this long; a window asked for spans at most this. */
export const RETENTION_DAYS = 28;

/** A day's key is destroyed and its records deleted at the start of day + SHRED_AFTER_DAYS (KST): the day after its last record is 28 days old. */
export const SHRED_AFTER_DAYS = RETENTION_DAYS + 1;

/** The moment `day`'s records and key must be gone: the start of day + 29 (KST). */
export const expiresAt = (day: string): number => kstDayStart(addDays(day, SHRED_AFTER_DAYS));

/** The last answer of lastExpiredDay (asked on every scan). */
let lastExpired = { today: "", day: "" };
/** The newest day whose keys and records must be gone on `today`: today − 29, so that `expiresAt(day) ≤ now` exactly when `day ≤ lastExpiredDay(kstDay(now))`. */
export const lastExpiredDay = (today: string): string => {
  if (lastExpired.today !== today) lastExpired = { today, day: addDays(today, -SHRED_AFTER_DAYS) };
  return lastExpired.day;
};
