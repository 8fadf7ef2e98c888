import { asciiAlphabet, type Bytes } from "./bytes.js";
/**
 * Base45 (RFC 9285): bytes in the QR alphanumeric alphabet, so a QR code can
 * use its dense alphanumeric mode (the EU COVID certificate does the same).
 */
const ALPHABET = asciiAlphabet("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:");

export function encodeBase45(bytes: Bytes): string {
  const out = new Uint8Array(3 * Math.floor(bytes.length / 2) + 2 * (bytes.length % 2));
  let o = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    let n = bytes[i]! * 256 + bytes[i + 1]!;
    for (let k = 0; k < 3; k++) {
      out[o++] = ALPHABET.codes[n % 45]!;
      n = Math.floor(n / 45);
    }
  }
  if (bytes.length % 2 === 1) {
    const n = bytes[bytes.length - 1]!;
    out[o++] = ALPHABET.codes[n % 45]!;
    out[o++] = ALPHABET.codes[Math.floor(n / 45)]!;
  }
  return ALPHABET.text(out);
}

/** Strict decode: every encoding is canonical, so a changed character never decodes to the same bytes. */
export function decodeBase45(text: string): Bytes | null {
  if (text.length % 3 === 1) return null;
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  let o = 0;
  for (let i = 0; i < text.length; i += 3) {
    const size = Math.min(3, text.length - i);
    let n = 0;
    for (let k = size - 1; k >= 0; k--) {
      const v = ALPHABET.valueAt(text, i + k);
      if (v < 0) return null;
      n = n * 45 + v;
    }
    if (size === 3) {
      if (n > 0xffff) return null;
      out[o++] = n >> 8;
      out[o++] = n & 0xff;
    } else {
      if (n > 0xff) return null;
      out[o++] = n;
    }
  }
  return out;
}
