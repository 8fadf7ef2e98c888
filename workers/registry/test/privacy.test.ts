// R-R1 / architecture.md "what the registry must never learn": a raw dump of
// every byte the registry stores — D1, every Facility and TokenLedger
// object, every day-key vault — holds no name, phone or issuer user reference.
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SEALED_BYTES, aesKey, importPartyKey, mintToken, randomBytes, sealHandle, toBase64url } from "../../../shared/src/index.js";
import { issuerRings, json, login, registerFacility, scan, addStaff } from "./helpers.js";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

async function dumpD1(): Promise<string> {
  const { results: tables } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").all<{ name: string }>();
  const out: unknown[] = [];
  for (const { name } of tables) out.push(name, (await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results);
  return JSON.stringify(out);
}

async function dumpSqliteObjects(binding: "FACILITY" | "TOKEN_LEDGER"): Promise<string> {
  const ns = env[binding] as unknown as DurableObjectNamespace;
  const out: unknown[] = [];
  for (const id of await listDurableObjectIds(ns)) {
    const stub = ns.get(id);
    out.push(
      await runInDurableObject(stub, (_, state) => {
        const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%'").toArray();
        return tables.map(({ name }) => [name, state.storage.sql.exec(`SELECT * FROM "${name}"`).toArray()]);
      }),
    );
  }
  return JSON.stringify(out, (_, v) => (v instanceof ArrayBuffer ? hex(new Uint8Array(v)) : v));
}

async function dumpVaults(): Promise<string> {
  const out: unknown[] = [];
  for (const id of await listDurableObjectIds(env.DAY_KEY_VAULT)) {
    out.push(await runInDurableObject(env.DAY_KEY_VAULT.get(id), async (_, state) => [...(await state.storage.list()).entries()]));
  }
  return JSON.stringify(out, (_, v) => (v instanceof Uint8Array ? hex(v) : v));
}

describe("what the registry stores", () => {
  it("holds no name, phone or issuer user reference anywhere", async () => {
    const representative = "박비밀대표";
    const ownerPhone = "01098765432";
    const businessPhone = "02-9876-5432";
    const f = await registerFacility({ representative, businessPhone }, ownerPhone);
    const owner = await login(f.loginId, f.password);
    const staff = await addStaff(owner);

    // A visitor's token as an issuer mints it: the user reference is sealed inside.
    const userRef = randomBytes(16);
    const issuerSecret = await aesKey(randomBytes(32));
    const tokens = [];
    for (let nonce = 0; nonce < 3; nonce++) {
      const sealed = await sealHandle(issuerSecret, "naver", { userRef, nonce });
      expect(sealed).toHaveLength(SEALED_BYTES);
      const t = await mintToken({ issuer: "naver", kid: issuerRings.naver.current.kid, privateKey: await importPartyKey(issuerRings.naver.current, "private"), sealed, now: Date.now() });
      tokens.push(t);
      await json(await scan(nonce === 0 ? owner : staff.session, t.qr), 200);
    }

    const dump = [await dumpD1(), await dumpSqliteObjects("FACILITY"), await dumpSqliteObjects("TOKEN_LEDGER"), await dumpVaults()].join("\n");
    expect(dump).toContain(f.facilityId); // the dump is real…
    const forbidden = [
      representative,
      ownerPhone,
      "010-9876-5432",
      businessPhone,
      "9876-5432",
      hex(userRef),
      toBase64url(userRef),
      ...tokens.map((t) => t.qr.slice(4, 60)), // the QR itself is stored only encrypted again (R-R1)
      ...tokens.map((t) => t.jti), // token ids only as keyed hashes
    ];
    for (const s of forbidden) expect(dump, s).not.toContain(s);
  });
});
