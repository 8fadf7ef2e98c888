/**
 * Generates docs/test-vectors.json from the byte layout in docs/protocol.md.
 *
 *   npx tsx scripts/vectors.ts           write docs/test-vectors.json
 *   npx tsx scripts/vectors.ts --check   exit 1 if the file on disk differs
 *
 * Deliberately independent of shared/src: it uses only WebCrypto, Node's
 * base64url and its own RFC 9285 encoder, so the vectors are a second
 * implementation of the protocol that shared/test/vectors.test.ts holds
 * shared/src to. Every input is fixed (keys from RFC 8032 §7.1, a fixed
 * AES-GCM key and IV), so the output is byte-for-byte reproducible: Ed25519
 * signatures are deterministic.
 */
import { readFileSync, writeFileSync } from "node:fs";

const OUT = new URL("../docs/test-vectors.json", import.meta.url);

// ---- independent encoders ----
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (h: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(h, "hex"));
const b64u = (b: Uint8Array): string => Buffer.from(b).toString("base64url");
const b64uText = (s: string): string => Buffer.from(s, "utf8").toString("base64url");
const utf8 = (s: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(s, "utf8"));
const cat = (...parts: Uint8Array[]): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.concat(parts));

const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
function base45(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 2) {
    if (i + 1 < bytes.length) {
      const n = bytes[i]! * 256 + bytes[i + 1]!;
      out += B45[n % 45]! + B45[Math.floor(n / 45) % 45]! + B45[Math.floor(n / 2025)]!;
    } else {
      const n = bytes[i]!;
      out += B45[n % 45]! + B45[Math.floor(n / 45)]!;
    }
  }
  return out;
}

