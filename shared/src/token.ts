/**
 * QR token v1 ("KP1:"): what a visitor's phone shows and a facility device
 * scans. Byte-level specification and test vectors: docs/protocol.md.
 *
 *   "KP1:" base45( issuerLen u8 | issuer | kidLen u8 | kid | iat u32be | sealed[48] | sig[64] )
 *
 * - authentic: Ed25519 signature by the issuer over "KP1:" | everything before sig;
 * - opaque: `sealed` is AES-GCM under an issuer-only key; only the issuer
 *   can open it to a user reference and per-user nonce (R-I2, R-R1);
 * - one-time: jti = first 16 bytes of SHA-256("KP1 jti" | sealed), base64url;
 * - short-lived: valid 15 s from iat (R-U4), plus CLOCK_SKEW_MS either side;
 * - small: at most 221 alphanumeric characters, i.e. QR version 8 at level M.
 */
import { concat, fromUtf8, randomBytes, sha256, toBase64url, utf8, type Bytes } from "./bytes.js";
import { decodeBase45, encodeBase45 } from "./base45.js";
import { AppError, fail, type ErrorStatus, type Failure } from "./errors.js";
import { findKey, importPartyKey, type Jwks } from "./keys.js";

export const TOKEN_PREFIX = "KP1:";
const TOKEN_PREFIX_BYTES = utf8(TOKEN_PREFIX);
/** R-U4: a QR code is valid for 15 seconds. */
export const TOKEN_TTL_MS = 15_000;
/** Allowance for clock differences between issuer and registry and for upload time. */
export const CLOCK_SKEW_MS = 5_000;

export const USER_REF_BYTES = 16;
export const SEALED_BYTES = 12 + USER_REF_BYTES + 4 + 16; // iv | ciphertext(userRef | nonce) | tag
export const SIGNATURE_BYTES = 64;
const MAX_ID = 16;
const ISSUER_ID = /^[a-z0-9-]{1,16}$/;
const KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;

export type TokenErrorCode = "malformed" | "unknown_issuer" | "unknown_key" | "bad_signature" | "expired" | "not_yet_valid";
export type TokenFailure = Failure<TokenErrorCode>;

/** HTTP status for each refusal of a scanned token; the body is the error envelope. */
export const TOKEN_ERROR_STATUS: Record<TokenErrorCode, ErrorStatus> = {
  malformed: 400,
  unknown_issuer: 422,
  unknown_key: 422,
  bad_signature: 422,
  expired: 422,
  not_yet_valid: 422,
};

export const tokenError = (f: TokenFailure): AppError => new AppError(TOKEN_ERROR_STATUS[f.code], f.code, f.message);

export interface VerifiedToken {
  issuer: string;
  kid: string;
  jti: string;
  /** ms since epoch (whole seconds: the token carries seconds). */
  issuedAt: number;
  /** issuedAt + 15 s; the registry still accepts it for CLOCK_SKEW_MS after. */
  expiresAt: number;
  sealed: Bytes;
}

export interface MintedToken {
  qr: string;
  jti: string;
  issuedAt: number;
  expiresAt: number;
}

/** Trust list: issuer id → that issuer's published JWKS. */
export type IssuerTrustList = Readonly<Record<string, Jwks>>;

export interface MintInput {
  issuer: string;
  kid: string;
  privateKey: CryptoKey;
  sealed: Bytes;
  now: number;
}

export async function mintToken(input: MintInput): Promise<MintedToken> {
  if (!ISSUER_ID.test(input.issuer)) throw new Error(`issuer id must match ${ISSUER_ID}`);
  if (!KEY_ID.test(input.kid)) throw new Error(`key id must match ${KEY_ID}`);
  if (input.sealed.length !== SEALED_BYTES) throw new Error(`sealed handle must be ${SEALED_BYTES} bytes`);
  const iat = Math.floor(input.now / 1000);
  if (!Number.isInteger(iat) || iat < 0 || iat > 0xffffffff) throw new Error("now is outside the token's u32 seconds range");
  const iatBytes = new Uint8Array(4);
  new DataView(iatBytes.buffer).setUint32(0, iat);
  const issuer = utf8(input.issuer);
  const kid = utf8(input.kid);
  const body = concat(Uint8Array.of(issuer.length), issuer, Uint8Array.of(kid.length), kid, iatBytes, input.sealed);
  const sig = new Uint8Array(await crypto.subtle.sign("Ed25519", input.privateKey, concat(TOKEN_PREFIX_BYTES, body)));
  return {
    qr: TOKEN_PREFIX + encodeBase45(concat(body, sig)),
    jti: await tokenId(input.sealed),
    issuedAt: iat * 1000,
    expiresAt: iat * 1000 + TOKEN_TTL_MS,
  };
}

/** The one-time id of a token: derived from its sealed handle, so it needs no extra bytes. */
export async function tokenId(sealed: Bytes): Promise<string> {
  return toBase64url((await sha256(concat(utf8("KP1 jti"), sealed))).slice(0, 16));
}

interface ParsedToken {
  issuer: string;
  kid: string;
  iat: number;
  sealed: Bytes;
  signed: Bytes;
  sig: Bytes;
}

