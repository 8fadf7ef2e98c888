/** Stubs of the registry's Durable Objects, by the names the design gives them. */
import type { RegistryBindings } from "../config.js";
import type { FacilityConfig, FacilityStatus } from "../durable/facility.js";

export const facilityObject = (env: RegistryBindings, facilityId: string) => env.FACILITY.getByName(facilityId);

/** A TokenLedger shard by its name: `ledgerShard(tokenHash)` for a token, `ledgerShardName(n)` to walk them all. */
export const ledgerObject = (env: RegistryBindings, shard: string) => env.TOKEN_LEDGER.getByName(shard);

export interface FacilityRowStatus {
  id: string;
  status: FacilityStatus;
  valid_from: number | null;
  valid_until: number | null;
}

/** D1 is the directory of record; the Facility object mirrors what the scan path needs. */
export async function syncFacility(env: RegistryBindings, row: FacilityRowStatus): Promise<void> {
  const config: FacilityConfig = { facilityId: row.id, status: row.status, validFrom: row.valid_from, validUntil: row.valid_until };
  await facilityObject(env, row.id).configure(config);
}
