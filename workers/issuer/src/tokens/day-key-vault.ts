/**
 * DayKeyVault: the issuer's day keys (R-I1, R-I2). One key-value-backed
 * object per issuer (wrangler `new_classes`: no point-in-time recovery, so a
 * deleted key is gone for good). A day's key seals that day's QR handles and
 * encrypts that day's token-log entries and safe-number owners (and draws
 * that day's safe numbers); at the start of day + 29 (R-I1: the day's last
 * token is then 28 days old, `lastExpiredDay`) it is destroyed, and from then on nobody — this issuer included — can tell whose a token was.
 *
 * Opening handles and reading the log happen here, with the CryptoKeys
 * cached in memory (DayKeys). Minting is the hot path: the isolate asks once
 * for *today's* key and keeps it in memory until the day changes (never
 * stored; `todaysKeys`), so a token costs one object call, not two, even when
 * the user's object wakes cold. Past days' keys never leave this object.
 */
import { DurableObject } from "cloudflare:workers";
import {
  DayKeys,
  aesKey,
  decryptField,
  kstDay,
  kstDayStart,
  addDays,
  lastExpiredDay,
  openHandle,
  type Bytes,
} from "@kipass/shared";
import { safeNumberContext, safeNumberKey } from "./safe-numbers.js";

/** The one vault of this issuer (its name is also the key-id prefix on a destruction receipt). */
export const VAULT_NAME = "day-keys";
export const vaultOf = (env: Env) => env.DAY_KEYS.getByName(VAULT_NAME);

export const logContext = (issuer: string, day: string) => `token-log ${issuer} ${day}`;

export interface TodaysKeys {
  day: string;
  /** Seals handles and encrypts the day's log entries and safe-number owners. */
  aes: CryptoKey;
  /** Draws the day's safe numbers (R-P1). */
  safe: CryptoKey;
}

/**
 * Today's keys, held per isolate (never stored) and shared by every UserTokens
 * object in it: a user's object mostly wakes cold (one visit, a few tokens), and
 * a vault call per wake would make the one vault a national hotspot. Only
 * today's day is held; the next day fetches the next key.
 */
let isolateToday: { day: string; keys: Promise<TodaysKeys> } | null = null;

export function todaysKeys(env: Env, now: number): Promise<TodaysKeys> {
  const day = kstDay(now);
  if (isolateToday?.day !== day) {
    const keys = vaultOf(env)
      .todaysKey(now)
      .then(async ({ raw }) => ({ day, aes: await aesKey(new Uint8Array(raw)), safe: await safeNumberKey(new Uint8Array(raw)) }));
    const entry = { day, keys };
    isolateToday = entry;
    keys.catch(() => {
      if (isolateToday === entry) isolateToday = null;
    });
  }
  return isolateToday!.keys;
}

/** Shutdown (R-O4): nothing cached outlives the vault. */
export function forgetTodaysKeys(): void {
  isolateToday = null;
}

export class DayKeyVault extends DurableObject<Env> {
  private readonly keys: DayKeys;
  private shreddedThrough: string | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.keys = new DayKeys(ctx.storage);
    // Re-arm on every wake: an alarm can be lost across a restart.
    void ctx.blockConcurrencyWhile(async () => {
      if ((await ctx.storage.getAlarm()) === null) await ctx.storage.setAlarm(nextDayStart(Date.now()));
    });
  }

  /** Today's key (KST day of `now`) as raw bytes, for UserTokens to seal with in memory. */
  async todaysKey(now: number): Promise<{ day: string; raw: Bytes }> {
    const day = kstDay(now);
    if (!(await this.liveKey(day, now, true))) throw new Error(`day ${day} is already shredded`);
    const raw = await this.keys.rawKeyFor(day, false);
    if (!raw) throw new Error(`day ${day} has no key`);
    return { day, raw };
  }

  /** Opens a token's handle with the key of the day it was issued; null once that key is destroyed. */
  async open(issuer: string, sealed: Bytes, issuedAt: number, now: number): Promise<{ userRef: Bytes; nonce: number } | null> {
    const key = await this.liveKey(kstDay(issuedAt), now, false);
    return key ? openHandle(key, issuer, sealed) : null;
  }

  /** Decrypts token-log entries (jti); null for an entry whose day key is gone. */
  readLog(issuer: string, entries: { day: string; entry: string }[], now: number): Promise<(string | null)[]> {
    return this.decrypt(entries.map(({ day, entry }) => ({ day, entry, context: logContext(issuer, day) })), now);
  }

  /** Decrypts safe-number owners (user references, R-P1); null for a code whose day key is gone. */
  readSafeNumberOwners(issuer: string, rows: { day: string; codeHash: string; owner: string }[], now: number): Promise<(string | null)[]> {
    return this.decrypt(rows.map(({ day, codeHash, owner }) => ({ day, entry: owner, context: safeNumberContext(issuer, day, codeHash) })), now);
  }

  private decrypt(entries: { day: string; entry: string; context: string }[], now: number): Promise<(string | null)[]> {
    return Promise.all(
      entries.map(async ({ day, entry, context }) => {
        const key = await this.liveKey(day, now, false);
        return key ? decryptField(key, entry, context) : null;
      }),
    );
  }

  /** Shutdown (R-O4): destroys every key and never creates one again; returns the days destroyed. */
  async destroyAll(): Promise<string[]> {
    const days = await this.keys.destroyAll();
    await this.ctx.storage.deleteAlarm();
    return days;
  }

  /** Days that still have a key (audits, tests). */
  liveDays(): Promise<string[]> {
    return this.keys.liveDays();
  }

  /** Daily: destroy every key of `lastExpiredDay` (today − 29) and before, then re-arm for the next KST midnight. */
  override async alarm(): Promise<void> {
    await this.shredExpired(Date.now());
    await this.ctx.storage.setAlarm(nextDayStart(Date.now()));
  }

  /** Shreds lazily too, so a lost alarm never lets an expired key be used. */
  private async liveKey(day: string, now: number, create: boolean): Promise<CryptoKey | null> {
    await this.shredExpired(now);
    if (day <= lastExpiredDay(kstDay(now))) return null;
    return this.keys.keyFor(day, create);
  }

  private async shredExpired(now: number): Promise<void> {
    const through = lastExpiredDay(kstDay(now));
    if (this.shreddedThrough !== null && through <= this.shreddedThrough) return;
    await this.keys.shredThrough(through);
    this.shreddedThrough = through;
  }
}

const nextDayStart = (now: number) => kstDayStart(addDays(kstDay(now), 1));
