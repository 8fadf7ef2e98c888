/**
 * Signed requests (authority → issuer/registry, R-A3) and sealed answers.
 * Byte-level specification and test vectors: docs/protocol.md.
 *
 * A request carries `KP-Signature: <compact JWS>` (EdDSA, the authority's
 * key) whose payload binds it to one receiver, method, path and body, for at
 * most 60 s, once, under a case, an investigator and a purpose. Answers that
 * carry personal data are signed by the answering party and encrypted to the
 * authority (nested JWS in JWE).
 */
import { CompactEncrypt, CompactSign, compactDecrypt, compactVerify, decodeProtectedHeader } from "jose";
import { z } from "zod";
import { fromBase64url, fromUtf8, sha256, toBase64url, utf8, type Bytes } from "./bytes.js";
import { AppError, fail, type ErrorStatus, type Failure } from "./errors.js";
import {
  CONTENT_ENCRYPTION,
  ENCRYPTION_ALG,
  SIGNING_ALG,
  findKey,
  importPartyKey,
  type Jwks,
  type KeyRing,
  type PartyJwk,
} from "./keys.js";

export const SIGNATURE_HEADER = "KP-Signature";
export const REQUEST_TYP = "kp-request+jws";
export const RESPONSE_TYP = "kp-answer+jws";
/** A signed request lives at most this long (issued-at to expiry). */
export const MAX_REQUEST_LIFETIME_S = 60;
/** Allowance for the sender's clock, at both ends of the window. */
export const REQUEST_SKEW_MS = 5_000;
/**
 * How long a replay store keeps a request id after the request's last
 * accepted instant. Each request checks the time with its own clock, read
 * when it arrived, and the store's cleanup uses the clock of whichever request
 * runs it: without a margin, a replay that passed the time check just before
 * the window closed could reach its claim after a later request had already
 * deleted the id, and be accepted twice. The margin must outlast the time
 * from a request's clock read to its claim plus any clock difference between
 * isolates; a minute is far more than either.
 */
export const REPLAY_RETENTION_MARGIN_MS = 60_000;

const id = (max: number) => z.string().min(1).max(max).regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces");

export const requestClaimsSchema = z
  .object({
    v: z.literal(1),
    aud: id(64),
    htm: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    htu: z.string().min(1).max(2048).startsWith("/"),
    bdy: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "base64url SHA-256"),
    iat: z.number().int().nonnegative(),
    exp: z.number().int().nonnegative(),
    jti: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
    case: id(64),
    inv: id(64),
    purpose: z.string().min(1).max(200),
  })
  .strict();

export type RequestClaims = z.infer<typeof requestClaimsSchema>;

export type SignedRequestErrorCode =
  | "missing"
  | "malformed"
  | "bad_signature"
  | "wrong_audience"
  | "expired"
  | "issued_in_future"
  | "body_mismatch"
  | "replayed";

/** HTTP status for each refusal; the body is the error envelope. */
export const SIGNED_REQUEST_STATUS: Record<SignedRequestErrorCode, ErrorStatus> = {
  missing: 401,
  malformed: 400,
  bad_signature: 401,
  wrong_audience: 403,
  expired: 401,
  issued_in_future: 401,
  body_mismatch: 400,
  replayed: 409,
};

export const signedRequestError = (f: SignedRequestFailure): AppError =>
  new AppError(SIGNED_REQUEST_STATUS[f.code], f.code, f.message);

export interface SignRequestInput {
  /** The authority's current private signing key. */
  key: PartyJwk;
  audience: string;
  method: string;
  /** Path and query, as the receiver will see them: "/authority/v1/visits?x=1". */
  path: string;
  body: Bytes | string;
  caseId: string;
  investigator: string;
  purpose: string;
  now: number;
  /** Seconds from issued-at to expiry; at most 60. */
  lifetime?: number;
  /** Unique id; random when omitted. */
  jti?: string;
}

export async function bodyDigest(body: Bytes | string): Promise<string> {
  return toBase64url(await sha256(typeof body === "string" ? utf8(body) : body));
}

