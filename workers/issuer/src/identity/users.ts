/**
 * Who a user is (R-I1): name, phone and birth date encrypted at rest, found
 * by a keyed hash of the phone; consents (R-U2) and the guardian's consent
 * for a child under 14 (R-U3).
 */
import { AppError, addDays, chunksPerStatement, decryptField, encryptField, kstDay, kstDayStart, lastExpiredDay, type SqlValue } from "@kipass/shared";
import { fieldKey, type IssuerBindings } from "../config.js";
import { userTokensOf } from "../tokens/user-tokens.js";
import { newUserRef } from "../user-ref.js";
import { CONSENT_TEXTS, CONSENT_VERSION, consentTextHash } from "./consent.js";
import { revokeAllDevices } from "./devices.js";

/** R-U3: 만 14세 미만 — a guardian must consent first. */
export const GUARDIAN_AGE = 14;

/** The moment someone born on `birthDate` (YYYY-MM-DD, KST) turns `years` (29 Feb → 1 Mar). */
export function birthdayAt(birthDate: string, years: number): number {
  const [y, m, d] = birthDate.split("-").map(Number) as [number, number, number];
  return kstDayStart(new Date(Date.UTC(y + years, m - 1, d)).toISOString().slice(0, 10));
}

/** A real calendar date between 1900-01-01 and today (KST). */
export function isBirthDate(text: string, now: number): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const t = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === text && text >= "1900-01-01" && text <= kstDay(now);
}

export interface Person {
  name: string;
  phone: string;
}

/** Column context for AES-GCM: a ciphertext cannot be moved to another column or row. */
const ctx = (column: string, userRef: string) => `${column}:${userRef}`;

/**
 * Creates the user for a verified phone, or re-enrols the existing one on a
 * new device (same name and birth date), and records both consents given by
 * the user themselves. A different person on a known phone is a number
 * passed on (Korean carriers reassign numbers): the earlier holder is
 * retired (their devices revoked, their row kept apart for their last
 * tokens) and the new holder gets a user of their own, so neither's tokens
 * ever resolve to the other and a case's phone finds only its own holder.
 */
export async function enrolUser(
  env: IssuerBindings,
  input: Person & { phoneHash: string; birthDate: string },
  now: number,
): Promise<{ userRef: string; minorUntil: number | null; guardianAt: number | null; guardianRequired: boolean }> {
  const key = await fieldKey(env);
  const minorUntil = birthdayAt(input.birthDate, GUARDIAN_AGE);
  // Encrypted under the row's own reference (the column context), so they are made once the reference is known.
  const fields = async (userRef: string): Promise<SqlValue[]> => [
    await encryptField(key, input.phone, ctx("phone", userRef)),
    await encryptField(key, input.name, ctx("name", userRef)),
    await encryptField(key, input.birthDate, ctx("birth_date", userRef)),
    minorUntil > now ? minorUntil : null,
  ];
  const lookUp = async () =>
    (await env.DB.prepare("SELECT user_ref FROM users WHERE phone_hash = ?").bind(input.phoneHash).first<{ user_ref: string }>())?.user_ref ?? null;
  await purgeRetired(env, now);
  let userRef = await lookUp();
  if (userRef !== null && !(await samePerson(env, key, userRef, input))) {
    await retireUser(env, userRef, input.phoneHash, now);
    userRef = await lookUp();
  }
  let created = false;
  if (userRef === null) {
    // Two devices may enrol the same new phone at once: both find no user. The insert yields to whichever
    // came first (phone_hash is UNIQUE), the consents are written only if it inserted (same transaction), and
    // the other request enrols as the existing user instead of failing with its SMS code spent.
    const fresh = newUserRef();
    const [inserted] = await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO users (phone_enc, name_enc, birth_date_enc, minor_until, user_ref, phone_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (phone_hash) DO NOTHING",
      ).bind(...(await fields(fresh)), fresh, input.phoneHash, now),
      ...(await consentStatements(env, fresh, "self", now)),
    ]);
    created = inserted?.meta.changes === 1;
    userRef = created ? fresh : await lookUp();
    if (userRef === null) throw new Error("users: the phone_hash insert yielded but no row has it");
  }
  if (!created) {
    await env.DB.batch([
      env.DB.prepare("UPDATE users SET phone_enc = ?, name_enc = ?, birth_date_enc = ?, minor_until = ? WHERE user_ref = ?").bind(...(await fields(userRef)), userRef),
      ...(await consentStatements(env, userRef, "self", now)),
    ]);
  }
  const guardian = await env.DB.prepare("SELECT consented_at FROM guardian_consents WHERE user_ref = ?").bind(userRef).first<{ consented_at: number }>();
  const minor = minorUntil > now;
  return { userRef, minorUntil: minor ? minorUntil : null, guardianAt: guardian?.consented_at ?? null, guardianRequired: minor && !guardian };
}

/** Whether the user on this phone is the person enrolling: the same name and birth date. */
async function samePerson(env: IssuerBindings, key: CryptoKey, userRef: string, input: Person & { birthDate: string }): Promise<boolean> {
  const row = await env.DB.prepare("SELECT name_enc, birth_date_enc FROM users WHERE user_ref = ?").bind(userRef).first<{ name_enc: string; birth_date_enc: string }>();
  if (!row) return true; // gone meanwhile: the insert path takes over
  const name = await decryptField(key, row.name_enc, ctx("name", userRef));
  const birthDate = await decryptField(key, row.birth_date_enc, ctx("birth_date", userRef));
  return name === input.name && birthDate === input.birthDate;
}

