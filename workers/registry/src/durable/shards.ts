/**
 * Which object holds what. TokenLedger is sharded by the keyed token hash
 * (scale plan: 10,000 scans/s national peak over 64 shards ≈ 160/s per shard,
 * well under the few hundred a single object serves; docs/performance.md).
 * DayKeyVault is sharded too so that no single object is asked for keys by
 * every Facility at midnight. Changing a count re-homes existing rows: only
 * with a migration.
 */
export const TOKEN_LEDGER_SHARDS = 64;
export const DAY_KEY_VAULT_SHARDS = 16;

/** FNV-1a 32-bit: a stable, fast bucket for a string. */
function bucket(text: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % buckets;
}

/** Shard names by number: what shutdown enumerates (Workers cannot list objects). */
export const ledgerShardName = (n: number): string => `ledger-${n}`;
export const vaultShardName = (n: number): string => `vault-${n}`;

export const ledgerShard = (tokenHash: string): string => ledgerShardName(bucket(tokenHash, TOKEN_LEDGER_SHARDS));
export const vaultShard = (holder: string): string => vaultShardName(bucket(holder, DAY_KEY_VAULT_SHARDS));
