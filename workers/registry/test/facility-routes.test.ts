// R-F8 / R-R4: a facility sees numbers, never visitors. Every route the
// registry documents in /openapi.json is called with valid inputs by a
// manager's session and by a staff device's session after real scans; no
// answer carries anything derived from a token — the QR texts, token ids,
// sealed handles, the registry's keyed hashes or its ciphertexts. A new route
// fails this test until it has valid inputs below.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SHUTDOWN_CONFIRMATION, aesKey, importPartyKey, kstDay, mintToken, randomBytes, sealHandle, toBase64url, type Bytes } from "../../../shared/src/index.js";
import { documentedRoutes, routeKey, type FuzzRoute, type OpenApiDocument } from "../../../tests/fuzz-inputs.js";
import { dumpSqlObjects, hex } from "../../../tests/storage-dump.js";
import { BASE, activeFacility, addStaff, call, issuerRings, json, lastSms, randomPhone, registration, phoneProof, scan, send } from "./helpers.js";

interface Session {
  role: "owner" | "staff";
  session: string;
  sessionId: string;
}

interface Call {
  path?: string;
  body?: unknown;
}

const today = () => kstDay(Date.now());
let n = 0;
const fresh = (p: string) => `${p}${Date.now().toString(36)}${n++}`;

/** Valid inputs per route (for a route without body, path or query, none are needed). */
const VALID: Record<string, (s: Session) => Promise<Call>> = {
  "POST /v1/scan": async () => ({ body: { qr: (await visitorToken()).qr } }),
  "POST /v1/phone/code": async () => ({ body: { phone: randomPhone() } }),
  "POST /v1/phone/verify": async () => {
    const phone = randomPhone();
    await json(await call("POST", "/v1/phone/code", { phone }), 200);
    return { body: { phone, code: /(\d{6})/.exec(await lastSms(phone))![1] } };
  },
  "POST /v1/facilities": async () => ({ body: registration({ phoneProof: await phoneProof(randomPhone()) }) }),
  "POST /v1/reports/bogus": async () => ({ body: { code: toBase64url(randomBytes(32)) } }),
  "POST /v1/reports/bogus/facility": async () => ({ body: { code: toBase64url(randomBytes(32)) } }),
  "POST /v1/login": async () => ({ body: { loginId: facility.loginId, password: facility.password } }),
  "DELETE /v1/sessions/{id}": async (s) => ({ path: `/v1/sessions/${s.sessionId}` }),
  "POST /v1/facility/staff": async () => ({ body: { loginId: fresh("stf"), password: "staff password 2", description: "후문 / back door" } }),
  "DELETE /v1/facility/staff/{id}": async () => ({ path: `/v1/facility/staff/${(await addStaff(facility.session)).id}` }),
  "POST /v1/admin/approvers": async () => ({ body: { loginId: fresh("apv"), password: "approver password", jurisdiction: { sido: "서울특별시", sigungu: "마포구" } } }),
  "POST /v1/approver/facilities/{id}/decision": async () => ({ path: `/v1/approver/facilities/${facility.facilityId}/decision`, body: { decision: "approve" } }),
  "GET /v1/facility/counts/hourly": async () => ({ path: `/v1/facility/counts/hourly?day=${today()}` }),
  "GET /v1/facility/counts/daily": async () => ({ path: `/v1/facility/counts/daily?from=${today()}&to=${today()}` }),
  "POST /authority/v1/visits": async () => ({ body: { tokenIds: scanned.map((t) => t.jti) } }),
  "POST /authority/v1/facility-tokens": async () => ({ body: { facilityId: facility.facilityId, from: Date.now() - 3_600_000, to: Date.now() + 1000 } }),
  "POST /authority/v1/facilities": async () => ({ body: { facilityIds: [facility.facilityId] } }),
  "POST /authority/v1/ping": async () => ({ body: {} }),
  "POST /authority/v1/audit": async () => ({ body: {} }),
  "POST /wallet/v1/token-status": async () => ({ body: { jti: scanned[0]!.jti } }),
  "PUT /operations/v1/alert-level": async () => ({ body: { level: "주의" } }),
  "POST /operations/v1/shutdown": async () => ({ body: { confirm: SHUTDOWN_CONFIRMATION } }),
};

