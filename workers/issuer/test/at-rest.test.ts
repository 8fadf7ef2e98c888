// R-I1: reading every D1 row raw shows no plaintext name or phone (nor
// birth date): name, phone and birth date are AES-GCM ciphertext, the phone
// is found through a keyed hash, and the SMS outbox keys messages by a hash.
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { CONSENT, enrol, post, verify } from "./wallet-client.js";

it("stores no plaintext name, phone or birth date in any D1 table", async () => {
  const child = await enrol({ phone: "010-4321-8765", name: "최비밀", birthDate: "2019-03-04" });
  const g = await verify("010-2468-1357");
  expect((await post("/api/v1/guardian-consents", { ...g, phone: "010-2468-1357", name: "최보호", consent: CONSENT }, child.credential)).status).toBe(201);

  const tables = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").all<{ name: string }>();
  expect(tables.results.map((t) => t.name)).toEqual(expect.arrayContaining(["users", "guardian_consents", "devices", "dev_outbox", "phone_verifications"]));
  let dump = "";
  for (const { name } of tables.results) {
    const rows = await env.DB.prepare(`SELECT * FROM "${name}"`).all();
    dump += JSON.stringify(rows.results);
  }
  expect(dump.length).toBeGreaterThan(500); // the dump is not empty by accident
  for (const secret of ["최비밀", "최보호", "01043218765", "010-4321-8765", "43218765", "01024681357", "24681357", "2019-03-04", child.credential]) {
    expect(dump).not.toContain(secret);
  }
  // The SMS text is kept in the dev outbox (local stack only), but never with the number.
  expect(dump).toContain("인증번호");
});
