/**
 * The issuer trust list (R-U1: every scanner accepts every issuer's QR): the
 * issuers' published JWKS, fetched and cached per isolate.
 */
import { JwksCache, memoize, systemClock } from "@kipass/shared";
import { z } from "zod";

const trustedIssuersSchema = z.array(z.object({ id: z.string().regex(/^[a-z0-9-]{1,16}$/), url: z.string().url() })).min(1);

export const issuerKeys = memoize((text) => {
  const parsed = trustedIssuersSchema.safeParse(JSON.parse(text ?? "null"));
  if (!parsed.success) throw new Error("TRUSTED_ISSUERS must be a JSON list of {id, url}");
  return new JwksCache(parsed.data, systemClock);
});
