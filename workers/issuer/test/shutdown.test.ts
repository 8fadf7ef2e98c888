// R-O4 shutdown at an issuer: the operator command destroys the day keys,
// every user's token log and the identities in D1; a raw dump afterwards
// holds none of them; the signed receipt verifies against the issuer's JWKS
// and fails with one changed count. Tokens and enrolments are refused after.
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DESTROYED_TABLE, DEV_NOW_HEADER, MODE_CACHE_MS, SHUTDOWN_CONFIRMATION, parseJwks, verifyReceipt, type ReceiptFile } from "@kipass/shared";
import { IDENTITY_TABLES } from "../src/operations.js";
import { call, enrol, mint, post } from "./wallet-client.js";

const testEnv = env as typeof env & { OPERATOR_TOKEN: string };

/** The operator command's loop; the dev clock header stands in for waiting out the mode cache. */
async function shutdown(): Promise<ReceiptFile> {
  const later = String(Date.now() + MODE_CACHE_MS + 1000);
  for (let i = 0; i < 20; i++) {
    const res = await call("/operations/v1/shutdown", {
      method: "POST",
      body: JSON.stringify({ confirm: SHUTDOWN_CONFIRMATION }),
      credential: testEnv.OPERATOR_TOKEN,
      headers: i === 0 ? {} : { [DEV_NOW_HEADER]: later },
    });
    expect(res.status).toBe(200);
    const p = (await res.json()) as { done: boolean; receipt?: ReceiptFile };
    if (p.done) return p.receipt!;
  }
  throw new Error("shutdown did not finish");
}

/** Every row of every SQL table of every object of a namespace (schema version aside). */
async function objectRows<T extends Rpc.DurableObjectBranded | undefined>(namespace: DurableObjectNamespace<T>): Promise<unknown[]> {
  const rows: unknown[] = [];
  for (const id of await listDurableObjectIds(namespace)) {
    await runInDurableObject(namespace.get(id), (_, state: DurableObjectState) => {
      const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%' AND name <> '_schema'").toArray();
      for (const { name } of tables) {
        for (const row of state.storage.sql.exec(`SELECT * FROM "${name}"`).toArray()) {
          // The object's tally of what it destroyed: table names and counts only.
          if (name === DESTROYED_TABLE) expect(row).toEqual({ tbl: expect.stringMatching(/^[a-z_]+$/), n: expect.any(Number) });
          else rows.push([name, row]);
        }
      }
    });
  }
  return rows;
}

const userTokenRows = () => objectRows(env.USER_TOKENS);
const safeNumberRows = () => objectRows(env.SAFE_NUMBERS);

async function vaultKeys(): Promise<string[]> {
  const out: string[] = [];
  for (const id of await listDurableObjectIds(env.DAY_KEYS)) {
    out.push(...(await runInDurableObject(env.DAY_KEYS.get(id), async (_, state) => [...(await state.storage.list()).keys()])));
  }
  return out.filter((k) => k.startsWith("daykey:"));
}

const d1Rows = async () => {
  const out: Record<string, number> = {};
  for (const t of IDENTITY_TABLES) out[t] = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${t}`).first<{ n: number }>())!.n;
  return out;
};

describe("shutdown with verified destruction (R-O4)", () => {
  it("destroys every token record, day key and identity and signs a receipt that verifies", async () => {
    const people = [await enrol(), await enrol(), await enrol({ birthDate: "2016-03-01" })];
    for (const p of people.slice(0, 2)) expect((await mint(p.credential)).status).toBe(201);
    expect((await call("/api/v1/safe-number", { credential: people[0]!.credential })).status).toBe(200);
    expect((await userTokenRows()).length).toBeGreaterThan(0);
    expect((await safeNumberRows()).length).toBeGreaterThan(0);
    expect(await vaultKeys()).not.toEqual([]);
    expect((await d1Rows()).users).toBe(3);

    const receipt = await shutdown();

    expect(await userTokenRows()).toEqual([]);
    expect(await safeNumberRows()).toEqual([]);
    expect(await vaultKeys()).toEqual([]);
    expect(Object.values(await d1Rows()).every((n) => n === 0)).toBe(true);

    const jwks = parseJwks(await (await call("/.well-known/jwks.json")).json())!;
    expect(await verifyReceipt(receipt, jwks)).toMatchObject({ ok: true, receipt: { party: "naver" } });
    expect(receipt.receipt.destroyed).toMatchObject({ "user_tokens.issued": 2, "user_tokens.objects": 3, "d1.users": 3, "safe_numbers.codes": 1, "safe_numbers.objects": 64, "day_key_vault.day_keys": receipt.receipt.keyIds.length });
    expect(receipt.receipt.keyIds.length).toBeGreaterThan(0);
    const tampered = structuredClone(receipt);
    tampered.receipt.destroyed["user_tokens.issued"] = 1;
    expect(await verifyReceipt(tampered, jwks)).toMatchObject({ ok: false });

    const gone = await mint(people[0]!.credential);
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe("collection_ended");
    expect((await post("/api/v1/verifications", { phone: "010-1234-5678" })).status).toBe(410);
  }, 60_000);
});
