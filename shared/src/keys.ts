/**
 * Party keys as JWK: key ids, key rings with rotation, and the public JWKS
 * each party publishes at `/.well-known/jwks.json`.
 *
 * A ring holds the `current` key (used to sign), the `next` key (published
 * ahead of use, so verifiers already have it when it becomes current) and
 * `retired` public keys (published until what they signed has expired).
 * Verifiers accept every key in the published set.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { z } from "zod";

/** Token and request signatures: Ed25519 (small, fast, deterministic). */
export const SIGNING_ALG = "EdDSA";
/** Answers carrying personal data are encrypted to the authority with this. */
export const ENCRYPTION_ALG = "ECDH-ES+A256KW";
export const CONTENT_ENCRYPTION = "A256GCM";

export type KeyUse = "sig" | "enc";

const jwkSchema = z
  .object({
    kty: z.enum(["OKP", "EC"]),
    crv: z.enum(["Ed25519", "P-256"]),
    x: z.string().min(1),
    y: z.string().min(1).optional(),
    d: z.string().min(1).optional(),
    kid: z.string().min(1).max(16),
    alg: z.enum([SIGNING_ALG, ENCRYPTION_ALG]),
    use: z.enum(["sig", "enc"]),
  })
  .strip()
  // Only the two key types we use: a mismatched key would throw at import instead of being refused here.
  .refine(
    (k) =>
      (k.kty === "OKP" && k.crv === "Ed25519" && k.alg === SIGNING_ALG && k.use === "sig" && k.y === undefined) ||
      (k.kty === "EC" && k.crv === "P-256" && k.alg === ENCRYPTION_ALG && k.use === "enc" && k.y !== undefined),
    "key must be Ed25519/EdDSA for sig or P-256/ECDH-ES+A256KW for enc",
  );

export type PartyJwk = z.infer<typeof jwkSchema>;

export const jwksSchema = z.object({ keys: z.array(jwkSchema).max(16) });
export type Jwks = z.infer<typeof jwksSchema>;

export const keyRingSchema = z.object({
  current: jwkSchema,
  next: jwkSchema,
  retired: z.array(jwkSchema).max(4),
});
export type KeyRing = z.infer<typeof keyRingSchema>;

/** Key ids are the first 8 characters of the RFC 7638 thumbprint: short enough for the QR token. */
export const KID_LENGTH = 8;

export async function generatePartyKey(use: KeyUse): Promise<PartyJwk> {
  const alg = use === "sig" ? SIGNING_ALG : ENCRYPTION_ALG;
  const { privateKey } = await generateKeyPair(alg, {
    crv: use === "sig" ? "Ed25519" : "P-256",
    extractable: true,
  });
  const jwk = await exportJWK(privateKey);
  const kid = (await calculateJwkThumbprint(jwk)).slice(0, KID_LENGTH);
  return jwkSchema.parse({ ...jwk, kid, alg, use });
}

export async function generateKeyRing(use: KeyUse): Promise<KeyRing> {
  return { current: await generatePartyKey(use), next: await generatePartyKey(use), retired: [] };
}

/** The public half of a key: what may be published. */
export function publicJwk(jwk: PartyJwk): PartyJwk {
  const { d: _private, ...pub } = jwk;
  return pub;
}

/** What a party publishes: current, next and still-needed retired keys, public halves only. */
export function publishedJwks(...rings: KeyRing[]): Jwks {
  return { keys: rings.flatMap((r) => [r.current, r.next, ...r.retired].map(publicJwk)) };
}

/**
 * Rotation: next becomes current, a fresh key becomes next, the old current
 * is kept (public half) as retired so what it signed stays verifiable.
 * Rotate no more often than a signature's lifetime (15 s tokens, 60 s
 * requests): only the most recent retired key is kept.
 */
export async function rotateKeyRing(ring: KeyRing): Promise<KeyRing> {
  const use = ring.current.use;
  return {
    current: ring.next,
    next: await generatePartyKey(use),
    retired: [publicJwk(ring.current)],
  };
}

/** Parses a key ring from a secret (JSON); throws at startup when misconfigured. */
export function parseKeyRing(json: string | undefined, name: string): KeyRing {
  const parsed = keyRingSchema.safeParse(safeJson(json));
  // next becomes current at the next rotation: it must be private too, or rotation breaks signing.
  if (!parsed.success || !parsed.data.current.d || !parsed.data.next.d) {
    throw new Error(`${name} is missing or not a key ring with private keys (run: npm run keys)`);
  }
  return parsed.data;
}

/** Parses a published JWKS (a pinned var or a fetched document); null when invalid. */
export function parseJwks(value: unknown): Jwks | null {
  const parsed = jwksSchema.safeParse(typeof value === "string" ? safeJson(value) : value);
  return parsed.success ? parsed.data : null;
}

function safeJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const imported = new Map<string, Promise<CryptoKey>>();

/**
 * Imports a JWK as a CryptoKey, memoised per key (importing is the slow part of
 * verifying on the scan hot path).
 */
export function importPartyKey(jwk: PartyJwk, usage: "private" | "public"): Promise<CryptoKey> {
  const memo = `${usage}:${jwk.kid}:${jwk.x}`;
  let key = imported.get(memo);
  if (!key) {
    const material: JWK = usage === "public" ? publicJwk(jwk) : jwk;
    key = importJWK(material, jwk.alg).then((k) => {
      if (!(k instanceof CryptoKey)) throw new Error("expected an asymmetric key");
      return k;
    });
    key.catch(() => imported.delete(memo));
    imported.set(memo, key);
  }
  return key;
}

export function findKey(jwks: Jwks, kid: string, use: KeyUse): PartyJwk | undefined {
  return jwks.keys.find((k) => k.kid === kid && k.use === use);
}
