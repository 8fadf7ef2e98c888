// R-A3 from the authority's side: it asks the issuers and the registry for
// nothing without a case. Every signed request it sends names an open case,
// the investigator and the purpose; a trace or a case audit under a case
// never opened is refused before any party is asked; and the supervisors'
// connectivity check only pings. (The parties' side — unsigned, wrongly
// signed or case-less requests refused — is in the issuer's and the
// registry's privacy tests.)
import { beforeEach, describe, expect, it } from "vitest";
import { F1, T0 } from "./fake-parties.js";
import { call, freshSupervisor } from "./helpers.js";

interface Seen {
  party: string;
  path: string;
  case: string;
  inv: string;
  purpose: string;
  verified: boolean;
}
// The fake parties are shared by every test file of this project: look only at this file's investigator's requests.
const ME = { id: "sup-privacy", name: "정감독", role: "supervisor", password: "privacy test password" };
const seen = async () => ((await (await fetch("https://control.test/seen")).json()) as Seen[]).filter((r) => !r.verified || r.inv === ME.id);
const DAY = 86_400_000;
const phoneTrace = { kind: "phone", phone: "010-0000-0001", from: T0 - DAY, to: T0 + DAY };

let token: string;
beforeEach(async () => {
  const first = await freshSupervisor();
  expect((await call("/api/investigators", { token: first, body: ME })).status).toBe(201);
  token = (await call("/api/login", { body: { id: ME.id, password: ME.password } })).body.token as string;
  await seen(); // start from an empty record
});

describe("the authority's requests to the parties", () => {
  it("asks nobody for a case that was never opened", async () => {
    expect((await call("/api/cases/case-never-opened/traces", { token, body: phoneTrace })).status).toBe(404);
    expect((await call("/api/cases/case-never-opened/traces", { token, body: { kind: "facility", facilityId: F1, from: T0, to: T0 + DAY } })).status).toBe(404);
    expect((await call("/api/cases/case-never-opened/audit", { token })).status).toBe(404);
    expect(await seen()).toEqual([]);
  });

  it("signs every request of a trace and its audit with the open case, the investigator and the purpose", async () => {
    expect((await call("/api/cases", { token, body: { id: "case-2026-1121", title: "F1 노래방" } })).status).toBe(201);
    const trace = await call("/api/cases/case-2026-1121/traces", { token, body: phoneTrace });
    expect(trace.status).toBe(201);
    expect((await call(`/api/traces/${trace.body.id as string}/retry`, { token, method: "POST" })).status).toBe(200);
    expect((await call("/api/cases/case-2026-1121/audit", { token })).status).toBe(200);

    const requests = await seen();
    // Every party was asked (issuers and the registry), each under the case.
    expect(new Set(requests.map((r) => r.party))).toEqual(new Set(["naver", "kakao", "registry"]));
    expect(requests.map((r) => r.path)).toEqual(expect.arrayContaining(["/authority/v1/tokens/by-phone", "/authority/v1/visits", "/authority/v1/tokens/resolve", "/authority/v1/audit"]));
    for (const r of requests) {
      expect(r, `${r.party} ${r.path}`).toMatchObject({ verified: true, case: "case-2026-1121", inv: ME.id });
      expect(r.purpose, `${r.party} ${r.path}`).toMatch(/^(contact_tracing|audit)$/);
    }
  });

  it("only pings in the connectivity check", async () => {
    const res = await call("/api/parties/check", { token, method: "POST" });
    expect(res.status).toBe(200);
    const requests = await seen();
    expect(requests).toHaveLength(3);
    for (const r of requests) expect(r).toMatchObject({ path: "/authority/v1/ping", verified: true, case: "connectivity-check", purpose: "connectivity_check", inv: ME.id });
  });
});
