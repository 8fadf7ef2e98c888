/**
 * Investigators and their sessions (R-A3: only authorised epidemiological
 * investigators act, every action attributed to a person). Passwords are
 * PBKDF2 hashes; sessions are random bearer tokens stored only as hashes.
 */
import { AppError, HOUR, MINUTE, credentialHash, hashPassword, newCredential, verifyPassword } from "@kipass/shared";

export type Role = "investigator" | "supervisor";

export interface Investigator {
  id: string;
  name: string;
  role: Role;
}

/** After this many wrong passwords in a row the account is locked for LOCKOUT_MS. */
export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * MINUTE;
export const SESSION_MS = 12 * HOUR;

interface InvestigatorRow {
  id: string;
  name: string;
  role: Role;
  password_hash: string;
  active: number;
}

export class Investigators {
  constructor(private readonly db: D1Database) {}

  /** `createdBy` null is the bootstrap: it creates only the first account (checked in the insert, so two at once make one). */
  async create(who: Investigator & { password: string }, createdBy: string | null, now: number): Promise<Investigator> {
    let inserted: D1Result;
    try {
      inserted = await this.db
        .prepare(
          `INSERT INTO investigators (id, name, role, password_hash, created_at, created_by)
           SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE ?6 IS NOT NULL OR NOT EXISTS (SELECT 1 FROM investigators)`,
        )
        .bind(who.id, who.name, who.role, await hashPassword(who.password), now, createdBy)
        .run();
    } catch (err) {
      if (/constraint/i.test(String(err))) throw new AppError(409, "investigator_exists", `investigator "${who.id}" already exists`);
      throw err;
    }
    if (!inserted.meta.changes) throw new AppError(409, "already_bootstrapped", "investigators exist: a supervisor adds the others");
    return { id: who.id, name: who.name, role: who.role };
  }

  async list(): Promise<(Investigator & { active: boolean })[]> {
    const { results } = await this.db.prepare("SELECT id, name, role, active FROM investigators ORDER BY id").all<InvestigatorRow>();
    return results.map((r) => ({ id: r.id, name: r.name, role: r.role, active: r.active === 1 }));
  }

  /** Deactivates an account and ends its sessions at once. */
  async deactivate(id: string): Promise<void> {
    const { meta } = await this.db.prepare("UPDATE investigators SET active = 0 WHERE id = ?").bind(id).run();
    if (meta.changes === 0) throw new AppError(404, "investigator_not_found", `no investigator "${id}"`);
    await this.db.prepare("DELETE FROM sessions WHERE investigator_id = ?").bind(id).run();
  }

  /** Checks a password with lockout; on success opens a session and returns its token. */
  async login(id: string, password: string, now: number): Promise<{ token: string; expiresAt: number; investigator: Investigator }> {
    const row = await this.db.prepare("SELECT * FROM investigators WHERE id = ?").bind(id).first<InvestigatorRow>();
    // Same answer for an unknown id and a wrong password: ids are not enumerable.
    const refused = new AppError(401, "invalid_credentials", "아이디 또는 비밀번호가 올바르지 않습니다 / wrong id or password");
    if (!row || row.active !== 1) {
      await verifyPassword(password, DUMMY_HASH); // same cost either way
      throw refused;
    }
    // Each try counts as a failure before the password is checked, in one statement, and the fifth locks
    // the account there and then: parallel guesses cannot all pass the check, and a success undoes it.
    const attempt = await this.db
      .prepare(
        `UPDATE investigators SET
           failed_logins = CASE WHEN failed_logins + 1 >= ?1 THEN 0 ELSE failed_logins + 1 END,
           locked_until = CASE WHEN failed_logins + 1 >= ?1 THEN ?2 ELSE 0 END
         WHERE id = ?3 AND locked_until <= ?4 RETURNING id`,
      )
      .bind(MAX_FAILED_LOGINS, now + LOCKOUT_MS, id, now)
      .first<{ id: string }>();
    if (!attempt) {
      const until = (await this.db.prepare("SELECT locked_until FROM investigators WHERE id = ?").bind(id).first<{ locked_until: number }>())?.locked_until ?? now;
      throw new AppError(423, "account_locked", `계정이 잠겼습니다 / account locked until ${new Date(until).toISOString()}`);
    }
    if (!(await verifyPassword(password, row.password_hash))) throw refused;
    await this.db.prepare("UPDATE investigators SET failed_logins = 0, locked_until = 0 WHERE id = ?").bind(id).run();
    const token = newCredential();
    const expiresAt = now + SESSION_MS;
    // Expired sessions go with each login (a few hundred investigators: a small table).
    await this.db.batch([
      this.db.prepare("DELETE FROM sessions WHERE expires_at <= ?").bind(now),
      this.db.prepare("INSERT INTO sessions (token_hash, investigator_id, created_at, expires_at) VALUES (?, ?, ?, ?)").bind(await credentialHash(token), id, now, expiresAt),
    ]);
    return { token, expiresAt, investigator: { id: row.id, name: row.name, role: row.role } };
  }

  async session(token: string, now: number): Promise<Investigator | null> {
    const row = await this.db
      .prepare(
        `SELECT i.id, i.name, i.role FROM sessions s JOIN investigators i ON i.id = s.investigator_id
         WHERE s.token_hash = ? AND s.expires_at > ? AND i.active = 1`,
      )
      .bind(await credentialHash(token), now)
      .first<Investigator>();
    return row ?? null;
  }

  async logout(token: string): Promise<void> {
    await this.db.prepare("DELETE FROM sessions WHERE token_hash = ?").bind(await credentialHash(token)).run();
  }
}

// A valid hash of a random password, checked when the id is unknown so timing does not reveal ids.
const DUMMY_HASH = "pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA$Jm1bQ0uQk1ZQ0ksb5d6oTqJq1zdJ0vJQm6Zq8b8mUUU";
