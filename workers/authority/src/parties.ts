/**
 * The authority's side of every cross-party call (R-A3): a signed request to
 * one issuer or the registry, the answer verified as theirs and decrypted,
 * and the call appended to the authority's audit chain. A party that is down
 * or refuses yields a typed failure naming it — never a silently short answer.
 */
import { z } from "zod";
import { AuditLog, JwksCache, memoize, openAnswer, randomBytes, signRequest, signingKeys, systemClock, toBase64url, type Clock } from "@kipass/shared";
import { encryptionKeys } from "./keys.js";

export const partiesSchema = z
  .array(z.object({ id: z.string().regex(/^[a-z0-9-]{1,16}$/), kind: z.enum(["issuer", "registry"]), url: z.string().url() }))
  .min(2);
export type Party = z.infer<typeof partiesSchema>[number];

export const parties = memoize((text): Party[] => {
  const parsed = partiesSchema.safeParse(JSON.parse(text ?? "null"));
  if (!parsed.success) throw new Error("PARTIES must be a JSON list of {id, kind, url}");
  return parsed.data;
});

const partyKeys = memoize((text) => new JwksCache(parties(text).map((p) => ({ id: p.id, url: `${p.url}/.well-known/jwks.json` })), systemClock));

export interface CallContext {
  caseId: string;
  investigator: string;
  purpose: string;
  /** Read as each request is signed: a request lives 30 s, and a trace or audit can run far longer. */
  clock: Clock;
}

export type CallResult<T> = { ok: true; data: T } | { ok: false; party: string; code: string; message: string };

const CALL_TIMEOUT_MS = 10_000;

export async function callParty<T>(env: Env, party: Party, path: string, body: unknown, ctx: CallContext, schema: z.ZodType<T>): Promise<CallResult<T>> {
  const text = JSON.stringify(body);
  const requestId = toBase64url(randomBytes(16));
  const sentAt = ctx.clock.now();
  const headers = await signRequest({
    jti: requestId,
    key: signingKeys(env.SIGNING_KEYS).current,
    audience: party.id,
    method: "POST",
    path,
    body: text,
    caseId: ctx.caseId,
    investigator: ctx.investigator,
    purpose: ctx.purpose,
    now: sentAt,
  });
  const result = await send(env, party, path, text, headers, requestId, schema);
  await new AuditLog(env.DB).append({
    at: sentAt,
    requestId,
    caseId: ctx.caseId,
    investigator: ctx.investigator,
    purpose: ctx.purpose,
    method: "POST",
    path: `${party.id}${path}`,
    outcome: result.ok ? "answered" : result.code,
  });
  return result;
}

async function send<T>(
  env: Env,
  party: Party,
  path: string,
  body: string,
  headers: Record<string, string>,
  requestId: string,
  schema: z.ZodType<T>,
): Promise<CallResult<T>> {
  const failed = (code: string, message: string): CallResult<T> => ({ ok: false, party: party.id, code, message });
  let res: Response;
  try {
    res = await fetch(party.url + path, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
  } catch (err) {
    return failed("unreachable", `${party.id} did not answer: ${err instanceof Error ? err.message : String(err)}`);
  }
  const payload = (await res.json().catch(() => null)) as { answer?: unknown; error?: { code?: unknown; message?: unknown } } | null;
  if (!res.ok) {
    const code = typeof payload?.error?.code === "string" ? payload.error.code : `http_${res.status}`;
    return failed(`refused:${code}`, `${party.id} refused (${res.status}): ${String(payload?.error?.message ?? "")}`);
  }
  const keys = partyKeys(env.PARTIES);
  let senderJwks = (await keys.trustList())[party.id];
  let opened = senderJwks ? await openAnswer(payload?.answer, { decryption: encryptionKeys(env.ENCRYPTION_KEYS), senderJwks, sender: party.id, requestId }) : null;
  if (opened && !opened.ok && opened.code === "bad_signature" && (await keys.refresh(party.id))) {
    senderJwks = (await keys.trustList())[party.id]; // the party may have rotated its keys
    opened = senderJwks ? await openAnswer(payload?.answer, { decryption: encryptionKeys(env.ENCRYPTION_KEYS), senderJwks, sender: party.id, requestId }) : null;
  }
  if (!opened) return failed("no_keys", `${party.id}'s public keys are unavailable`);
  if (!opened.ok) return failed(`answer_${opened.code}`, opened.message);
  const data = schema.safeParse(opened.data);
  if (!data.success) return failed("answer_malformed", `${party.id} answered in an unexpected shape`);
  return { ok: true, data: data.data };
}
