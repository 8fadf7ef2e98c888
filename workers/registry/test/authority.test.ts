// The authority API (tracing steps 2 and 4, the contact list): signed
// requests only, every access in the hash-chained audit log, answers sealed to
// the authority — and what they carry is what tracing needs.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { AuditLog, verifyAuditChain, type AuditEntry } from "../../../shared/src/index.js";
import { authorityKeys, openPartyAnswer, requestId, signedRequest } from "../../../tests/authority-client.js";
import { BASE, activeFacility, addStaff, json, mintQr, scan, send, testEnv } from "./helpers.js";

const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);
const jwks = async () => (await send(new Request(`${BASE}/.well-known/jwks.json`))).json();
const signed = (path: string, body: unknown, over: Partial<Parameters<typeof signedRequest>[2]> = {}) =>
  signedRequest(keys, BASE, { audience: "registry", path, body: JSON.stringify(body), ...over });

async function ask<T>(path: string, body: unknown): Promise<T> {
  const req = await signed(path, body);
  const { answer } = await json<{ answer: string }>(await send(req.clone()), 200);
  expect(answer.split(".")).toHaveLength(5); // compact JWE
  const opened = await openPartyAnswer(keys, answer, "registry", await jwks(), requestId(req));
  if (!opened.ok) throw new Error(opened.message);
  return opened.data as T;
}

beforeEach(async () => {
  await env.DB.prepare("DELETE FROM authority_audit").run();
});

