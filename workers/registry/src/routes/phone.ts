/** R-F4: the manager verifies their own phone before choosing an ID and password. */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { AppError, HOUR, MINUTE, SECOND, assertNotShutDown, credentialHash, encryptField, errorResponses, newCredential, normalizeMobile, randomBytes } from "@kipass/shared";
import { fieldKey, lookupHash, smsProvider, type RegistryBindings, type RegistryEnv } from "../config.js";

const CODE_TTL_MS = 5 * MINUTE;
const RESEND_AFTER_MS = 30 * SECOND;
/** Codes per phone in an hour's window (the issuer's limit too). */
export const MAX_CODES_PER_HOUR = 5;
const MAX_CODE_ATTEMPTS = 5;
const PROOF_TTL_MS = 30 * MINUTE;
/** code_hash of a used code: never equal to a real hash, so only one verify can consume a code. */
const SPENT = "";

const mobile = z.string().min(10).max(20);
const okOut = z.object({ ok: z.literal(true), message: z.string() });

const sendRoute = createRoute({
  method: "post",
  path: "/v1/phone/code",
  summary: "Send a 6-digit verification code to the manager's phone",
  request: { body: { content: { "application/json": { schema: z.object({ phone: mobile }).strict() } }, required: true } },
  responses: { 200: { description: "Sent", content: { "application/json": { schema: okOut } } }, ...errorResponses(400, 410, 422, 429, 502, 503) },
});

const verifyRoute = createRoute({
  method: "post",
  path: "/v1/phone/verify",
  summary: "Check the code; returns a phone proof that registration consumes",
  request: {
    body: { content: { "application/json": { schema: z.object({ phone: mobile, code: z.string().regex(/^\d{6}$/) }).strict() } }, required: true },
  },
  responses: {
    200: { description: "Verified", content: { "application/json": { schema: z.object({ phoneProof: z.string(), expiresAt: z.number().int() }) } } },
    ...errorResponses(400, 410, 422, 429),
  },
});

function parseMobile(phone: string): string {
  const normalized = normalizeMobile(phone);
  if (!normalized) throw new AppError(422, "invalid_phone", "휴대전화 번호가 올바르지 않습니다 / Not a Korean mobile number");
  return normalized;
}

const codeHash = (env: RegistryBindings, phone: string, code: string) => lookupHash(env, "phone", `code\u0000${phone}\u0000${code}`);

/** Checks a phone proof without consuming it (registration validates everything before writing). */
export async function checkPhoneProof(env: RegistryBindings, proof: string, now: number): Promise<void> {
  const row = await env.DB.prepare("SELECT expires_at FROM phone_proofs WHERE hash = ?").bind(await credentialHash(proof)).first<{ expires_at: number }>();
  if (!row || row.expires_at <= now) throw new AppError(422, "phone_not_verified", "휴대전화 인증을 먼저 해 주세요 / Verify your phone first");
}

