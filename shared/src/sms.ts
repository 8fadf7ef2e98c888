/**
 * Text messages (verification codes, R-U2 / R-F4; duplicate-registration
 * notices, R-F3) go through one provider interface: an HTTP provider in
 * production, a dev outbox for the local stack whose messages are read at a
 * dev-only endpoint. The outbox stores a keyed hash of the recipient, never
 * the number (no plaintext phone at rest, even in dev).
 *
 * Outbox table (in the party's D1 migrations):
 *   dev_outbox(id INTEGER PRIMARY KEY, recipient TEXT, text TEXT, sent_at INTEGER)
 */
import { AppError } from "./errors.js";
import type { SqlDatabase } from "./sql.js";

export interface SmsMessage {
  /** E.164 or Korean mobile number, already validated. */
  to: string;
  text: string;
}

export interface SmsProvider {
  send(message: SmsMessage): Promise<void>;
}

/** Production: POST {to, text} as JSON with a bearer key to the configured gateway. */
export class HttpSmsProvider implements SmsProvider {
  constructor(
    private readonly url: string,
    private readonly apiKey: string,
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
  ) {}
  async send(message: SmsMessage): Promise<void> {
    const res = await this.fetcher(this.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${this.apiKey}` },
      body: JSON.stringify(message),
    });
    if (!res.ok) throw new AppError(502, "sms_failed", "the SMS gateway refused the message; try again shortly");
  }
}

/** Local stack: messages kept in D1 under a keyed hash of the recipient. */
export class DevOutbox implements SmsProvider {
  constructor(
    private readonly db: SqlDatabase,
    private readonly recipientKey: (phone: string) => Promise<string>,
    private readonly now: () => number,
  ) {}
  async send(message: SmsMessage): Promise<void> {
    await this.db
      .prepare("INSERT INTO dev_outbox (recipient, text, sent_at) VALUES (?, ?, ?)")
      .bind(await this.recipientKey(message.to), message.text, this.now())
      .run();
  }
  /** Newest first. */
  async messagesTo(phone: string, limit = 10): Promise<{ text: string; sentAt: number }[]> {
    const { results } = await this.db
      .prepare("SELECT text, sent_at FROM dev_outbox WHERE recipient = ? ORDER BY id DESC LIMIT ?")
      .bind(await this.recipientKey(phone), limit)
      .all<{ text: string; sent_at: number }>();
    return results.map((r) => ({ text: r.text, sentAt: r.sent_at }));
  }
}

/** Korean mobile numbers: 010-1234-5678, 01012345678 or +82 10 1234 5678 → "01012345678". */
export function normalizeMobile(input: string): string | null {
  const digits = input.replace(/[\s-]/g, "");
  const national = digits.startsWith("+82") ? `0${digits.slice(3)}` : digits;
  // 010 numbers are always 11 digits; the older 011/016–019 ranges have 10 or 11.
  return /^(010\d{8}|01[16789]\d{7,8})$/.test(national) ? national : null;
}

/** A mobile number as people write it, 010-1234-5678 (011-123-4567): bare digits lose their leading 0 in a spreadsheet. */
export function formatMobile(input: string): string {
  const digits = normalizeMobile(input);
  if (!digits) return input;
  return `${digits.slice(0, 3)}-${digits.slice(3, -4)}-${digits.slice(-4)}`;
}
