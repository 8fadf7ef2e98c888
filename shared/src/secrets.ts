/**
 * Small secret-handling primitives shared by the parties: opaque credentials
 * stored only as hashes, keyed hashes for look-ups without plaintext, field
 * encryption at rest, and password hashing within the Workers PBKDF2 cap.
 */
import { concat, equalBytes, fromBase64url, fromUtf8, randomBytes, sha256, toBase64url, utf8, type Bytes } from "./bytes.js";

/** A fresh unguessable credential (session, device credential): 256 bits, base64url. */
export function newCredential(): string {
  return toBase64url(randomBytes(32));
}

/** What is stored for a credential: its SHA-256, so a database leak grants nothing. */
export async function credentialHash(credential: string): Promise<string> {
  return toBase64url(await sha256(utf8(credential)));
}

/** An HMAC-SHA256 key from a base64url secret (at least 32 bytes). */
export async function hmacKey(secret: string): Promise<CryptoKey> {
  const raw = fromBase64url(secret);
  if (!raw || raw.length < 32) throw new Error("secret must be at least 32 bytes of base64url");
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/** Keyed hash for look-ups (a phone number → row) without storing the value. */
export async function keyedHash(key: CryptoKey, value: string): Promise<string> {
  return toBase64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(value))));
}

/** An AES-256-GCM key from raw bytes or a base64url secret. */
export async function aesKey(secret: string | Bytes, extractable = false): Promise<CryptoKey> {
  const raw = typeof secret === "string" ? fromBase64url(secret) : secret;
  if (!raw || raw.length !== 32) throw new Error("AES key must be 32 bytes");
  return crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, extractable, ["encrypt", "decrypt"]);
}

/** Encrypts a field for storage: base64url(iv | ciphertext | tag). `context` binds it to its column/row. */
export async function encryptField(key: CryptoKey, plaintext: string | Bytes, context = ""): Promise<string> {
  const iv = randomBytes(12);
  const data = typeof plaintext === "string" ? utf8(plaintext) : plaintext;
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(context) }, key, data));
  return toBase64url(concat(iv, ct));
}

/** Decrypts a stored field to bytes; null when the key or context is wrong (e.g. a destroyed day key). */
export async function decryptFieldBytes(key: CryptoKey, stored: string, context = ""): Promise<Bytes | null> {
  const raw = fromBase64url(stored);
  if (!raw || raw.length < 28) return null;
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt({ name: "AES-GCM", iv: raw.slice(0, 12), additionalData: utf8(context) }, key, raw.slice(12)),
    );
  } catch {
    return null;
  }
}

export async function decryptField(key: CryptoKey, stored: string, context = ""): Promise<string | null> {
  const bytes = await decryptFieldBytes(key, stored, context);
  return bytes ? fromUtf8(bytes) : null;
}

/**
 * Production Workers refuse PBKDF2 above 100,000 iterations (local workerd
 * allows more, so only a test catches it): this constant must stay ≤ 100,000.
 */
export const PBKDF2_ITERATIONS = 100_000;

/** "pbkdf2-sha256$100000$<salt>$<hash>" */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await pbkdf2(password, salt, PBKDF2_ITERATIONS);
  return `pbkdf2-sha256$${PBKDF2_ITERATIONS}$${toBase64url(salt)}$${toBase64url(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iterations, salt, hash] = stored.split("$");
  const saltBytes = salt ? fromBase64url(salt) : null;
  const expected = hash ? fromBase64url(hash) : null;
  const n = Number(iterations);
  if (scheme !== "pbkdf2-sha256" || !saltBytes || !expected || !Number.isInteger(n) || n < 1 || n > PBKDF2_ITERATIONS) return false;
  return equalBytes(await pbkdf2(password, saltBytes, n), expected);
}

async function pbkdf2(password: string, salt: Bytes, iterations: number): Promise<Bytes> {
  const key = await crypto.subtle.importKey("raw", utf8(password), "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256));
}