/** Splits a token into its fields without checking the signature. Never throws. */
export function parseToken(qr: unknown): ParsedToken | TokenFailure {
  if (typeof qr !== "string") return fail("malformed", "token must be a string");
  if (!qr.startsWith(TOKEN_PREFIX)) return fail("malformed", `token must start with ${TOKEN_PREFIX}`);
  if (qr.length > 400) return fail("malformed", "token is too long");
  const bytes = decodeBase45(qr.slice(TOKEN_PREFIX.length));
  if (!bytes) return fail("malformed", "token is not valid base45");
  let at = 0;
  // Views into `bytes`, not copies: a copy is a new buffer for the runtime to free, five per scan.
  const take = (n: number): Bytes | null => {
    if (at + n > bytes.length) return null;
    const part = bytes.subarray(at, at + n);
    at += n;
    return part;
  };
  const readId = (pattern: RegExp): string | null => {
    const len = take(1)?.[0];
    if (len === undefined || len < 1 || len > MAX_ID) return null;
    const raw = take(len);
    const text = raw ? fromUtf8(raw) : null;
    return text !== null && pattern.test(text) ? text : null;
  };
  const issuer = readId(ISSUER_ID);
  if (issuer === null) return fail("malformed", "token has no valid issuer id");
  const kid = readId(KEY_ID);
  if (kid === null) return fail("malformed", "token has no valid key id");
  const iatBytes = take(4);
  const sealed = take(SEALED_BYTES);
  const sig = take(SIGNATURE_BYTES);
  if (!iatBytes || !sealed || !sig || at !== bytes.length) return fail("malformed", "token has the wrong length");
  const iat = new DataView(iatBytes.buffer, iatBytes.byteOffset).getUint32(0);
  const signed = concat(TOKEN_PREFIX_BYTES, bytes.subarray(0, at - SIGNATURE_BYTES));
  // The sealed handle leaves this function (to the issuer's vault, over RPC): its own buffer, not a view of the token's.
  return { issuer, kid, iat, sealed: sealed.slice(), signed, sig };
}

/**
 * Verifies a scanned token against the trust list at time `now` (ms).
 * Order: shape, issuer, key, signature, then time — so a tampered time is a
 * bad signature, not "expired".
 */
export async function verifyToken(
  qr: unknown,
  trust: IssuerTrustList,
  now: number,
): Promise<({ ok: true } & VerifiedToken) | TokenFailure> {
  const parsed = parseToken(qr);
  if ("ok" in parsed) return parsed;
  const jwks = Object.hasOwn(trust, parsed.issuer) ? trust[parsed.issuer] : undefined;
  if (!jwks) return fail("unknown_issuer", `issuer "${parsed.issuer}" is not trusted`);
  const jwk = findKey(jwks, parsed.kid, "sig");
  if (!jwk) return fail("unknown_key", `issuer "${parsed.issuer}" has no key "${parsed.kid}"`);
  let valid: boolean;
  try {
    valid = await crypto.subtle.verify("Ed25519", await importPartyKey(jwk, "public"), parsed.sig, parsed.signed);
  } catch {
    return fail("unknown_key", `issuer "${parsed.issuer}" key "${parsed.kid}" cannot be used`);
  }
  if (!valid) return fail("bad_signature", "token signature does not verify");
  const issuedAt = parsed.iat * 1000;
  const expiresAt = issuedAt + TOKEN_TTL_MS;
  if (now < issuedAt - CLOCK_SKEW_MS) return fail("not_yet_valid", "token was issued in the future");
  if (now >= expiresAt + CLOCK_SKEW_MS) return fail("expired", "token has expired (15 s)");
  return {
    ok: true,
    issuer: parsed.issuer,
    kid: parsed.kid,
    jti: await tokenId(parsed.sealed),
    issuedAt,
    expiresAt,
    sealed: parsed.sealed,
  };
}

/** What the sealed handle hides: which user, and which of their tokens. */
export interface Handle {
  userRef: Bytes;
  nonce: number;
}

const handleAad = (issuer: string) => utf8(`KP1 handle ${issuer}`);

/** Seals a handle under an issuer-only AES-GCM key (a day key in the issuer). */
export async function sealHandle(key: CryptoKey, issuer: string, handle: Handle): Promise<Bytes> {
  if (handle.userRef.length !== USER_REF_BYTES) throw new Error(`userRef must be ${USER_REF_BYTES} bytes`);
  if (!Number.isInteger(handle.nonce) || handle.nonce < 0 || handle.nonce > 0xffffffff) throw new Error("nonce must be a u32");
  const plain = new Uint8Array(USER_REF_BYTES + 4);
  plain.set(handle.userRef);
  new DataView(plain.buffer).setUint32(USER_REF_BYTES, handle.nonce);
  const iv = randomBytes(12);
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: handleAad(issuer) }, key, plain));
  return concat(iv, ct);
}

/** Opens a sealed handle; null when it was not sealed under this key for this issuer. */
export async function openHandle(key: CryptoKey, issuer: string, sealed: Bytes): Promise<Handle | null> {
  if (sealed.length !== SEALED_BYTES) return null;
  try {
    const plain = new Uint8Array(
      await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.slice(0, 12), additionalData: handleAad(issuer) }, key, sealed.slice(12)),
    );
    return { userRef: plain.slice(0, USER_REF_BYTES), nonce: new DataView(plain.buffer).getUint32(USER_REF_BYTES) };
  } catch {
    return null;
  }
}
