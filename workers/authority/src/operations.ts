/**
 * The authority's shutdown (R-O4): every stored trace (queries and contact
 * lists, encrypted with DATA_KEY) is deleted in chunks, and new traces are
 * refused from then on. The authority collects nothing itself, so it has no
 * alert level. Rows left in D1 time travel (30 days) stay encrypted under
 * DATA_KEY: delete that secret after the receipt (README "Operations").
 */
import { d1TableChunk, signingKeys, type Operations } from "@kipass/shared";

/** D1 rows deleted per chunk. */
export const SHUTDOWN_ROWS = 5000;

export const authorityOperations: Operations<Env> = {
  identity: (env) => ({ id: env.PARTY_ID, name: env.PARTY_NAME }),
  signingKeys: (env) => signingKeys(env.SIGNING_KEYS),
  alertLevel: false,
  shutdown: [
    {
      name: "traces",
      run: (env) => d1TableChunk(env.DB, "traces", SHUTDOWN_ROWS, { again: "more", then: null }),
    },
  ],
};
