// R-O4 shutdown: one operator command (POSTed until done) destroys every
// visit, claim and day key; a raw dump of every object afterwards holds none;
// the signed receipt verifies against the registry's JWKS, and one changed
// count makes it fail. Collection is refused for good afterwards.
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DESTROYED_TABLE, DEV_NOW_HEADER, MODE_CACHE_MS, SHUTDOWN_CONFIRMATION, parseJwks, verifyReceipt, type ReceiptFile } from "../../../shared/src/index.js";
import { DAY_KEY_VAULT_SHARDS, TOKEN_LEDGER_SHARDS, vaultShardName } from "../src/durable/shards.js";
import { BASE, activeFacility, addStaff, call, errorCode, json, lastSms, login, mintQr, phoneProof, randomPhone, registration, runCron, scan, send, testEnv } from "./helpers.js";

type Progress = { done: boolean; phase: string | null; destroyed: Record<string, number>; waitMs?: number; receipt?: ReceiptFile };

/** One shutdown call at `now` (the dev clock header stands in for waiting out the mode cache). */
const shutdownCall = async (now?: number) => {
  const headers: Record<string, string> = { "content-type": "application/json", authorization: `Bearer ${testEnv.OPERATOR_TOKEN}` };
  if (now !== undefined) headers[DEV_NOW_HEADER] = String(now);
  return json<Progress>(await send(new Request(`${BASE}/operations/v1/shutdown`, { method: "POST", headers, body: JSON.stringify({ confirm: SHUTDOWN_CONFIRMATION }) })), 200);
};

/** What the operator command does: POST until done (here with the clock past the wait). */
async function shutdown(): Promise<{ calls: number; receipt: ReceiptFile }> {
  const later = Date.now() + MODE_CACHE_MS + 1000;
  for (let calls = 1; calls <= 50; calls++) {
    const p = await shutdownCall(later);
    if (p.done) return { calls, receipt: p.receipt! };
  }
  throw new Error("shutdown did not finish");
}

/** Every row of every table in every object of a namespace (schema version aside; the object's tally of what it destroyed holds table names and counts only). */
async function sqliteRows(binding: "FACILITY" | "TOKEN_LEDGER"): Promise<[string, unknown][]> {
  const ns = env[binding] as unknown as DurableObjectNamespace;
  const rows: [string, unknown][] = [];
  for (const id of await listDurableObjectIds(ns)) {
    await runInDurableObject(ns.get(id), (_, state) => {
      const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%' AND name <> '_schema'").toArray();
      for (const { name } of tables) {
        for (const row of state.storage.sql.exec(`SELECT * FROM "${name}"`).toArray()) {
          if (name === DESTROYED_TABLE) expect(row).toEqual({ tbl: expect.stringMatching(/^[a-z_]+$/), n: expect.any(Number) });
          else rows.push([name, row]);
        }
      }
    });
  }
  return rows;
}

async function vaultEntries(): Promise<string[]> {
  const out: string[] = [];
  for (const id of await listDurableObjectIds(env.DAY_KEY_VAULT)) {
    out.push(...(await runInDurableObject(env.DAY_KEY_VAULT.get(id), async (_, state) => [...(await state.storage.list()).keys()])));
  }
  return out;
}

