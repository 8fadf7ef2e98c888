/**
 * Every byte a worker stores, as text: each D1 table and each Durable
 * Object's SQL tables or key-value pairs. The privacy tests search it for what
 * a party must never hold; the fuzz tests compare it before and after, to
 * show a refused request stored nothing. Runs inside workerd.
 */
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";

export const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

const USER_TABLES = "type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'";

/** Table name → rows, for every table of a D1 database except those in `skip`. */
export async function dumpD1(db: D1Database, skip: string[] = []): Promise<Record<string, unknown[]>> {
  const { results: tables } = await db.prepare(`SELECT name FROM sqlite_master WHERE ${USER_TABLES} ORDER BY name`).all<{ name: string }>();
  const out: Record<string, unknown[]> = {};
  for (const { name } of tables) if (!skip.includes(name)) out[name] = (await db.prepare(`SELECT * FROM "${name}"`).all()).results;
  return out;
}

/** The namespace's object ids (asked of the pool's Node side over its loopback). */
type Branded = Rpc.DurableObjectBranded | undefined;

async function objectIds<T extends Branded>(ns: DurableObjectNamespace<T>): Promise<DurableObjectId[]> {
  try {
    return await listDurableObjectIds(ns as unknown as DurableObjectNamespace);
  } catch {
    // Node closes an idle keep-alive connection after 5 s; a route's fuzzing can take longer.
    await new Promise((r) => setTimeout(r, 200));
    return listDurableObjectIds(ns as unknown as DurableObjectNamespace);
  }
}

/** Object id → table → rows, for every object of a SQLite-backed namespace. */
export async function dumpSqlObjects<T extends Branded>(ns: DurableObjectNamespace<T>): Promise<Record<string, Record<string, unknown[]>>> {
  const out: Record<string, Record<string, unknown[]>> = {};
  for (const id of await objectIds(ns)) {
    out[id.toString()] = await runInDurableObject(ns.get(id), (_, state) => {
      const tables = state.storage.sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE ${USER_TABLES} ORDER BY name`).toArray();
      return Object.fromEntries(tables.map(({ name }) => [name, state.storage.sql.exec(`SELECT * FROM "${name}"`).toArray()]));
    });
  }
  return out;
}

/** Object id → key → value, for every object of a key-value namespace. */
export async function dumpKvObjects<T extends Branded>(ns: DurableObjectNamespace<T>): Promise<Record<string, [string, unknown][]>> {
  const out: Record<string, [string, unknown][]> = {};
  for (const id of await objectIds(ns)) {
    out[id.toString()] = await runInDurableObject(ns.get(id), async (_, state) => [...(await state.storage.list()).entries()]);
  }
  return out;
}

/** JSON with bytes as hex, so a search for a value's hex form finds it. */
export const dumpText = (dump: unknown): string =>
  JSON.stringify(dump, (_, v: unknown) => (v instanceof ArrayBuffer ? hex(new Uint8Array(v)) : v instanceof Uint8Array ? hex(v) : v));

/** The parts of two dumps that differ (top-level keys), for a readable failure. */
export function changedParts(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => dumpText(before[k]) !== dumpText(after[k]));
}

/** Requests to an authority endpoint log every attempt, refused ones too (R-A3), and claim their request id. */
export const ATTEMPT_LOGS = ["authority_audit", "request_replay"];

/** "D1 <table>" → the table as text; for a route under /authority/, without the attempt logs. */
export async function d1Snapshot(db: D1Database, routePath: string): Promise<Record<string, string>> {
  const d1 = await dumpD1(db, routePath.startsWith("/authority/") ? ATTEMPT_LOGS : []);
  return Object.fromEntries(Object.entries(d1).map(([t, rows]) => [`D1 ${t}`, dumpText(rows)]));
}
