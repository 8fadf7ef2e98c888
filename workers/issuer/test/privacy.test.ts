// R-I2 / architecture.md "what an issuer must never learn": after tokens are
// minted, scanned at a facility (verified against this issuer's published
// keys, as the registry does) and traced by the authority (tokens resolved,
// tokens of a phone listed), a raw dump of every byte the issuer stores — D1,
// every UserTokens object, the day-key vault — holds no facility id, facility
// name or address, and no scan time. And R-A3: the authority gets nothing
// without a signed request naming a case and a purpose.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AuditLog, parseJwks, verifyToken } from "../../../shared/src/index.js";
import { authorityKeys, signedRequest, tryUnauthorisedAuthority } from "../../../tests/authority-client.js";
import { documentedRoutes, type OpenApiDocument } from "../../../tests/fuzz-inputs.js";
import { expectNothingGiven, expectRefusalsLogged } from "../../../tests/privacy-checks.js";
import { dumpD1, dumpKvObjects, dumpSqlObjects, dumpText } from "../../../tests/storage-dump.js";
import { BASE, call, enrol, mint } from "./wallet-client.js";

const testEnv = env as typeof env & { TEST_AUTHORITY_SIGNING: string; TEST_AUTHORITY_ENCRYPTION: string };
const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);
const send = (req: Request) => exports.default.fetch(req);

async function dumpAll(): Promise<string> {
  return dumpText([await dumpD1(env.DB), await dumpSqlObjects(env.USER_TOKENS), await dumpKvObjects(env.DAY_KEYS)]);
}

describe("what the issuer stores", () => {
  it("holds no facility id, facility name or scan time after tokens were minted, scanned and traced", async () => {
    const visitor = await enrol({ phone: "010-3141-5926", name: "한방문" });
    const facility = { id: "fac_Zq8uXw3kLm1p", name: "망원 코인노래방", address: "서울특별시 마포구 망원로 99" };
    const jwks = parseJwks(await (await call("/.well-known/jwks.json")).json())!;
    const scans: { qr: string; at: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await mint(visitor.credential);
      expect(res.status).toBe(201);
      const { qr, issuedAt } = (await res.json()) as { qr: string; issuedAt: number };
      // The registry verifies offline with the published keys: the issuer is not asked.
      const at = issuedAt + 7_321 + i;
      expect(await verifyToken(qr, { naver: jwks }, at)).toMatchObject({ ok: true });
      scans.push({ qr, at });
      await new Promise((r) => setTimeout(r, 2_050)); // tokens are at least 2 s apart (R-U4)
    }
    // The authority traces: the tokens scanned at the facility are resolved; the tokens of a phone listed.
    const resolve = JSON.stringify({ tokens: scans.map((s) => s.qr) });
    expect((await send(await signedRequest(keys, BASE, { audience: "naver", path: "/authority/v1/tokens/resolve", body: resolve }))).status).toBe(200);
    const byPhone = JSON.stringify({ phone: visitor.phone, from: scans[0]!.at - 60_000, to: scans[2]!.at + 60_000 });
    expect((await send(await signedRequest(keys, BASE, { audience: "naver", path: "/authority/v1/tokens/by-phone", body: byPhone }))).status).toBe(200);

    const dump = await dumpAll();
    expect(dump).toContain("consent_records"); // the dump is real…
    expect(dump).toContain("/authority/v1/tokens/resolve"); // …and has the authority's requests in its audit log
    const forbidden = [
      facility.id,
      "fac_",
      facility.name,
      facility.address,
      ...scans.flatMap((s) => [String(s.at), new Date(s.at).toISOString()]), // to the millisecond: whole seconds collide with other times
    ];
    for (const s of forbidden) expect(dump, s).not.toContain(s);
  }, 30_000);
});

describe("the authority's access (R-A3)", () => {
  it("refuses every authority endpoint unsigned, signed by another key, or signed without a case id or purpose", async () => {
    const doc = (await (await call("/openapi.json")).json()) as OpenApiDocument;
    const routes = documentedRoutes(doc).filter((r) => r.path.startsWith("/authority/"));
    expect(routes.map((r) => r.path)).toEqual(expect.arrayContaining(["/authority/v1/tokens/by-phone", "/authority/v1/tokens/resolve", "/authority/v1/ping", "/authority/v1/audit"]));
    const before = (await env.DB.prepare("SELECT COUNT(*) AS n FROM authority_audit").first<{ n: number }>())!.n;
    const outcomes = await tryUnauthorisedAuthority(send, BASE, keys, "naver", routes);
    expectNothingGiven(outcomes);
    expectRefusalsLogged(await new AuditLog(env.DB).entries(before + 1, 10_000), outcomes);
  });
});