describe("shutdown with verified destruction (R-O4)", () => {
  it("destroys every visit, claim and day key and signs a receipt that verifies", async () => {
    const a = await activeFacility();
    const b = await activeFacility();
    for (const session of [a.session, a.session, b.session]) await json(await scan(session, (await mintQr()).qr), 200);
    expect((await sqliteRows("FACILITY")).some(([table]) => table === "visits")).toBe(true);
    expect((await vaultEntries()).some((k) => k.startsWith("daykey:"))).toBe(true);

    const staff = await addStaff(a.session);
    // Begun before the shutdown: a registration's phone proof, and a code not yet entered.
    const proof = await phoneProof(randomPhone());
    const waiting = randomPhone();
    await json(await call("POST", "/v1/phone/code", { phone: waiting }), 200);
    const code = /(\d{6})/.exec(await lastSms(waiting))![1]!;

    // The first call stops collection and destroys nothing until every isolate has seen it.
    const first = await shutdownCall();
    expect(first).toMatchObject({ done: false, destroyed: {}, waitMs: expect.any(Number) });
    expect(first.waitMs).toBeGreaterThan(MODE_CACHE_MS - 2000);
    expect(await errorCode(await scan(b.session, (await mintQr()).qr))).toEqual({ status: 410, code: "collection_ended" });
    expect((await sqliteRows("FACILITY")).some(([table]) => table === "visits")).toBe(true);

    // A call that failed mid-chunk had already destroyed a's object and half the vaults; its tally was never saved.
    const dayKeys = (await vaultEntries()).filter((k) => k.startsWith("daykey:")).length;
    await env.FACILITY.getByName(a.facilityId).destroyRecords();
    for (let i = 0; i < DAY_KEY_VAULT_SHARDS / 2; i++) await env.DAY_KEY_VAULT.getByName(vaultShardName(i)).destroyAll();
    // While another call holds the next chunk, a second one destroys nothing and is told to wait.
    const later = Date.now() + MODE_CACHE_MS + 1000;
    await env.DB.prepare("UPDATE shutdown_progress SET lease_until = ?").bind(later + 5000).run();
    expect(await shutdownCall(later)).toMatchObject({ done: false, phase: "day-keys", destroyed: {}, waitMs: 5000 });
    expect((await vaultEntries()).filter((k) => k.startsWith("daykey:")).length).toBeGreaterThan(0);
    await env.DB.prepare("UPDATE shutdown_progress SET lease_until = ?").bind(later).run(); // that call died; its lease has run out

    const { calls, receipt } = await shutdown();
    expect(calls).toBeGreaterThan(2); // chunked: vaults, two ledger chunks, facilities

    // Raw dump: no row in any Facility or TokenLedger object, no key in any vault.
    expect(await sqliteRows("FACILITY")).toEqual([]);
    expect(await sqliteRows("TOKEN_LEDGER")).toEqual([]);
    expect((await vaultEntries()).filter((k) => k.startsWith("daykey:"))).toEqual([]);

    const jwks = parseJwks(await (await send(new Request(`${BASE}/.well-known/jwks.json`))).json())!;
    const check = await verifyReceipt(receipt, jwks);
    expect(check).toMatchObject({ ok: true, receipt: { party: "registry", type: "kipass-destruction-receipt" } });
    expect(receipt.receipt.destroyed).toMatchObject({
      "facility.visits": 3,
      "facility.objects": 2,
      "token_ledger.claims": 3,
      "token_ledger.objects": TOKEN_LEDGER_SHARDS,
      "day_key_vault.objects": DAY_KEY_VAULT_SHARDS,
      "day_key_vault.day_keys": receipt.receipt.keyIds.length,
    });
    expect(receipt.receipt.keyIds.length).toBe(dayKeys);
    expect(receipt.receipt.keyIds.every((k) => /^vault-\d+\/\d{4}-\d{2}-\d{2}$/.test(k))).toBe(true);

    // One changed count, or a receipt checked against another party's keys: refused.
    const tampered = structuredClone(receipt);
    tampered.receipt.destroyed["facility.visits"] = 2;
    expect(await verifyReceipt(tampered, jwks)).toEqual({ ok: false, reason: "receipt differs from what the party signed" });
    expect(await verifyReceipt(receipt, { keys: [] })).toMatchObject({ ok: false });

    // Terminal: the receipt stays available, collection and level changes are refused.
    expect(await json(await call("GET", "/operations/v1/shutdown/receipt"), 200)).toEqual(receipt);
    expect(await errorCode(await scan(a.session, (await mintQr()).qr))).toEqual({ status: 410, code: "collection_ended" });
    expect(await errorCode(await call("PUT", "/operations/v1/alert-level", { level: "심각" }, testEnv.OPERATOR_TOKEN))).toEqual({ status: 410, code: "collection_ended" });
    expect(await json(await call("GET", "/operations/v1/mode"), 200)).toMatchObject({ collecting: false, shutDownAt: expect.any(Number) });
    // Nor does any personal data come in: no SMS code, no phone proof, no registration (R-O4).
    expect(await errorCode(await call("POST", "/v1/phone/code", { phone: randomPhone() }))).toEqual({ status: 410, code: "collection_ended" });
    expect(await errorCode(await call("POST", "/v1/phone/verify", { phone: waiting, code }))).toEqual({ status: 410, code: "collection_ended" });
    expect(await errorCode(await call("POST", "/v1/facilities", registration({ phoneProof: proof })))).toEqual({ status: 410, code: "collection_ended" });
    // Logins, a staff removal and the cron still run, but write nothing into the emptied objects.
    const owner = await login(a.loginId, a.password);
    expect((await call("DELETE", `/v1/facility/staff/${staff.id}`, undefined, owner)).status).toBeLessThan(300);
    await runCron(Date.now() + MODE_CACHE_MS + 2000);
    expect(await sqliteRows("FACILITY")).toEqual([]);
    // Running the command again answers the same receipt and destroys nothing more.
    expect((await shutdown()).receipt).toEqual(receipt);
    expect((await vaultEntries()).filter((k) => k.startsWith("daykey:"))).toEqual([]);
  }, 60_000);
});
