/** Byte helpers shared by the codecs. Pure, WebCrypto-free. */
/** Bytes backed by a plain ArrayBuffer: what WebCrypto accepts. */
export type Bytes = Uint8Array<ArrayBuffer>;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

// TextEncoder always allocates a fresh ArrayBuffer (some lib typings say ArrayBufferLike); no copy needed.
export const utf8 = (text: string): Bytes => encoder.encode(text) as Bytes;

/** Strict UTF-8 decode; returns null on invalid bytes instead of throwing. */
export function fromUtf8(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

export function concat(...parts: Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function equalBytes(a: Bytes, b: Bytes): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * An ASCII alphabet as character codes (for encoding) and a code → value
 * table (for decoding; -1 for any other character). Texts are written as
 * codes and made a string once: one built a character at a time with `+=`
 * leaves one string object per character as garbage (a scan encodes a few
 * hundred).
 */
export function asciiAlphabet(alphabet: string) {
  const codes = encoder.encode(alphabet);
  const values = new Int8Array(128).fill(-1);
  codes.forEach((code, i) => (values[code] = i));
  return {
    codes,
    valueAt: (text: string, i: number): number => {
      const code = text.charCodeAt(i);
      return code < 128 ? values[code]! : -1;
    },
    /** Character codes of this alphabet → a string (ASCII is valid UTF-8: the decode cannot throw). */
    text: (out: Uint8Array): string => decoder.decode(out),
  };
}

const B64URL = asciiAlphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

/** base64url without padding (RFC 4648 §5). */
export function toBase64url(bytes: Bytes): string {
  const out = new Uint8Array(Math.ceil((bytes.length * 8) / 6));
  let o = 0;
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, out.length - o);
    for (let j = 0; j < chars; j++) out[o++] = B64URL.codes[(n >> (18 - 6 * j)) & 63]!;
  }
  return B64URL.text(out);
}

/** Strict base64url decode (no padding, canonical trailing bits); null when invalid. */
export function fromBase64url(text: string): Bytes | null {
  if (text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const v = B64URL.valueAt(text, i);
    if (v < 0) return null;
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 0xff;
    }
  }
  if ((value & ((1 << bits) - 1)) !== 0) return null; // non-canonical leftover bits
  return out;
}

export async function sha256(data: Bytes): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

export function randomBytes(length: number): Bytes {
  return crypto.getRandomValues(new Uint8Array(length));
}