/** Returns the headers to add to the request. */
export async function signRequest(input: SignRequestInput): Promise<Record<string, string>> {
  const iat = Math.floor(input.now / 1000);
  const claims = requestClaimsSchema.parse({
    v: 1,
    aud: input.audience,
    htm: input.method.toUpperCase() as RequestClaims["htm"],
    htu: input.path,
    bdy: await bodyDigest(input.body),
    iat,
    exp: iat + (input.lifetime ?? 30),
    jti: input.jti ?? toBase64url(crypto.getRandomValues(new Uint8Array(16))),
    case: input.caseId,
    inv: input.investigator,
    purpose: input.purpose,
  } satisfies RequestClaims);
  if (claims.exp - claims.iat > MAX_REQUEST_LIFETIME_S || claims.exp <= claims.iat) {
    throw new Error(`lifetime must be 1..${MAX_REQUEST_LIFETIME_S} s`);
  }
  const jws = await new CompactSign(utf8(JSON.stringify(claims)))
    .setProtectedHeader({ alg: SIGNING_ALG, kid: input.key.kid, typ: REQUEST_TYP })
    .sign(await importPartyKey(input.key, "private"));
  return { [SIGNATURE_HEADER]: jws };
}

/** Remembers request ids until `until`; `claim` is false for an id seen before. */
export interface ReplayStore {
  claim(jti: string, until: number): Promise<boolean>;
}

/** For tests and single-isolate use; the workers keep theirs in storage. */
export class MemoryReplayStore implements ReplayStore {
  private readonly seen = new Map<string, number>();
  constructor(private readonly now: () => number = Date.now) {}
  async claim(jti: string, until: number): Promise<boolean> {
    const t = this.now();
    for (const [k, exp] of this.seen) if (exp <= t) this.seen.delete(k);
    if (this.seen.has(jti)) return false;
    this.seen.set(jti, until);
    return true;
  }
}

export interface IncomingRequest {
  method: string;
  /** Path and query as received. */
  path: string;
  headers: Headers;
  body: Bytes;
}

export interface VerifyRequestOptions {
  /** This receiver's party id. */
  audience: string;
  /** The authority's pinned JWKS. */
  jwks: Jwks;
  replay: ReplayStore;
  now: number;
}

/** A refusal; once the signature has verified, with its claims, so the audit log can name the request, case and investigator. */
export type SignedRequestFailure = Failure<SignedRequestErrorCode> & { claims?: RequestClaims };

/**
 * Verifies a signed request. Order: present, well-formed, signature, target
 * (audience, method, path), time, body, and only then the replay claim, so a
 * refused request never uses up its id.
 */
export async function verifySignedRequest(
  req: IncomingRequest,
  opts: VerifyRequestOptions,
): Promise<{ ok: true; claims: RequestClaims } | SignedRequestFailure> {
  const jws = req.headers.get(SIGNATURE_HEADER);
  if (jws === null || jws === "") return fail("missing", `${SIGNATURE_HEADER} header is required`);
  const parts = jws.split(".");
  // jose decodes the signature leniently (ignores leftover base64url bits): insist on the canonical form.
  if (parts.length !== 3 || jws.length > 8192 || fromBase64url(parts[2]!) === null) return fail("malformed", "signature is not a compact JWS");
  const header = decodeJson(parts[0]!);
  const payload = decodeJson(parts[1]!);
  const headerOk = z
    .object({ alg: z.literal(SIGNING_ALG), kid: z.string().min(1).max(16), typ: z.literal(REQUEST_TYP) })
    .strict()
    .safeParse(header);
  if (!headerOk.success) return fail("malformed", "signature header must be {alg: EdDSA, kid, typ: kp-request+jws}");
  const claimsOk = requestClaimsSchema.safeParse(payload);
  if (!claimsOk.success) return fail("malformed", `signed claims are invalid: ${claimsOk.error.issues[0]?.message ?? "shape"}`);
  const claims = claimsOk.data;
  const jwk = findKey(opts.jwks, headerOk.data.kid, "sig");
  if (!jwk) return fail("bad_signature", `no pinned authority key "${headerOk.data.kid}"`);
  try {
    await compactVerify(jws, await importPartyKey(jwk, "public"), { algorithms: [SIGNING_ALG] });
  } catch {
    return fail("bad_signature", "signature does not verify");
  }
  const signed = (code: SignedRequestErrorCode, message: string): SignedRequestFailure => ({ ...fail(code, message), claims });
  if (claims.aud !== opts.audience) return signed("wrong_audience", `request is for "${claims.aud}", not "${opts.audience}"`);
  if (claims.htm !== req.method.toUpperCase() || claims.htu !== req.path) {
    return signed("wrong_audience", `request was signed for ${claims.htm} ${claims.htu}, not ${req.method} ${req.path}`);
  }
  if (claims.exp <= claims.iat || claims.exp - claims.iat > MAX_REQUEST_LIFETIME_S) {
    return signed("malformed", `lifetime must be 1..${MAX_REQUEST_LIFETIME_S} s`);
  }
  if (claims.iat * 1000 > opts.now + REQUEST_SKEW_MS) return signed("issued_in_future", "request was issued in the future");
  if (opts.now >= claims.exp * 1000 + REQUEST_SKEW_MS) return signed("expired", "request has expired");
  if ((await bodyDigest(req.body)) !== claims.bdy) return signed("body_mismatch", "body does not match the signed digest");
  if (!(await opts.replay.claim(claims.jti, claims.exp * 1000 + REQUEST_SKEW_MS + REPLAY_RETENTION_MARGIN_MS))) {
    return signed("replayed", "request id was used before");
  }
  return { ok: true, claims };
}

