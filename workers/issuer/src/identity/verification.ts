/**
 * Phone verification by SMS code (R-U2, and the guardian's own phone, R-U3):
 * a 6-digit code valid 3 minutes, at most 5 tries, a new code at most every
 * 30 s and 5 per hour per phone. Only keyed hashes of the phone and the code
 * are stored.
 */
import { AppError, MINUTE, HOUR, SECOND, randomBytes, toBase64url, type SmsProvider } from "@kipass/shared";
import { lookupHash, type IssuerBindings } from "../config.js";

export const CODE_TTL_MS = 3 * MINUTE;
export const MAX_ATTEMPTS = 5;
export const RESEND_AFTER_MS = 30 * SECOND;
export const MAX_SENDS_PER_HOUR = 5;
/** Codes older than an hour that each new code deletes: up to 100 old for 1 new, so any backlog drains. */
const STALE_CHUNK = 100;

export const phoneHash = (env: IssuerBindings, phone: string) => lookupHash(env, "phone", phone);
const codeHash = (env: IssuerBindings, id: string, code: string) => lookupHash(env, "code", `${id}:${code}`);

/** Six uniformly random digits (rejection sampling: no modulo bias). */
export function newCode(): string {
  for (;;) {
    const n = new DataView(randomBytes(4).buffer).getUint32(0);
    if (n < 4_294_000_000) return String(n % 1_000_000).padStart(6, "0");
  }
}

export interface StartedVerification {
  verificationId: string;
  expiresAt: number;
  resendAfter: number;
}

/** Sends a code to `phone` (already normalized). Throttled per phone. */
export async function startVerification(env: IssuerBindings, sms: SmsProvider, phone: string, now: number): Promise<StartedVerification> {
  const hash = await phoneHash(env, phone);
  const id = toBase64url(randomBytes(16));
  const code = newCode();
  // The wait and the hourly cap are checked in the insert itself: parallel requests send one SMS, not one each.
  // Each new code also deletes up to STALE_CHUNK codes past the hour the cap looks at, so the table holds
  // about an hour of codes, not a record of when every phone ever asked for one.
  const [, stored] = await env.DB.batch([
    env.DB.prepare("DELETE FROM phone_verifications WHERE rowid IN (SELECT rowid FROM phone_verifications WHERE created_at <= ? LIMIT ?)").bind(now - HOUR, STALE_CHUNK),
    env.DB.prepare(
      `INSERT INTO phone_verifications (id, phone_hash, code_hash, created_at, expires_at)
       SELECT ?1, ?2, ?3, ?4, ?5
       WHERE (SELECT COUNT(*) FROM phone_verifications WHERE phone_hash = ?2 AND created_at > ?4 - ?6) < ?7
         AND NOT EXISTS (SELECT 1 FROM phone_verifications WHERE phone_hash = ?2 AND created_at > ?4 - ?8)`,
    ).bind(id, hash, await codeHash(env, id, code), now, now + CODE_TTL_MS, HOUR, MAX_SENDS_PER_HOUR, RESEND_AFTER_MS),
  ]);
  if (!stored) throw new Error("D1 batch returned no result for the insert");
  if (!stored.meta.changes) {
    const last = await env.DB.prepare("SELECT MAX(created_at) AS last FROM phone_verifications WHERE phone_hash = ?").bind(hash).first<{ last: number | null }>();
    if (last?.last != null && now - last.last < RESEND_AFTER_MS) {
      throw new AppError(429, "resend_too_soon", `잠시 후 다시 요청하세요 / wait ${Math.ceil((last.last + RESEND_AFTER_MS - now) / 1000)} s before asking for a new code`);
    }
    throw new AppError(429, "too_many_codes", "인증번호 요청이 너무 많습니다. 1시간 후 다시 시도하세요 / too many codes for this number; try again in an hour");
  }
  try {
    await sms.send({ to: phone, text: `[KI-Pass] 인증번호 ${code} (3분 안에 입력하세요 / your code, valid 3 minutes)` });
  } catch (err) {
    // R-U2: the row reserved this send against the 30 s wait and the hourly cap (so parallel requests send one
    // SMS); a code that never left counts for nothing, so the person may ask again at once. If even this
    // delete fails, the row merely counts as it did before; the answer is still the 502.
    await env.DB.prepare("DELETE FROM phone_verifications WHERE id = ?").bind(id).run().catch(() => null);
    throw smsFailure(err);
  }
  return { verificationId: id, expiresAt: now + CODE_TTL_MS, resendAfter: now + RESEND_AFTER_MS };
}

/** A gateway refusal (its AppError) or a fetch that never got an answer (network error): both a 502 the wallet can retry. */
function smsFailure(err: unknown): AppError {
  if (err instanceof AppError && err.status !== 502) return err;
  const why = err instanceof AppError ? "the SMS gateway refused the message" : "the SMS gateway could not be reached";
  return new AppError(502, "sms_failed", `인증번호 문자를 보내지 못했습니다. 잠시 후 다시 요청하세요 / ${why}; ask for a new code again shortly`);
}

/**
 * Checks a code for `phone`. Every try counts, the right one too, and is
 * counted before comparing, so concurrent guesses cannot exceed 5. Returns
 * the phone's keyed hash; the verification cannot be used again.
 */
export async function confirmVerification(env: IssuerBindings, id: string, phone: string, code: string, now: number): Promise<string> {
  const hash = await phoneHash(env, phone);
  const row = await env.DB.prepare(
    `UPDATE phone_verifications SET attempts = attempts + 1
     WHERE id = ? AND phone_hash = ? AND used_at IS NULL AND expires_at > ? AND attempts < ?
     RETURNING code_hash, attempts`,
  )
    .bind(id, hash, now, MAX_ATTEMPTS)
    .first<{ code_hash: string; attempts: number }>();
  if (!row) throw await whyUnusable(env, id, hash, now);
  if (row.code_hash !== (await codeHash(env, id, code))) {
    const left = MAX_ATTEMPTS - row.attempts;
    throw new AppError(400, "wrong_code", `인증번호가 틀렸습니다 (남은 횟수 ${left}) / wrong code, ${left} tries left`);
  }
  const used = await env.DB.prepare("UPDATE phone_verifications SET used_at = ? WHERE id = ? AND used_at IS NULL").bind(now, id).run();
  if (used.meta.changes !== 1) throw new AppError(410, "verification_used", "이미 사용된 인증입니다 / this verification was already used");
  return hash;
}

async function whyUnusable(env: IssuerBindings, id: string, hash: string, now: number): Promise<AppError> {
  const row = await env.DB.prepare("SELECT phone_hash, used_at, expires_at, attempts FROM phone_verifications WHERE id = ?")
    .bind(id)
    .first<{ phone_hash: string; used_at: number | null; expires_at: number; attempts: number }>();
  if (!row || row.phone_hash !== hash) return new AppError(404, "verification_not_found", "인증 요청을 찾을 수 없습니다 / no such verification for this phone");
  if (row.used_at !== null) return new AppError(410, "verification_used", "이미 사용된 인증입니다 / this verification was already used");
  if (row.expires_at <= now) return new AppError(410, "code_expired", "인증번호가 만료되었습니다 (3분) / the code expired after 3 minutes");
  return new AppError(429, "too_many_attempts", "입력 횟수(5회)를 넘었습니다. 새 인증번호를 받으세요 / 5 wrong tries; ask for a new code");
}
