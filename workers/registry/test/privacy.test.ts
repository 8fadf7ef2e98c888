// R-R1 / architecture.md "what the registry must never learn": a raw dump of
// every byte the registry stores — D1, every Facility and TokenLedger
// object, every day-key vault — holds no name, phone, birth date or issuer
// user reference. And R-A3: the authority gets nothing from the registry
// without a signed request naming a case and a purpose.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AuditLog, SEALED_BYTES, aesKey, importPartyKey, mintToken, randomBytes, sealHandle, toBase64url } from "../../../shared/src/index.js";
import { authorityKeys, tryUnauthorisedAuthority } from "../../../tests/authority-client.js";
import { expectNothingGiven, expectRefusalsLogged } from "../../../tests/privacy-checks.js";
import { documentedRoutes, type OpenApiDocument } from "../../../tests/fuzz-inputs.js";
import { dumpD1, dumpKvObjects, dumpSqlObjects, dumpText, hex } from "../../../tests/storage-dump.js";
import { BASE, addStaff, issuerRings, json, login, registerFacility, scan, send, testEnv } from "./helpers.js";

async function dumpAll(): Promise<string> {
  return dumpText([await dumpD1(env.DB), await dumpSqlObjects(env.FACILITY), await dumpSqlObjects(env.TOKEN_LEDGER), await dumpKvObjects(env.DAY_KEY_VAULT)]);
}

describe("what the registry stores", () => {
  it("holds no name, phone, birth date or issuer user reference anywhere", async () => {
    const representative = "박비밀대표";
    const ownerPhone = "01098765432";
    const businessPhone = "02-9876-5432";
    const f = await registerFacility({ representative, businessPhone }, ownerPhone);
    const owner = await login(f.loginId, f.password);
    const staff = await addStaff(owner);

    // A visitor the issuer knows by name, phone and birth date; their tokens seal the user reference.
    const visitor = { name: "정방문객", phone: "01055501234", birthDate: "1987-06-05" };
    const userRef = randomBytes(16);
    const issuerSecret = await aesKey(randomBytes(32));
    const tokens = [];
    const handles = [];
    for (let nonce = 0; nonce < 3; nonce++) {
      const sealed = await sealHandle(issuerSecret, "naver", { userRef, nonce });
      expect(sealed).toHaveLength(SEALED_BYTES);
      handles.push(sealed);
      const t = await mintToken({ issuer: "naver", kid: issuerRings.naver.current.kid, privateKey: await importPartyKey(issuerRings.naver.current, "private"), sealed, now: Date.now() });
      tokens.push(t);
      await json(await scan(nonce === 0 ? owner : staff.session, t.qr), 200);
    }

    const dump = await dumpAll();
    expect(dump).toContain(f.facilityId); // the dump is real…
    expect(dump).toContain('"visits"'); // …and holds the visits
    const forbidden = [
      representative,
      ownerPhone,
      "010-9876-5432",
      businessPhone,
      "9876-5432",
      visitor.name,
      visitor.phone,
      "010-5550-1234",
      visitor.birthDate,
      "19870605",
      hex(userRef),
      toBase64url(userRef),
      ...handles.map(hex), // the sealed handle only inside the QR, and the QR only encrypted again
      ...handles.map(toBase64url),
      ...tokens.map((t) => t.qr.slice(4, 60)), // the QR itself is stored only encrypted again (R-R1)
      ...tokens.map((t) => t.jti), // token ids only as keyed hashes
    ];
    for (const s of forbidden) expect(dump, s).not.toContain(s);
  });
});

describe("the authority's access (R-A3)", () => {
  const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);

  it("refuses every authority endpoint unsigned, signed by another key, or signed without a case id or purpose", async () => {
    const doc = (await (await send(new Request(`${BASE}/openapi.json`))).json()) as OpenApiDocument;
    const routes = documentedRoutes(doc).filter((r) => r.path.startsWith("/authority/"));
    expect(routes.map((r) => r.path)).toEqual(expect.arrayContaining(["/authority/v1/visits", "/authority/v1/facility-tokens", "/authority/v1/facilities", "/authority/v1/ping", "/authority/v1/audit"]));
    const before = await auditLength();
    const outcomes = await tryUnauthorisedAuthority(send, BASE, keys, "registry", routes);
    expectNothingGiven(outcomes);
    expectRefusalsLogged(await new AuditLog(env.DB).entries(before + 1, 10_000), outcomes);
  });
});

const auditLength = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM authority_audit").first<{ n: number }>())!.n;
