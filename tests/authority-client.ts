/**
 * Test helper: acts as the authority towards one party worker — signs a
 * request with the authority's test keys and opens the sealed answer.
 * Used inside workerd (worker tests) and in Node (stack tests).
 */
import { openAnswer, parseJwks, parseKeyRing, signRequest, type Jwks, type KeyRing } from "../shared/src/index.js";

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
