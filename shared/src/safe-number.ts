/**
 * The personal safe number (개인안심번호): six characters a visitor writes on
 * a facility's paper log instead of their phone number (R-P1, R-U6). Its shape
 * is the one people knew from 2020: two digits, a Hangul syllable, two
 * digits, a Hangul syllable — "12가34나".
 *
 * Syllables: 14 plain consonants × 6 plain vowels, no final consonant (easy
 * to read and write by hand) = 84; 10⁴ × 84² = 70,560,000 codes per issuer
 * per day — comfortably above the ~20 million users of the largest issuer,
 * so random allocation that keeps codes unique per issuer and day rarely
 * needs a second try (docs/privacy.md, "Safe numbers").
 */
import { z } from "@hono/zod-openapi";
import type { Bytes } from "./bytes.js";
import { DAY, isKstDay, kstDayStart } from "./clock.js";

const INITIALS = [0, 2, 3, 5, 6, 7, 9, 11, 12, 14, 15, 16, 17, 18]; // ㄱ ㄴ ㄷ ㄹ ㅁ ㅂ ㅅ ㅇ ㅈ ㅊ ㅋ ㅌ ㅍ ㅎ
const VOWELS = [0, 4, 8, 13, 18, 20]; // ㅏ ㅓ ㅗ ㅜ ㅡ ㅣ

/** The 84 syllables a safe number uses (가, 거, 고, 구, 그, 기, 나, …). */
export const SAFE_SYLLABLES: readonly string[] = INITIALS.flatMap((i) => VOWELS.map((v) => String.fromCharCode(0xac00 + (i * 21 + v) * 28)));

/** How many distinct safe numbers exist (per issuer and day). */
export const SAFE_NUMBER_SPACE = 10_000 * SAFE_SYLLABLES.length ** 2;

const SHAPE = new RegExp(`^[0-9]{2}[${SAFE_SYLLABLES.join("")}][0-9]{2}[${SAFE_SYLLABLES.join("")}]$`);

/** "12 가-34나" → "12가34나" (spaces and dashes people add are dropped); null if it is not a safe number. */
export function normalizeSafeNumber(text: string): string | null {
  const compact = text.normalize("NFC").replace(/[\s-]/g, "");
  return SHAPE.test(compact) ? compact : null;
}

/**
 * The safe number for 6 pseudo-random bytes (at least): the bytes as a
 * 48-bit integer, reduced modulo the code space (bias below 2⁻²¹).
 */
export function safeNumberFromBytes(bytes: Bytes): string {
  if (bytes.length < 6) throw new Error("a safe number needs 6 bytes");
  let n = bytes.slice(0, 6).reduce((acc, b) => acc * 256 + b, 0) % SAFE_NUMBER_SPACE;
  const s = SAFE_SYLLABLES.length;
  const second = SAFE_SYLLABLES[n % s]!;
  n = Math.floor(n / s);
  const first = SAFE_SYLLABLES[n % s]!;
  n = Math.floor(n / s);
  const digits = String(n).padStart(4, "0");
  return `${digits.slice(0, 2)}${first}${digits.slice(2)}${second}`;
}

/** A safe number as an edge input (what people write is accepted; normalize before use). */
export const safeNumberIn = z
  .string()
  .max(20)
  .refine((s) => normalizeSafeNumber(s) !== null, "a safe number: 2 digits, a syllable, 2 digits, a syllable (12가34나)")
  .openapi({ example: "12가34나" });

/**
 * True when `from` ≤ `to` ≤ `from` + `days`, both real KST dates. Never
 * throws: zod runs an object's refinement even when a date already failed
 * its own check (e.g. "2026-13-45").
 */
export function kstDatesWithin(from: string, to: string, days: number): boolean {
  const a = kstDayStart(from);
  const b = kstDayStart(to);
  return Number.isFinite(a) && Number.isFinite(b) && a <= b && b - a <= days * DAY;
}

/** A KST calendar day "YYYY-MM-DD" that exists: the one schema for every day an edge route takes. */
export const kstDateIn = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a KST date YYYY-MM-DD")
  .refine(isKstDay, "a real date")
  .openapi({ example: "2026-11-27" });

/** The latest moment an edge input may name (2100-01-01). Date math throws past ±8.64e15 ms (year 275760); real requests end long before. */
export const EPOCH_MS_MAX = Date.UTC(2100, 0, 1);

/** A moment as an edge input: whole milliseconds since the Unix epoch, 1970 to 2100. */
export const epochMsIn = z.number().int().min(0).max(EPOCH_MS_MAX).openapi({ example: 1_795_000_000_000 });
