/**
 * Accounts and sessions (R-F4, R-F5): PBKDF2 passwords with lockout after
 * repeated failures, opaque session credentials stored as hashes and
 * revocable by the owner. A facility session names its facility
 * (`<facilityId>.<tag>.<secret>`) so a scan reaches the Facility object without
 * touching D1; the object holds the live device sessions.
 */
import {
  AppError,
  HOUR,
  MINUTE,
  credentialHash,
  memoize,
  newCredential,
  randomBytes,
  toBase64url,
  verifyPassword,
} from "@kipass/shared";
import type { MiddlewareHandler } from "hono";
import { lookupHash, type RegistryBindings, type RegistryEnv } from "./config.js";
import { applyToFacility, facilityObject, markFacility, shutDown, type TakesEffect } from "./directory/objects.js";

export type Role = "owner" | "staff" | "approver";

export interface SessionAccount {
  accountId: string;
  loginId: string;
  role: Role;
  facilityId: string | null;
  sido: string | null;
  sigungu: string | null;
  sessionHash: string;
  sessionId: string;
}

export type AccountEnv = RegistryEnv & { Variables: RegistryEnv["Variables"] & { account: SessionAccount } };

/** Failed logins before the account locks, and for how long (R-F4). */
export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * MINUTE;
export const SESSION_TTL_MS = 12 * HOUR;

export const newId = (prefix: string): string => `${prefix}_${toBase64url(randomBytes(9))}`;