describe("authority API", () => {
  it("answers visits of token ids, the tokens scanned at a facility, and facility details", async () => {
    const f = await activeFacility();
    const staff = await addStaff(f.session);
    const before = Date.now() - 1000;
    const visitor = await mintQr();
    await json(await scan(staff.session, visitor.qr), 200);
    const other = await mintQr();
    await json(await scan(f.session, other.qr), 200);
    const unknown = (await mintQr()).jti;

    const visits = await ask<{ visits: { tokenId: string; facilityId: string; at: number; device: string }[] }>("/authority/v1/visits", {
      tokenIds: [visitor.jti, unknown],
    });
    expect(visits.visits).toEqual([{ tokenId: visitor.jti, facilityId: f.facilityId, at: expect.any(Number), device: staff.id }]);

    const scanned = await ask<{ tokens: { qr: string; issuer: string }[] }>("/authority/v1/facility-tokens", {
      facilityId: f.facilityId,
      from: before,
      to: Date.now() + 1000,
    });
    expect(scanned.tokens.map((t) => t.qr).sort()).toEqual([visitor.qr, other.qr].sort());
    expect(scanned.tokens.every((t) => t.issuer === "naver")).toBe(true);

    const details = await ask<{ facilities: { id: string; representative: string; businessName: string }[] }>("/authority/v1/facilities", {
      facilityIds: [f.facilityId],
    });
    expect(details.facilities).toEqual([expect.objectContaining({ id: f.facilityId, representative: "김대표", businessName: "홍대 노래연습장" })]);

    const log = await new AuditLog(env.DB).entries();
    expect(log.map((e: AuditEntry) => [e.path, e.outcome])).toEqual([
      ["/authority/v1/visits", "accepted 200"],
      ["/authority/v1/facility-tokens", "accepted 200"],
      ["/authority/v1/facilities", "accepted 200"],
    ]);
    expect(await verifyAuditChain(log)).toMatchObject({ ok: true });
  });

  it.each([
    ["unsigned", async () => new Request(`${BASE}/authority/v1/visits`, { method: "POST", body: '{"tokenIds":["AAAAAAAAAAAAAAAAAAAAAA"]}', headers: { "content-type": "application/json" } }), 401, "missing"],
    ["expired", () => signed("/authority/v1/visits", { tokenIds: ["AAAAAAAAAAAAAAAAAAAAAA"] }, { now: Date.now() - 120_000 }), 401, "expired"],
    ["for an issuer's audience", () => signed("/authority/v1/visits", { tokenIds: ["AAAAAAAAAAAAAAAAAAAAAA"] }, { audience: "naver" }), 403, "wrong_audience"],
  ] as const)("refuses a request %s, and logs the refusal", async (_name, make, status, code) => {
    const req = await make();
    const res = await send(req.clone());
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: { code } });
    const log = await new AuditLog(env.DB).entries();
    expect(log.map((e: AuditEntry) => e.outcome)).toEqual([code]);
    // One the authority signed is logged under its request id, case and investigator; an unsigned one under none.
    const who = code === "missing" ? { requestId: null, caseId: null, investigator: null, purpose: null } : { requestId: requestId(req), caseId: "case-2026-0001", investigator: "inv-kim", purpose: "contact_tracing" };
    expect(log[0]).toMatchObject(who);
  });

  it("refuses a replayed request", async () => {
    const req = await signed("/authority/v1/facilities", { facilityIds: ["fac_AAAAAAAAAAAA"] });
    expect((await send(req.clone())).status).toBe(200);
    const again = await send(req);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: "replayed" } });
    const log = await new AuditLog(env.DB).entries();
    expect(log.map((e: AuditEntry) => e.outcome)).toEqual(["accepted 200", "replayed"]);
    expect(log[1]).toMatchObject({ requestId: requestId(req), caseId: "case-2026-0001", investigator: "inv-kim" });
  });

  it("gives a facility's tokens page by page until the window is whole: each once, ties on the same millisecond too, and a scan recorded after a page that reached past its time", async () => {
    const fid = "fac_pagedtokens1";
    const stub = env.FACILITY.getByName(fid);
    await stub.configure({ facilityId: fid, status: "active", validFrom: null, validUntil: null, version: 0 });
    await stub.addDevice({ sessionHash: "session-paged", accountId: "acc_device", expiresAt: Date.now() + 3_600_000 });
    const t0 = Date.now() - 600_000;
    // Three scans in one millisecond (a busy gate), then one a second; one before the window and one at its end.
    const scans = [
      ...["A", "B", "C"].map((n) => ({ qr: `KP1:${n}`, at: t0 + 1000 })),
      ...["D", "E", "F", "G"].map((n, i) => ({ qr: `KP1:${n}`, at: t0 + 2000 + i * 1000 })),
    ];
    for (const [i, v] of [...scans, { qr: "KP1:BEFORE", at: t0 }, { qr: "KP1:AT_END", at: t0 + 10_000 }].entries()) {
      expect(await stub.scan({ sessionHash: "session-paged", tokenHash: `paged-${i}`, qr: v.qr, now: v.at })).toMatchObject({ ok: true });
    }

    const window = { facilityId: fid, from: t0 + 1, to: t0 + 10_000 };
    const pages: { tokens: { qr: string; scannedAt: number }[]; next: string | null }[] = [];
    let after: string | undefined;
    do {
      const page = await ask<{ tokens: { qr: string; scannedAt: number }[]; next: string | null }>("/authority/v1/facility-tokens", { ...window, limit: 2, ...(after ? { after } : {}) });
      pages.push(page);
      after = page.next ?? undefined;
    } while (after && pages.length < 10);
    expect(pages.map((p) => p.tokens.length)).toEqual([2, 2, 2, 1]);
    expect(pages.at(-1)!.next).toBeNull();
    expect(pages.flatMap((p) => p.tokens)).toEqual(scans.map((v) => ({ qr: v.qr, issuer: null, scannedAt: v.at })));

    // Without a limit the registry's own page holds the whole window.
    const whole = await ask<{ tokens: unknown[]; next: string | null }>("/authority/v1/facility-tokens", window);
    expect(whole).toMatchObject({ tokens: expect.any(Array), next: null });
    expect(whole.tokens).toHaveLength(scans.length);

    // A scan the worker timed inside a page already sent, recorded only after that page was read
    // (it was still on its way through the ledger): the pages that follow still hold it.
    const firstPage = await ask<{ tokens: { qr: string }[]; next: string | null }>("/authority/v1/facility-tokens", { ...window, limit: 4 });
    expect(firstPage.tokens.map((t) => t.qr)).toEqual(["KP1:A", "KP1:B", "KP1:C", "KP1:D"]);
    expect(await stub.scan({ sessionHash: "session-paged", tokenHash: "paged-late", qr: "KP1:LATE", now: t0 + 1500 })).toMatchObject({ ok: true });
    const rest = await ask<{ tokens: { qr: string }[]; next: string | null }>("/authority/v1/facility-tokens", { ...window, after: firstPage.next! });
    expect(rest.tokens.map((t) => t.qr).sort()).toEqual(["KP1:E", "KP1:F", "KP1:G", "KP1:LATE"]);

    for (const bad of [{ ...window, after: "1.2.3" }, { ...window, after: "x" }, { ...window, after: "-1" }, { ...window, limit: 0 }, { ...window, limit: 5001 }]) {
      const res = await send(await signed("/authority/v1/facility-tokens", bad));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_request" } });
    }
    const log = (await new AuditLog(env.DB).entries()).map((e: AuditEntry) => e.outcome);
    expect(log.filter((o) => o === "accepted 200")).toHaveLength(pages.length + 3);
  });
});
