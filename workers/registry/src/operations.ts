/**
 * The registry's shutdown (R-O4), in the order that keeps it safe: the day
 * keys first (vaults refuse every key from then on, so no object can write a
 * readable record again and every copy in SQLite point-in-time recovery is
 * unreadable), then every TokenLedger shard, then every Facility object.
 * Workers cannot list Durable Objects: shards are counted (shards.ts) and
 * facilities come from the D1 directory. Each call does one chunk.
 */
import { addCounts, shardChunk, signingKeys, type Operations, type ShutdownChunk } from "@kipass/shared";
import { identity, type RegistryBindings } from "./config.js";
import { facilityObject, ledgerObject } from "./directory/objects.js";
import { DAY_KEY_VAULT_SHARDS, TOKEN_LEDGER_SHARDS, ledgerShardName, vaultShardName } from "./durable/shards.js";

/** Object calls per chunk: well inside one invocation's subrequest limit. */
export const SHUTDOWN_CHUNK = 32;

const prefixed = (prefix: string, counts: Record<string, number>) =>
  Object.fromEntries(Object.entries(counts).map(([table, n]) => [`${prefix}.${table}`, n]));

export const registryOperations: Operations<RegistryBindings> = {
  identity,
  signingKeys: (env) => signingKeys(env.SIGNING_KEYS),
  alertLevel: true,
  shutdown: [
    {
      name: "day-keys",
      run: (env, cursor) =>
        shardChunk(DAY_KEY_VAULT_SHARDS, SHUTDOWN_CHUNK, cursor, async (i) => {
          const name = vaultShardName(i);
          const days = await env.DAY_KEY_VAULT.getByName(name).destroyAll();
          return { destroyed: { "day_key_vault.day_keys": days.length, "day_key_vault.objects": 1 }, keyIds: days.map((d) => `${name}/${d}`), next: null };
        }),
    },
    {
      name: "token-ledger",
      run: (env, cursor) =>
        shardChunk(TOKEN_LEDGER_SHARDS, SHUTDOWN_CHUNK, cursor, async (i) => {
          const counts = await ledgerObject(env, ledgerShardName(i)).destroyRecords();
          return { destroyed: { ...prefixed("token_ledger", counts), "token_ledger.objects": 1 }, keyIds: [], next: null };
        }),
    },
    {
      name: "facilities",
      run: async (env, cursor) => {
        const { results } = await env.DB.prepare("SELECT id FROM facilities WHERE id > ? ORDER BY id LIMIT ?").bind(cursor ?? "", SHUTDOWN_CHUNK).all<{ id: string }>();
        const out: ShutdownChunk = { destroyed: {}, keyIds: [], next: results.length === SHUTDOWN_CHUNK ? results.at(-1)!.id : null };
        for (const counts of await Promise.all(results.map((r) => facilityObject(env, r.id).destroyRecords()))) {
          addCounts(out.destroyed, { ...prefixed("facility", counts), "facility.objects": 1 });
        }
        return out;
      },
    },
  ],
};