export function mountPhone(app: OpenAPIHono<RegistryEnv>): void {
  app.openapi(sendRoute, async (c) => {
    await assertNotShutDown(c.env.DB); // R-O4: after shutdown no phone number is taken in
    const now = c.var.clock.now();
    const phone = parseMobile(c.req.valid("json").phone);
    const phoneHash = await lookupHash(c.env, "phone", phone);
    const code = String(new DataView(randomBytes(4).buffer).getUint32(0) % 1_000_000).padStart(6, "0");
    // The 30-second wait and the hourly cap are checked in the write itself: parallel requests send one SMS, not one each.
    const stored = await c.env.DB.prepare(
      `INSERT INTO phone_codes (phone_hash, code_hash, expires_at, attempts, sent_at, window_start, window_sends) VALUES (?1, ?2, ?3, 0, ?4, ?4, 1)
       ON CONFLICT (phone_hash) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at, attempts = 0, sent_at = excluded.sent_at,
         window_start = CASE WHEN phone_codes.window_start <= ?4 - ?6 THEN ?4 ELSE phone_codes.window_start END,
         window_sends = CASE WHEN phone_codes.window_start <= ?4 - ?6 THEN 1 ELSE phone_codes.window_sends + 1 END
       WHERE phone_codes.sent_at <= ?4 - ?5 AND (phone_codes.window_start <= ?4 - ?6 OR phone_codes.window_sends < ?7)`,
    )
      .bind(phoneHash, await codeHash(c.env, phone, code), now + CODE_TTL_MS, now, RESEND_AFTER_MS, HOUR, MAX_CODES_PER_HOUR)
      .run();
    if (!stored.meta.changes) {
      const last = await c.env.DB.prepare("SELECT sent_at FROM phone_codes WHERE phone_hash = ?").bind(phoneHash).first<{ sent_at: number }>();
      if (last && now - last.sent_at < RESEND_AFTER_MS) throw new AppError(429, "too_soon", "잠시 후 다시 요청하세요 / Wait 30 seconds before asking again");
      throw new AppError(429, "too_many_codes", "인증번호 요청이 너무 많습니다. 1시간 후 다시 시도하세요 / Too many codes for this number: try again within the hour");
    }
    await smsProvider(c.env, () => now).send({ to: phone, text: `[KI-Pass 출입명부] 인증번호 ${code} / verification code ${code}` });
    return c.json({ ok: true as const, message: "인증번호를 보냈습니다 / Code sent" }, 200);
  });

  app.openapi(verifyRoute, async (c) => {
    await assertNotShutDown(c.env.DB); // R-O4: a proof holds the phone number
    const now = c.var.clock.now();
    const body = c.req.valid("json");
    const phone = parseMobile(body.phone);
    const phoneHash = await lookupHash(c.env, "phone", phone);
    // Each try is counted before the code is compared, in one statement: parallel guesses cannot all pass the check.
    const row = await c.env.DB.prepare(
      "UPDATE phone_codes SET attempts = attempts + 1 WHERE phone_hash = ? AND expires_at > ? AND attempts < ? RETURNING code_hash",
    )
      .bind(phoneHash, now, MAX_CODE_ATTEMPTS)
      .first<{ code_hash: string }>();
    const used = () => new AppError(410, "code_expired", "인증번호가 만료되었습니다 / Code expired: ask for a new one");
    if (!row) {
      const code = await c.env.DB.prepare("SELECT expires_at FROM phone_codes WHERE phone_hash = ?").bind(phoneHash).first<{ expires_at: number }>();
      if (!code || code.expires_at <= now) throw used();
      throw new AppError(429, "too_many_attempts", "시도 횟수를 초과했습니다 / Too many attempts: ask for a new code");
    }
    // Spent by a verify whose clock read came a moment after this one's.
    if (row.code_hash === SPENT) throw used();
    const hash = await codeHash(c.env, phone, body.code);
    if (row.code_hash !== hash) throw new AppError(422, "wrong_code", "인증번호가 틀렸습니다 / Wrong code");
    const proof = newCredential();
    const expiresAt = now + PROOF_TTL_MS;
    // Parallel verifies with the right code all get this far. In one transaction the proof is written only while
    // the code is unspent, and the code is spent with it: one code, one proof.
    const [issued] = await c.env.DB.batch([
      c.env.DB.prepare(
        "INSERT INTO phone_proofs (hash, phone, expires_at) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM phone_codes WHERE phone_hash = ? AND code_hash = ?)",
      ).bind(await credentialHash(proof), await encryptField(await fieldKey(c.env), phone, "phone"), expiresAt, phoneHash, hash),
      // Spent, but kept until its hour ends: the hourly cap counts it (the expiry cron deletes it then).
      c.env.DB.prepare("UPDATE phone_codes SET expires_at = ?, code_hash = ? WHERE phone_hash = ? AND code_hash = ?").bind(now, SPENT, phoneHash, hash),
    ]);
    if (!issued) throw new Error("D1 batch returned no result for the proof");
    if (issued.meta.changes !== 1) throw used();
    return c.json({ phoneProof: proof, expiresAt }, 200);
  });
}