const FACILITY_SESSION = /^(fac_[A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{43}$/;

/**
 * A keyed tag of the facility id in its sessions (as the issuer's device
 * credentials carry one): a session naming a facility nobody logged in to is
 * refused at the edge, before it claims a token or makes an object for that id.
 */
const facilityTag = async (env: RegistryBindings, facilityId: string) => (await lookupHash(env, "session-route", facilityId)).slice(0, 22);

export const newFacilitySession = async (env: RegistryBindings, facilityId: string): Promise<string> =>
  `${facilityId}.${await facilityTag(env, facilityId)}.${newCredential()}`;

export interface ScannerSession {
  facilityId: string;
  /** What the Facility object knows the session by (it decides whether the session is live, R-F5). */
  sessionHash: string;
}

/** Scanner sessions held per isolate: a device sends the same one with every scan for up to 12 h. */
const SCANNER_SESSIONS_HELD = 4096;
const scannerSessions = memoize(() => new Map<string, ScannerSession>());

/**
 * The facility a scanner session belongs to and the session's hash, from the
 * session alone (no D1 on the hot path); null for a made-up one. Worked out
 * once per isolate and session (one per LOOKUP_KEY), not per scan: only the
 * tag check and the hash are held, never whether the session is still live.
 */
export async function scannerSession(env: RegistryBindings, credential: string): Promise<ScannerSession | null> {
  const held = scannerSessions(env.LOOKUP_KEY);
  const known = held.get(credential);
  if (known) return known;
  const m = FACILITY_SESSION.exec(credential);
  if (!m || m[2] !== (await facilityTag(env, m[1]!))) return null;
  const session = { facilityId: m[1]!, sessionHash: await credentialHash(credential) };
  if (held.size >= SCANNER_SESSIONS_HELD) held.delete(held.keys().next().value!);
  held.set(credential, session);
  return session;
}

export function bearer(header: string | undefined): string {
  const m = /^Bearer (\S{1,200})$/.exec(header ?? "");
  if (!m) throw new AppError(401, "session_required", "로그인이 필요합니다 / Log in first");
  return m[1]!;
}

interface AccountRow {
  id: string;
  login_id: string;
  password_hash: string;
  role: Role;
  facility_id: string | null;
  removed_at: number | null;
}

export interface LoginResult {
  session: string;
  sessionId: string;
  role: Role;
  facilityId: string | null;
  expiresAt: number;
}

/** Checks ID + password with lockout, then opens a session (and registers it as a scanner device). */
export async function login(env: RegistryBindings, loginId: string, password: string, now: number): Promise<LoginResult> {
  const row = await env.DB.prepare(
    "SELECT id, login_id, password_hash, role, facility_id, removed_at FROM accounts WHERE login_id = ?",
  )
    .bind(loginId)
    .first<AccountRow>();
  const refused = new AppError(401, "bad_credentials", "아이디 또는 비밀번호가 올바르지 않습니다 / Wrong ID or password");
  if (!row || row.removed_at !== null) throw refused;
  const locked = new AppError(423, "account_locked", "로그인 실패가 반복되어 잠시 잠겼습니다. 15분 후 다시 시도하세요 / Too many failed logins: locked for 15 minutes");
  // Each try counts as a failure before the password is checked, in one statement, and the fifth locks
  // the account there and then: parallel guesses cannot all pass the check, and a success undoes it.
  const attempt = await env.DB.prepare(
    `UPDATE accounts SET
       failed_logins = CASE WHEN failed_logins + 1 >= ?1 THEN 0 ELSE failed_logins + 1 END,
       locked_until = CASE WHEN failed_logins + 1 >= ?1 THEN ?2 ELSE NULL END
     WHERE id = ?3 AND (locked_until IS NULL OR locked_until <= ?4) RETURNING id`,
  )
    .bind(MAX_FAILED_LOGINS, now + LOCKOUT_MS, row.id, now)
    .first<{ id: string }>();
  if (!attempt) throw locked;
  if (!(await verifyPassword(password, row.password_hash))) throw refused;
  await env.DB.prepare("UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = ?").bind(row.id).run();
  const session = row.facility_id ? await newFacilitySession(env, row.facility_id) : `approver.${newCredential()}`;
  const hash = await credentialHash(session);
  const sessionId = newId("ses");
  const expiresAt = now + SESSION_TTL_MS;
  // Only while the account still exists: a removal that committed since the read above wins (R-F5).
  const opened = await env.DB.prepare(
    "INSERT INTO sessions (hash, id, account_id, created_at, expires_at) SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ? AND removed_at IS NULL)",
  )
    .bind(hash, sessionId, row.id, now, expiresAt, row.id)
    .run();
  if (!opened.meta.changes) throw refused;
  // After shutdown (R-O4) nothing scans: the emptied object gets no device row.
  if (row.facility_id && !(await shutDown(env))) await facilityObject(env, row.facility_id).addDevice({ sessionHash: hash, accountId: row.id, expiresAt });
  return { session, sessionId, role: row.role, facilityId: row.facility_id, expiresAt };
}

/** Middleware: a live session of one of `roles`, as c.var.account. */
export function requireAccount(...roles: Role[]): MiddlewareHandler<AccountEnv> {
  return async (c, next) => {
    const credential = bearer(c.req.header("authorization"));
    const hash = await credentialHash(credential);
    const row = await c.env.DB.prepare(
      `SELECT s.id AS session_id, s.expires_at, s.revoked_at, a.id, a.login_id, a.role, a.facility_id, a.sido, a.sigungu, a.removed_at
       FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.hash = ?`,
    )
      .bind(hash)
      .first<{
        session_id: string;
        expires_at: number;
        revoked_at: number | null;
        id: string;
        login_id: string;
        role: Role;
        facility_id: string | null;
        sido: string | null;
        sigungu: string | null;
        removed_at: number | null;
      }>();
    if (!row || row.revoked_at !== null || row.removed_at !== null || row.expires_at <= c.var.clock.now()) {
      throw new AppError(401, "session_invalid", "세션이 만료되었거나 취소되었습니다 / Session expired or revoked");
    }
    if (!roles.includes(row.role)) throw new AppError(403, "forbidden", "이 계정으로는 할 수 없습니다 / Not allowed for this account");
    c.set("account", {
      accountId: row.id,
      loginId: row.login_id,
      role: row.role,
      facilityId: row.facility_id,
      sido: row.sido,
      sigungu: row.sigungu,
      sessionHash: hash,
      sessionId: row.session_id,
    });
    await next();
  };
}

/**
 * Revokes sessions in D1 and, for facility accounts, in the Facility object at
 * once (R-F5): one session (`sessionId`), or all of the account's, removing the
 * account too (`removeAccount`) in the same D1 batch as the facility's sync mark,
 * so no removal is recorded that the cron would not repair if the object call fails.
 */
export async function revokeSessions(
  env: RegistryBindings,
  accountId: string,
  facilityId: string | null,
  now: number,
  scope: { sessionId: string } | { removeAccount: true },
): Promise<TakesEffect> {
  const statements =
    "sessionId" in scope
      ? [env.DB.prepare("UPDATE sessions SET revoked_at = ? WHERE id = ? AND account_id = ? AND revoked_at IS NULL").bind(now, scope.sessionId, accountId)]
      : [
          env.DB.prepare("UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL").bind(now, accountId),
          // The ID is freed for the next staff member (R-F5): "~" is never in a login ID (loginIdSchema).
          env.DB.prepare(`UPDATE accounts SET removed_at = ?, login_id = login_id || '~' || id WHERE id = ? AND removed_at IS NULL`).bind(now, accountId),
        ];
  if (!facilityId) {
    await env.DB.batch(statements);
    return "now";
  }
  await env.DB.batch([...statements, markFacility(env, facilityId)]);
  return applyToFacility(env, facilityId, now);
}