function decodeJson(part: string): unknown {
  const bytes = fromBase64url(part);
  const text = bytes ? fromUtf8(bytes) : null;
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

// ---- Answers: signed by the answering party, encrypted to the authority ----

const answerSchema = z
  .object({ iss: id(64), req: z.string().min(1).max(64), iat: z.number().int(), data: z.unknown() })
  .strict();

export interface SealAnswerInput {
  data: unknown;
  /** The answering party's id and current private signing key. */
  from: string;
  signingKey: PartyJwk;
  /** The authority's published JWKS: encrypted to its first (current) `enc` key. */
  to: Jwks;
  /** The `jti` of the request being answered, so an answer cannot be swapped. */
  requestId: string;
  now: number;
}

export async function sealAnswer(input: SealAnswerInput): Promise<string> {
  const recipient = input.to.keys.find((k) => k.use === "enc");
  if (!recipient) throw new Error("authority JWKS has no encryption key");
  const inner = await new CompactSign(
    utf8(JSON.stringify({ iss: input.from, req: input.requestId, iat: Math.floor(input.now / 1000), data: input.data })),
  )
    .setProtectedHeader({ alg: SIGNING_ALG, kid: input.signingKey.kid, typ: RESPONSE_TYP })
    .sign(await importPartyKey(input.signingKey, "private"));
  return new CompactEncrypt(utf8(inner))
    .setProtectedHeader({ alg: ENCRYPTION_ALG, enc: CONTENT_ENCRYPTION, kid: recipient.kid, cty: "JWT" })
    .encrypt(await importPartyKey(recipient, "public"));
}

export type AnswerErrorCode = "malformed" | "undecryptable" | "bad_signature" | "wrong_answer";

export interface OpenAnswerOptions {
  /** The authority's encryption key ring (private keys). */
  decryption: KeyRing;
  /** The answering party's published JWKS and id. */
  senderJwks: Jwks;
  sender: string;
  requestId: string;
}

export async function openAnswer(
  jwe: unknown,
  opts: OpenAnswerOptions,
): Promise<{ ok: true; data: unknown } | Failure<AnswerErrorCode>> {
  if (typeof jwe !== "string" || jwe.split(".").length !== 5) return fail("malformed", "answer is not a compact JWE");
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(jwe).kid;
  } catch {
    return fail("malformed", "answer header is not valid");
  }
  const own = [opts.decryption.current, opts.decryption.next].find((k) => k.kid === kid && k.d);
  if (!own) return fail("undecryptable", `answer is encrypted to an unknown key "${kid ?? ""}"`);
  let inner: string;
  try {
    const { plaintext } = await compactDecrypt(jwe, await importPartyKey(own, "private"), {
      keyManagementAlgorithms: [ENCRYPTION_ALG],
      contentEncryptionAlgorithms: [CONTENT_ENCRYPTION],
    });
    inner = fromUtf8(plaintext) ?? "";
  } catch {
    return fail("undecryptable", "answer does not decrypt");
  }
  const parts = inner.split(".");
  const header = parts.length === 3 ? decodeJson(parts[0]!) : undefined;
  const signerKid = z.object({ kid: z.string() }).safeParse(header);
  const jwk = signerKid.success ? findKey(opts.senderJwks, signerKid.data.kid, "sig") : undefined;
  if (!jwk) return fail("bad_signature", `answer is not signed by a key of "${opts.sender}"`);
  let payload: unknown;
  try {
    const verified = await compactVerify(inner, await importPartyKey(jwk, "public"), { algorithms: [SIGNING_ALG] });
    if (verified.protectedHeader.typ !== RESPONSE_TYP) return fail("malformed", "inner object is not an answer");
    payload = JSON.parse(fromUtf8(verified.payload) ?? "") as unknown;
  } catch {
    return fail("bad_signature", "answer signature does not verify");
  }
  const answer = answerSchema.safeParse(payload);
  if (!answer.success) return fail("malformed", "answer claims are invalid");
  if (answer.data.iss !== opts.sender || answer.data.req !== opts.requestId) {
    return fail("wrong_answer", "answer is from another party or for another request");
  }
  return { ok: true, data: answer.data.data };
}
