/**
 * Test helper: acts as the authority towards one party worker — signs a
 * request with the authority's test keys and opens the sealed answer.
 * Used inside workerd (worker tests) and in Node (stack tests).
 */
import { CompactSign } from "jose";
import {
  REQUEST_TYP,
  SIGNATURE_HEADER,
  SIGNING_ALG,
  bodyDigest,
  generateKeyRing,
  importPartyKey,
  openAnswer,
  parseJwks,
  parseKeyRing,
  randomBytes,
  signRequest,
  toBase64url,
  utf8,
  type Jwks,
  type KeyRing,
} from "../shared/src/index.js";

export interface AuthorityKeys {
  signing: KeyRing;
  encryption: KeyRing;
}

export function authorityKeys(signing: string | undefined, encryption: string | undefined): AuthorityKeys {
  return { signing: parseKeyRing(signing, "authority signing"), encryption: parseKeyRing(encryption, "authority encryption") };
}

export interface SignedCall {
  audience: string;
  method?: string;
  path: string;
  body?: string;
  caseId?: string;
  investigator?: string;
  purpose?: string;
  now?: number;
  lifetime?: number;
}

/** Builds a signed Request for `base` (an origin). */
export async function signedRequest(keys: AuthorityKeys, base: string, call: SignedCall): Promise<Request> {
  const method = call.method ?? "POST";
  const body = call.body ?? "{}";
  const headers = await signRequest({
    key: keys.signing.current,
    audience: call.audience,
    method,
    path: call.path,
    body,
    caseId: call.caseId ?? "case-2026-0001",
    investigator: call.investigator ?? "inv-kim",
    purpose: call.purpose ?? "contact_tracing",
    now: call.now ?? Date.now(),
    lifetime: call.lifetime,
  });
  return new Request(base + call.path, {
    method,
    headers: { ...headers, "content-type": "application/json" },
    body: method === "GET" ? undefined : body,
  });
}

export function requestId(req: Request): string {
  const jws = req.headers.get("KP-Signature") ?? "";
  const payload = JSON.parse(atob(jws.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as { jti: string };
  return payload.jti;
}

export async function openPartyAnswer(keys: AuthorityKeys, answer: unknown, sender: string, senderJwks: unknown, reqId: string) {
  const jwks: Jwks | null = parseJwks(senderJwks);
  if (!jwks) throw new Error("sender JWKS is invalid");
  return openAnswer(answer, { decryption: keys.encryption, senderJwks: jwks, sender, requestId: reqId });
}

/** Signed-request headers for exactly this request, as the authority sends them. */
export async function signedHeaders(keys: AuthorityKeys, audience: string, method: string, path: string, body: string): Promise<Record<string, string>> {
  return signRequest({ key: keys.signing.current, audience, method, path, body, caseId: "case-2026-0001", investigator: "inv-kim", purpose: "contact_tracing", now: Date.now() });
}

/**
 * KP-Signature headers a party must refuse for this very request (R-A3):
 * signed by a key that is not the authority's, signed claims without a case
 * id, with an empty or missing purpose or investigator, for another party,
 * method or path, over another body, expired, or issued in the future.
 */
export async function refusedSignatures(keys: AuthorityKeys, audience: string, method: string, path: string, body: string): Promise<Record<string, Record<string, string>>> {
  const now = Date.now();
  const base = { key: keys.signing.current, audience, method, path, body, caseId: "case-2026-0001", investigator: "inv-kim", purpose: "contact_tracing", now };
  const stranger = await generateKeyRing("sig");
  const iat = Math.floor(now / 1000);
  const claims = {
    v: 1,
    aud: audience,
    htm: method.toUpperCase(),
    htu: path,
    bdy: await bodyDigest(body),
    iat,
    exp: iat + 30,
    jti: toBase64url(randomBytes(16)),
    case: "case-2026-0001",
    inv: "inv-kim",
    purpose: "contact_tracing",
  };
  const rawSigned = async (c: Record<string, unknown>) => ({
    [SIGNATURE_HEADER]: await new CompactSign(utf8(JSON.stringify(c)))
      .setProtectedHeader({ alg: SIGNING_ALG, kid: keys.signing.current.kid, typ: REQUEST_TYP })
      .sign(await importPartyKey(keys.signing.current, "private")),
  });
  const without = (k: string) => Object.fromEntries(Object.entries(claims).filter(([key]) => key !== k));
  return {
    "signed by a key that is not the authority's": await signRequest({ ...base, key: stranger.current }),
    "no case id": await rawSigned(without("case")),
    "empty case id": await rawSigned({ ...claims, case: "" }),
    "no purpose": await rawSigned(without("purpose")),
    "empty purpose": await rawSigned({ ...claims, purpose: "" }),
    "no investigator": await rawSigned(without("inv")),
    "for another party": await signRequest({ ...base, audience: audience === "registry" ? "naver" : "registry" }),
    "for another path": await signRequest({ ...base, path: `${path}x` }),
    "for another method": await signRequest({ ...base, method: method === "POST" ? "DELETE" : "POST" }),
    "over another body": await signRequest({ ...base, body: `${body} ` }),
    expired: await signRequest({ ...base, now: now - 120_000 }),
    "issued in the future": await signRequest({ ...base, now: now + 120_000 }),
  };
}

export interface RefusalOutcome {
  path: string;
  why: string;
  status: number;
  code: string | undefined;
  text: string;
}

/**
 * Sends `body` to each authority route of a party unsigned and with each of
 * refusedSignatures(), and reports what came back — for tests that show the
 * authority gets nothing without a signed request naming a case (R-A3).
 */
export async function tryUnauthorisedAuthority(
  send: (req: Request) => Promise<Response>,
  base: string,
  keys: AuthorityKeys,
  audience: string,
  routes: { method: string; path: string }[],
  body = "{}",
): Promise<RefusalOutcome[]> {
  const out: RefusalOutcome[] = [];
  for (const route of routes) {
    const attempts: [string, Record<string, string>][] = [["unsigned", {}], ...Object.entries(await refusedSignatures(keys, audience, route.method, route.path, body))];
    for (const [why, headers] of attempts) {
      const res = await send(new Request(base + route.path, { method: route.method, headers: { ...headers, "content-type": "application/json" }, body }));
      const text = await res.text();
      let code: string | undefined;
      try {
        code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
      } catch {
        code = undefined;
      }
      out.push({ path: route.path, why, status: res.status, code, text });
    }
  }
  return out;
}

/**
 * For fuzzing a party: the authority's valid signature over any request, and
 * the refused signatures (as header maps) to corrupt, for its authority routes.
 */
export function authorityFuzzing(keys: AuthorityKeys, audience: string) {
  return {
    credential: { name: "authority", headers: (method: string, path: string, body: string) => signedHeaders(keys, audience, method, path, body) },
    signatures: async (route: { method: string; path: string }) =>
      route.path.startsWith("/authority/") ? Object.values(await refusedSignatures(keys, audience, route.method, route.path, "{}")) : [],
  };
}