async function sha256(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

/** RFC 7638 thumbprint of an Ed25519 key: SHA-256 of {"crv","kty","x"} in lexicographic order. */
async function thumbprint(x: string): Promise<string> {
  return b64u(await sha256(utf8(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`)));
}

async function ed25519Key(secretHex: string, publicHex: string) {
  const d = b64u(unhex(secretHex));
  const x = b64u(unhex(publicHex));
  const kid = (await thumbprint(x)).slice(0, 8);
  const jwk = { kty: "OKP", crv: "Ed25519", x, d, kid, alg: "EdDSA", use: "sig" } as const;
  const privateKey = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x, d }, "Ed25519", false, ["sign"]);
  return { jwk, privateKey, thumbprint: await thumbprint(x) };
}

const sign = async (key: CryptoKey, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> =>
  new Uint8Array(await crypto.subtle.sign("Ed25519", key, data));

// ---- fixed inputs ----
// RFC 8032 §7.1 TEST 1 and TEST 2 key pairs (public, well known: never use them for anything else).
const issuerKey = await ed25519Key(
  "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
);
const authorityKey = await ed25519Key(
  "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
);
const handleKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const ivHex = "a0a1a2a3a4a5a6a7a8a9aaab";
const userRefHex = "00112233445566778899aabbccddeeff";
const nonce = 7;
const issuer = "naver";
const mintedAt = 1_767_225_600_123; // 2026-01-01T00:00:00.123Z

// ---- QR token v1 ----
const TTL_MS = 15_000;
const SKEW_MS = 5_000;
const aad = `KP1 handle ${issuer}`;
const handlePlain = cat(unhex(userRefHex), unhex(nonce.toString(16).padStart(8, "0")));
const aes = await crypto.subtle.importKey("raw", unhex(handleKeyHex), "AES-GCM", false, ["encrypt"]);
const ctTag = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: unhex(ivHex), additionalData: utf8(aad) }, aes, handlePlain));
const sealed = cat(unhex(ivHex), ctTag);
if (sealed.length !== 48) throw new Error("sealed handle must be 48 bytes");

const iat = Math.floor(mintedAt / 1000);
const iatBytes = unhex(iat.toString(16).padStart(8, "0"));
const issuerBytes = utf8(issuer);
const kidBytes = utf8(issuerKey.jwk.kid);
const body = cat(Uint8Array.of(issuerBytes.length), issuerBytes, Uint8Array.of(kidBytes.length), kidBytes, iatBytes, sealed);
const signedBytes = cat(utf8("KP1:"), body);
const tokenSig = await sign(issuerKey.privateKey, signedBytes);
const tokenBytes = cat(body, tokenSig);
const qr = "KP1:" + base45(tokenBytes);
const jti = b64u((await sha256(cat(utf8("KP1 jti"), sealed))).slice(0, 16));
const issuedAt = iat * 1000;
const expiresAt = issuedAt + TTL_MS;
const accepted = { ok: true, issuer, kid: issuerKey.jwk.kid, jti, issuedAt, expiresAt, sealedHex: hex(sealed) };

// ---- signed request ----
const requestBody = '{"phone":"01000000000","from":1767225600,"to":1767311999}';
const requestNow = 1_767_225_600_500;
const reqIat = Math.floor(requestNow / 1000);
const lifetime = 30;
const claims = {
  v: 1,
  aud: "naver",
  htm: "POST",
  htu: "/authority/v1/tokens",
  bdy: b64u(await sha256(utf8(requestBody))),
  iat: reqIat,
  exp: reqIat + lifetime,
  jti: "AAECAwQFBgcICQoLDA0ODw",
  case: "C-2026-0001",
  inv: "inv-0042",
  purpose: "contact tracing",
};
const protectedHeader = { alg: "EdDSA", kid: authorityKey.jwk.kid, typ: "kp-request+jws" };
const signingInput = `${b64uText(JSON.stringify(protectedHeader))}.${b64uText(JSON.stringify(claims))}`;
const jws = `${signingInput}.${b64u(await sign(authorityKey.privateKey, utf8(signingInput)))}`;
const REQUEST_SKEW_MS = 5_000;

const publicOf = (k: typeof issuerKey.jwk) => ({ kty: k.kty, crv: k.crv, x: k.x, kid: k.kid, alg: k.alg, use: k.use });

const vectors = {
  description: "KI-Pass protocol test vectors (docs/protocol.md). Generated by scripts/vectors.ts; keys are the RFC 8032 §7.1 test keys — public, never use them for anything else.",
  keys: {
    issuerSigning: { ...issuerKey.jwk, thumbprint: issuerKey.thumbprint, rfc8032: "TEST 1" },
    authoritySigning: { ...authorityKey.jwk, thumbprint: authorityKey.thumbprint, rfc8032: "TEST 2" },
    handleKeyHex,
  },
  token: {
    issuer,
    kid: issuerKey.jwk.kid,
    mintedAt,
    handle: { userRefHex, nonce, ivHex, aad, plaintextHex: hex(handlePlain) },
    sealedHex: hex(sealed),
    jti,
    issuedAt,
    expiresAt,
    signedHex: hex(signedBytes),
    signatureHex: hex(tokenSig),
    bytesHex: hex(tokenBytes),
    qr,
    length: qr.length,
    trust: { [issuer]: { keys: [publicOf(issuerKey.jwk)] } },
    checks: [
      { now: issuedAt, result: accepted },
      { now: expiresAt + SKEW_MS - 1, result: accepted },
      { now: expiresAt + SKEW_MS, result: { ok: false, code: "expired" } },
      { now: issuedAt - SKEW_MS, result: accepted },
      { now: issuedAt - SKEW_MS - 1, result: { ok: false, code: "not_yet_valid" } },
    ],
  },
  signedRequest: {
    input: {
      audience: claims.aud,
      method: claims.htm,
      path: claims.htu,
      body: requestBody,
      caseId: claims.case,
      investigator: claims.inv,
      purpose: claims.purpose,
      now: requestNow,
      lifetime,
      jti: claims.jti,
    },
    protectedHeader,
    claims,
    signingInput,
    jws,
    jwks: { keys: [publicOf(authorityKey.jwk)] },
    checks: [
      { audience: "naver", method: "POST", path: claims.htu, body: requestBody, now: requestNow, result: { ok: true } },
      { audience: "naver", method: "POST", path: claims.htu, body: requestBody, now: claims.exp * 1000 + REQUEST_SKEW_MS - 1, result: { ok: true } },
      { audience: "naver", method: "POST", path: claims.htu, body: requestBody, now: claims.exp * 1000 + REQUEST_SKEW_MS, result: { ok: false, code: "expired" } },
      { audience: "naver", method: "POST", path: claims.htu, body: requestBody, now: claims.iat * 1000 - REQUEST_SKEW_MS - 1, result: { ok: false, code: "issued_in_future" } },
      { audience: "kakao", method: "POST", path: claims.htu, body: requestBody, now: requestNow, result: { ok: false, code: "wrong_audience" } },
      { audience: "naver", method: "GET", path: claims.htu, body: requestBody, now: requestNow, result: { ok: false, code: "wrong_audience" } },
      { audience: "naver", method: "POST", path: claims.htu, body: requestBody + " ", now: requestNow, result: { ok: false, code: "body_mismatch" } },
    ],
  },
};

const text = JSON.stringify(vectors, null, 2) + "\n";
if (process.argv.includes("--check")) {
  const onDisk = readFileSync(OUT, "utf8");
  if (onDisk !== text) {
    console.error("docs/test-vectors.json is out of date: run npx tsx scripts/vectors.ts");
    process.exit(1);
  }
  console.log("docs/test-vectors.json is up to date");
} else {
  writeFileSync(OUT, text);
  console.log(`wrote docs/test-vectors.json: token ${qr.length} chars, jti ${jti}`);
}