// A visitor's tokens, as an issuer mints them: the user reference sealed inside.
const issuerSecret = await aesKey(randomBytes(32));
const userRef = randomBytes(16);
const handles: Bytes[] = [];
async function visitorToken() {
  const sealed = await sealHandle(issuerSecret, "naver", { userRef, nonce: handles.length });
  handles.push(sealed);
  return mintToken({ issuer: "naver", kid: issuerRings.naver.current.kid, privateKey: await importPartyKey(issuerRings.naver.current, "private"), sealed, now: Date.now() });
}

let facility: Awaited<ReturnType<typeof activeFacility>>;
const scanned: Awaited<ReturnType<typeof visitorToken>>[] = [];

describe("what a facility account can read", () => {
  it("no route a manager or staff device can call answers anything derived from a token", { timeout: 120_000 }, async () => {
    facility = await activeFacility();
    const staff = await addStaff(facility.session);
    for (let i = 0; i < 4; i++) {
      const t = await visitorToken();
      await json(await scan(i % 2 ? staff.session : facility.session, t.qr), 200);
      scanned.push(t);
    }

    // Everything token-derived the registry holds: keyed hashes and ciphertexts, from its own storage.
    const held: string[] = [];
    for (const dump of [await dumpSqlObjects(env.FACILITY), await dumpSqlObjects(env.TOKEN_LEDGER)]) {
      for (const tables of Object.values(dump)) {
        for (const row of [...(tables.visits ?? []), ...(tables.claims ?? [])] as Record<string, unknown>[]) {
          for (const column of ["token_hash", "token", "facility"]) if (typeof row[column] === "string") held.push(row[column] as string);
        }
      }
    }
    expect(held.length).toBeGreaterThanOrEqual(scanned.length * 4);
    const forbidden = [
      ...held,
      ...scanned.flatMap((t) => [t.qr, t.qr.slice(4, 40), t.qr.slice(-40), t.jti]),
      ...handles.flatMap((h) => [hex(h), toBase64url(h)]),
      hex(userRef),
      toBase64url(userRef),
    ];

    const doc = (await (await send(new Request(`${BASE}/openapi.json`))).json()) as OpenApiDocument;
    const routes = documentedRoutes(doc);
    const needsInput = (r: FuzzRoute) => r.body !== null || r.params.length > 0 || r.query.length > 0;
    expect(routes.filter(needsInput).map(routeKey).filter((k) => !VALID[k])).toEqual([]); // every route that takes input has valid inputs here

    const answered: Record<string, number[]> = {};
    for (const role of ["owner", "staff"] as const) {
      for (const route of routes) {
        // A fresh session per call: some calls end the session or remove what they act on.
        const account = role === "owner" ? facility : await addStaffLogin();
        const opened = await json<{ session: string; sessionId: string }>(await call("POST", "/v1/login", { loginId: account.loginId, password: account.password }), 200);
        const input: Call = await (VALID[routeKey(route)] ?? (async () => ({})))({ role, ...opened });
        const res = await call(route.method, input.path ?? route.path, input.body, opened.session);
        const text = await res.text();
        (answered[routeKey(route)] ??= []).push(res.status);
        for (const s of forbidden) expect(text, `${role} ${routeKey(route)} answered token-derived data`).not.toContain(s);
      }
    }
    // The routes a facility account can call (not refused as unauthenticated or forbidden), from the document itself.
    const callable = Object.entries(answered)
      .filter(([, statuses]) => statuses.some((s) => s !== 401 && s !== 403))
      .map(([k]) => k);
    expect(callable).toEqual(
      expect.arrayContaining(["POST /v1/scan", "GET /v1/facility/counts/hourly", "GET /v1/facility/counts/daily", "GET /v1/sessions", "GET /v1/facility/staff", "POST /v1/facility/staff", "DELETE /v1/sessions/{id}"]),
    );
    // The authority's, the approvers' and the operator's routes refuse both.
    for (const k of Object.keys(answered).filter((k) => k.includes(" /authority/") || k.includes("/approver/") || k === "PUT /operations/v1/alert-level" || k === "POST /operations/v1/shutdown")) {
      expect(answered[k]!.every((s) => s === 401 || s === 403), k).toBe(true);
    }
    expect(answered["POST /v1/scan"]).toEqual([200, 200]);
    expect(answered["GET /v1/facility/counts/hourly"]).toEqual([200, 403]); // a staff device does not see counts
  });
});

async function addStaffLogin() {
  const loginId = fresh("dev");
  const password = "staff password 3";
  await json(await call("POST", "/v1/facility/staff", { loginId, password, description: "기기 / device" }, facility.session), 201);
  return { loginId, password };
}
