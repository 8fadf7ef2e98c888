/** Test helpers: hex, fixtures for issuers and handle keys, and reference encoders independent of src/. */
import type { Bytes } from "../src/bytes.js";
import { generateKeyRing, importPartyKey, publishedJwks, type KeyRing } from "../src/keys.js";
import { mintToken, sealHandle, type Handle, type MintedToken } from "../src/token.js";

/** 2027-01-15T08:00:00.250Z: a fixed "now" for tests that do not care which. */
export const T0 = 1_800_000_000_250;

export const BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
export const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** The QR alphanumeric-mode character set (ISO/IEC 18004 table 5). */
export const QR_ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]*$/;

export function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(hex: string): Bytes {
  if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) throw new Error(`not hex: ${hex}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Copies into a plain ArrayBuffer-backed array (what fast-check gives is ArrayBufferLike). */
export const bytes = (a: ArrayLike<number>): Bytes => Uint8Array.from(a);

export const utf8 = (s: string): Bytes => new TextEncoder().encode(s);

/** Plain-atob base64url decoder (lenient: ignores leftover bits), for inspecting outputs. */
export function b64urlDecodeLoose(text: string): Bytes {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function b64urlEncode(data: Uint8Array): string {
  let bin = "";
  for (const b of data) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function newAesKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

export interface IssuerFixture {
  id: string;
  ring: KeyRing;
  aes: CryptoKey;
  privateKey: CryptoKey;
  /** Trust list with only this issuer. */
  trust: Record<string, ReturnType<typeof publishedJwks>>;
  mint(handle: Handle, now: number): Promise<MintedToken & { sealed: Bytes }>;
}

export async function issuerFixture(id: string, ring?: KeyRing): Promise<IssuerFixture> {
  const r = ring ?? (await generateKeyRing("sig"));
  const aes = await newAesKey();
  const privateKey = await importPartyKey(r.current, "private");
  return {
    id,
    ring: r,
    aes,
    privateKey,
    trust: { [id]: publishedJwks(r) },
    async mint(handle, now) {
      const sealed = await sealHandle(aes, id, handle);
      return { ...(await mintToken({ issuer: id, kid: r.current.kid, privateKey, sealed, now })), sealed };
    },
  };
}

export const someHandle = (nonce = 1): Handle => ({ userRef: Uint8Array.from({ length: 16 }, (_, i) => i * 7), nonce });

/** Independent base45 encoder (RFC 9285 §4), to cross-check src/base45.ts on fixed inputs. */
export function referenceBase45(data: Uint8Array): string {
  let out = "";
  for (let i = 0; i < data.length; i += 2) {
    if (i + 1 < data.length) {
      const n = data[i]! * 256 + data[i + 1]!;
      const e = Math.floor(n / 2025);
      const d = Math.floor((n - e * 2025) / 45);
      out += BASE45_ALPHABET[n - e * 2025 - d * 45]! + BASE45_ALPHABET[d]! + BASE45_ALPHABET[e]!;
    } else {
      const n = data[i]!;
      out += BASE45_ALPHABET[n % 45]! + BASE45_ALPHABET[Math.floor(n / 45)]!;
    }
  }
  return out;
}
