/**
 * Configuration every party that keeps personal data at rest shares: the
 * field-encryption key, the keyed hash for look-ups, the SMS provider (an
 * HTTP gateway in production, the dev outbox locally) and the dev-only
 * outbox reader. Parsed once per distinct secret value.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Env as HonoEnv } from "hono";
import { AppError, errorBody } from "./errors.js";
import type { AppVariables } from "./http.js";
import { memoize } from "./memoize.js";
import { aesKey, hmacKey, keyedHash } from "./secrets.js";
import { DevOutbox, HttpSmsProvider, normalizeMobile, type SmsProvider } from "./sms.js";
import type { SqlDatabase } from "./sql.js";

export interface PartySecrets {
  DB: SqlDatabase;
  /** AES-256 key (base64url) for personal fields at rest. */
  FIELD_KEY?: string;
  /** HMAC key (base64url) for look-up hashes: phones, token ids, outbox recipients. */
  LOOKUP_KEY?: string;
  /** Local stack only: "true" enables dev-only endpoints and the SMS outbox. Never set in wrangler.toml. */
  DEV_MODE?: string;
  SMS_GATEWAY_URL?: string;
  /** Production SMS gateway key (a secret). */
  SMS_API_KEY?: string;
}

export const devMode = (env: PartySecrets): boolean => env.DEV_MODE === "true";

function required(secret: string | undefined, name: string): string {
  if (!secret) throw new Error(`${name} is not set (npm run keys writes it locally; wrangler secret put in production)`);
  return secret;
}

const fieldKeys = memoize((secret) => aesKey(required(secret, "FIELD_KEY")));
const lookupKeys = memoize((secret) => hmacKey(required(secret, "LOOKUP_KEY")));

export const fieldKey = (env: PartySecrets): Promise<CryptoKey> => fieldKeys(env.FIELD_KEY);

/** Keyed hash of a value for look-ups; `domain` keeps the kinds of value apart. */
export async function lookupHash(env: PartySecrets, domain: string, value: string): Promise<string> {
  return keyedHash(await lookupKeys(env.LOOKUP_KEY), `${domain}\u0000${value}`);
}

export const devOutbox = (env: PartySecrets, now: () => number): DevOutbox => new DevOutbox(env.DB, (phone) => lookupHash(env, "outbox", phone), now);

export function smsProvider(env: PartySecrets, now: () => number): SmsProvider {
  if (devMode(env)) return devOutbox(env, now);
  if (!env.SMS_API_KEY || !env.SMS_GATEWAY_URL) throw new AppError(503, "sms_unavailable", "문자 발송이 설정되지 않았습니다 / SMS gateway is not configured");
  return new HttpSmsProvider(env.SMS_GATEWAY_URL, env.SMS_API_KEY);
}

/**
 * Local stack only: the messages the dev outbox "sent" to a phone, so a
 * person or a browser test can read the code. Without DEV_MODE="true" the
 * route answers exactly like any unknown path.
 */
export function mountDevOutbox<E extends HonoEnv & { Bindings: PartySecrets; Variables: AppVariables }>(app: OpenAPIHono<E>): void {
  app.get("/dev/outbox", async (c) => {
    if (!devMode(c.env)) return c.json(errorBody("not_found", "no route for GET /dev/outbox"), 404);
    const phone = normalizeMobile(c.req.query("phone") ?? "");
    if (!phone) throw new AppError(400, "invalid_request", "query.phone: must be a Korean mobile number");
    return c.json({ messages: await devOutbox(c.env, () => c.var.clock.now()).messagesTo(phone) }, 200);
  });
}
