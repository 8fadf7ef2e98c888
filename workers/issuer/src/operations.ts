/**
 * The issuer's shutdown (R-O4): the day keys first (every sealed handle and
 * token-log entry, in any backup, becomes unreadable, and the vault never
 * creates a key again), then each user's UserTokens object (found through
 * the users in D1: Workers cannot list objects), the safe-number ledger
 * shards, then the identities in D1
 * (name, phone, birth date, consents, devices, SMS codes), children before
 * parents. Each call does one chunk.
 */
import { addCounts, d1TableChunk, shardChunk, signingKeys, type Operations, type ShutdownChunk } from "@kipass/shared";
import { identity, type IssuerBindings } from "./config.js";
import { VAULT_NAME, vaultOf } from "./tokens/day-key-vault.js";
import { SAFE_NUMBER_SHARDS, safeNumberShardName } from "./tokens/safe-numbers.js";
import { userTokensOf } from "./tokens/user-tokens.js";

/** User objects per chunk: well inside one invocation's subrequest limit. */
export const SHUTDOWN_USERS = 32;
/** D1 rows deleted per chunk. */
export const SHUTDOWN_ROWS = 5000;

/** Tables in D1 that hold personal data, children before parents (foreign keys). */
export const IDENTITY_TABLES = ["devices", "guardian_consents", "consent_records", "phone_verifications", "dev_outbox", "users"] as const;

export const issuerOperations: Operations<IssuerBindings> = {
  identity,
  signingKeys: (env) => signingKeys(env.SIGNING_KEYS),
  alertLevel: true,
  shutdown: [
    {
      name: "day-keys",
      run: async (env) => {
        const days = await vaultOf(env).destroyAll();
        return { destroyed: { "day_key_vault.day_keys": days.length }, keyIds: days.map((d) => `${VAULT_NAME}/${d}`), next: null };
      },
    },
    {
      name: "user-tokens",
      run: async (env, cursor) => {
        const { results } = await env.DB.prepare("SELECT user_ref FROM users WHERE user_ref > ? ORDER BY user_ref LIMIT ?").bind(cursor ?? "", SHUTDOWN_USERS).all<{ user_ref: string }>();
        const out: ShutdownChunk = { destroyed: {}, keyIds: [], next: results.length === SHUTDOWN_USERS ? results.at(-1)!.user_ref : null };
        for (const counts of await Promise.all(results.map((r) => userTokensOf(env, r.user_ref).destroyRecords()))) {
          addCounts(out.destroyed, { ...Object.fromEntries(Object.entries(counts).map(([t, n]) => [`user_tokens.${t}`, n])), "user_tokens.objects": 1 });
        }
        return out;
      },
    },
    {
      // Safe numbers (R-P1): the codes' keyed hashes and their owners, sealed under the day keys destroyed above.
      name: "safe-numbers",
      run: (env, cursor) =>
        shardChunk(SAFE_NUMBER_SHARDS, SHUTDOWN_USERS, cursor, async (i) => {
          const counts = await env.SAFE_NUMBERS.getByName(safeNumberShardName(i)).destroyRecords();
          const destroyed = Object.fromEntries(Object.entries(counts).map(([t, n]) => [`safe_numbers.${t}`, n]));
          return { destroyed: { ...destroyed, "safe_numbers.objects": 1 }, keyIds: [], next: null };
        }),
    },
    {
      name: "identities",
      run: (env, cursor) => {
        const i = Number(cursor ?? 0);
        return d1TableChunk(env.DB, IDENTITY_TABLES[i]!, SHUTDOWN_ROWS, { again: String(i), then: i + 1 < IDENTITY_TABLES.length ? String(i + 1) : null });
      },
    },
  ],
};
