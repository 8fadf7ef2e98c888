/**
 * Destruction receipts (R-O4: "each party's data officer checks the deletion
 * happens"). When the legal basis ends, each party's shutdown command
 * destroys its records and day keys and issues one receipt: what was
 * destroyed, how many, which day keys — signed with the party's signing key
 * (compact JWS, EdDSA), so an auditor verifies it against the party's
 * published `/.well-known/jwks.json` (`npm run verify-receipt`).
 *
 * The file an auditor gets is `{ receipt, jws }`: the readable receipt and
 * the signed copy. It verifies only if the signature checks against the
 * JWKS and the readable receipt says exactly what was signed.
 */
import { CompactSign, compactVerify, decodeProtectedHeader } from "jose";
import { z } from "zod";
import { fromUtf8, utf8 } from "./bytes.js";
import { SIGNING_ALG, findKey, importPartyKey, type Jwks, type PartyJwk } from "./keys.js";

export const RECEIPT_TYP = "kp-destruction-receipt+jws";

export const destructionReceiptSchema = z
  .object({
    type: z.literal("kipass-destruction-receipt"),
    party: z.string().min(1).max(64),
    partyName: z.string().max(200),
    startedAt: z.number().int(),
    completedAt: z.number().int(),
    /** Records destroyed, by "<where>.<what>" (e.g. "facility.visits"), and objects emptied. */
    destroyed: z.record(z.string(), z.number().int().min(0)),
    /** The day keys destroyed ("<vault>/<KST day>"): records they encrypted are unreadable in every backup. */
    keyIds: z.array(z.string()),
  })
  .strict();

export type DestructionReceipt = z.infer<typeof destructionReceiptSchema>;

export const receiptFileSchema = z.object({ receipt: destructionReceiptSchema, jws: z.string().min(1) }).strict();
export type ReceiptFile = z.infer<typeof receiptFileSchema>;

/** Canonical JSON (sorted keys), so the readable copy compares with the signed one whatever its key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export async function signReceipt(receipt: DestructionReceipt, key: PartyJwk): Promise<ReceiptFile> {
  const jws = await new CompactSign(utf8(canonical(receipt)))
    .setProtectedHeader({ alg: SIGNING_ALG, kid: key.kid, typ: RECEIPT_TYP })
    .sign(await importPartyKey(key, "private"));
  return { receipt, jws };
}

export type ReceiptCheck = { ok: true; receipt: DestructionReceipt } | { ok: false; reason: string };

/** Verifies a receipt file against the issuing party's published JWKS. */
export async function verifyReceipt(file: unknown, jwks: Jwks): Promise<ReceiptCheck> {
  const parsed = receiptFileSchema.safeParse(file);
  if (!parsed.success) return { ok: false, reason: "not a destruction receipt file ({ receipt, jws })" };
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(parsed.data.jws).kid;
  } catch {
    return { ok: false, reason: "jws is not a compact JWS" };
  }
  const jwk = kid ? findKey(jwks, kid, "sig") : undefined;
  if (!jwk) return { ok: false, reason: `signed by key "${kid ?? ""}", which the JWKS does not publish` };
  let signed: unknown;
  try {
    const verified = await compactVerify(parsed.data.jws, await importPartyKey(jwk, "public"), { algorithms: [SIGNING_ALG] });
    if (verified.protectedHeader.typ !== RECEIPT_TYP) return { ok: false, reason: "jws is not a destruction receipt" };
    signed = JSON.parse(fromUtf8(verified.payload) ?? "") as unknown;
  } catch {
    return { ok: false, reason: "signature does not verify" };
  }
  if (canonical(signed) !== canonical(parsed.data.receipt)) return { ok: false, reason: "receipt differs from what the party signed" };
  return { ok: true, receipt: parsed.data.receipt };
}