/** The earlier holder of a phone: every device stops at once (object first), the phone is freed for the new holder. */
async function retireUser(env: IssuerBindings, userRef: string, phoneHash: string, now: number): Promise<void> {
  await revokeAllDevices(env, userRef, now);
  await env.DB.prepare("UPDATE users SET phone_hash = 'retired:' || user_ref, retired_at = ? WHERE user_ref = ? AND phone_hash = ?").bind(now, userRef, phoneHash).run();
}

/**
 * Retired holders are deleted, children first (their token log expires in their object), once their retirement
 * day has expired. A shred moment, not a 28-day duration: the row is what their last tokens (issued by that day,
 * the devices being revoked first) resolve to, and those resolve until the day's key goes at the start of
 * day + 29 (R-I1); 28 days after a 22:00 retirement they would have resolved to nobody for two hours.
 */
async function purgeRetired(env: IssuerBindings, now: number): Promise<void> {
  const expiredBefore = kstDayStart(addDays(lastExpiredDay(kstDay(now)), 1));
  const gone = "SELECT user_ref FROM users WHERE retired_at < ?";
  await env.DB.batch([
    ...["devices", "consent_records", "guardian_consents"].map((t) => env.DB.prepare(`DELETE FROM ${t} WHERE user_ref IN (${gone})`).bind(expiredBefore)),
    env.DB.prepare("DELETE FROM users WHERE retired_at < ?").bind(expiredBefore),
  ]);
}

/** One consent row per text, written only if the user row exists (a user insert that yielded writes none). */
async function consentStatements(env: IssuerBindings, userRef: string, givenBy: "self" | "guardian", now: number) {
  return Promise.all(
    CONSENT_TEXTS.map(async (t) =>
      env.DB.prepare(
        `INSERT INTO consent_records (user_ref, given_by, purpose, text_version, text_sha256, agreed_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM users WHERE user_ref = ?1)`,
      ).bind(userRef, givenBy, t.purpose, CONSENT_VERSION, await consentTextHash(t), now),
    ),
  );
}

/** R-U3: the guardian, with their own verified phone, consents once for the child. */
export async function recordGuardianConsent(
  env: IssuerBindings,
  userRef: string,
  guardian: Person & { phoneHash: string },
  now: number,
): Promise<void> {
  const child = await env.DB.prepare("SELECT phone_hash, minor_until FROM users WHERE user_ref = ?")
    .bind(userRef)
    .first<{ phone_hash: string; minor_until: number | null }>();
  if (!child) throw new AppError(404, "unknown_user", "사용자를 찾을 수 없습니다 / unknown user");
  if (child.minor_until === null || child.minor_until <= now) {
    throw new AppError(409, "guardian_not_needed", "만 14세 이상은 보호자 동의가 필요 없습니다 / no guardian consent needed from age 14");
  }
  if (child.phone_hash === guardian.phoneHash) {
    throw new AppError(422, "guardian_is_child", "보호자 본인의 휴대전화로 인증하세요 / the guardian must verify their own phone");
  }
  const key = await fieldKey(env);
  const insert = env.DB.prepare(
    "INSERT INTO guardian_consents (user_ref, guardian_phone_hash, guardian_phone_enc, guardian_name_enc, consented_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_ref) DO NOTHING",
  ).bind(
    userRef,
    guardian.phoneHash,
    await encryptField(key, guardian.phone, ctx("guardian_phone", userRef)),
    await encryptField(key, guardian.name, ctx("guardian_name", userRef)),
    now,
  );
  await env.DB.batch([insert, ...(await consentStatements(env, userRef, "guardian", now))]);
  await userTokensOf(env, userRef).guardianConsented(now);
}

export async function userRefByPhone(env: IssuerBindings, phoneHash: string): Promise<string | null> {
  const row = await env.DB.prepare("SELECT user_ref FROM users WHERE phone_hash = ?").bind(phoneHash).first<{ user_ref: string }>();
  return row?.user_ref ?? null;
}

/** Name and phone of the users behind `userRefs` (decrypted), for the authority (R-A1). */
export async function peopleByRef(env: IssuerBindings, userRefs: string[]): Promise<Map<string, Person>> {
  const out = new Map<string, Person>();
  const unique = [...new Set(userRefs)];
  if (unique.length === 0) return out;
  const key = await fieldKey(env);
  // A safe-number resolve can name hundreds of holders (32 codes × 29 days): ≤ 100 bound values per statement, one batch.
  const answers = await env.DB.batch<{ user_ref: string; name_enc: string; phone_enc: string }>(
    chunksPerStatement(unique).map((refs) => env.DB.prepare(`SELECT user_ref, name_enc, phone_enc FROM users WHERE user_ref IN (${refs.map(() => "?").join(",")})`).bind(...refs)),
  );
  for (const r of answers.flatMap((a) => a.results)) {
    const name = await decryptField(key, r.name_enc, ctx("name", r.user_ref));
    const phone = await decryptField(key, r.phone_enc, ctx("phone", r.user_ref));
    if (name !== null && phone !== null) out.set(r.user_ref, { name, phone });
  }
  return out;
}
