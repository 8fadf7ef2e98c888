// R-P1, R-U6: the safe number (개인안심번호) a visitor writes on a paper log.
// The wallet shows one per KST day; it is unique among the live codes of
// this issuer and day (a taken candidate is skipped); the authority resolves
// it with a signed request only — every attempt audited in the hash chain,
// the answer sealed to the authority — and from the start of day + 29 (every
// entry of its day 28 days old) it resolves to nobody.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { AuditLog, HOUR, addDays, encryptField, aesKey, kstDay, kstDayStart, randomBytes, safeNumberFromBytes, utf8, verifyAuditChain } from "@kipass/shared";
import { app } from "../src/index.js";
import { enrolUser } from "../src/identity/users.js";
import { phoneHash } from "../src/identity/verification.js";
import { vaultOf } from "../src/tokens/day-key-vault.js";
import { safeNumberContext, safeNumberHash, safeNumberKey, safeNumberLedgerOf } from "../src/tokens/safe-numbers.js";
import { authorityKeys, openPartyAnswer, requestId, signedRequest, type SignedCall } from "../../../tests/authority-client.js";
import { withProductionBindLimit } from "./d1-wrappers.js";
import { BASE, call, enrol, freshPhone, post } from "./wallet-client.js";

const testEnv = env as typeof env & { TEST_AUTHORITY_SIGNING: string; TEST_AUTHORITY_ENCRYPTION: string };
const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);
const send = (req: Request) => exports.default.fetch(req);
const RESOLVE = "/authority/v1/safe-numbers/resolve";
const SHAPE = /^[0-9]{2}[가-힣][0-9]{2}[가-힣]$/;
const today = () => kstDay(Date.now());
const signed = (body: unknown, over: Partial<SignedCall> = {}) => signedRequest(keys, BASE, { audience: "naver", path: RESOLVE, body: JSON.stringify(body), ...over });

interface Match {
  safeNumber: string;
  day: string;
  issuer: string;
  name: string;
  phone: string;
}

async function safeNumber(credential: string): Promise<{ safeNumber: string; day: string; validUntil: number }> {
  const res = await call("/api/v1/safe-number", { credential });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

async function resolve(body: unknown): Promise<{ issuer: string; matches: Match[]; raw: string }> {
  const req = await signed(body);
  const res = await send(req.clone());
  expect(res.status, await res.clone().text()).toBe(200);
  const raw = await res.text();
  const { answer } = JSON.parse(raw) as { answer: string };
  const opened = await openPartyAnswer(keys, answer, "naver", await (await call("/.well-known/jwks.json")).json(), requestId(req));
  if (!opened.ok) throw new Error(`answer does not open: ${opened.code}`);
  return { ...(opened.data as { issuer: string; matches: Match[] }), raw };
}

const userRefOf = async (deviceId: string) =>
  (await env.DB.prepare("SELECT user_ref FROM devices WHERE id = ?").bind(deviceId).first<{ user_ref: string }>())!.user_ref;

/** A user's n-th candidate today, computed as the issuer does (the test may read the vault; nobody else can). */
async function candidate(userRef: string, attempt: number): Promise<string> {
  const { raw } = await vaultOf(env).todaysKey(Date.now());
  const key = await safeNumberKey(new Uint8Array(raw));
  return safeNumberFromBytes(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(`${userRef}:${attempt}`))));
}

beforeEach(async () => {
  await env.DB.prepare("DELETE FROM authority_audit").run();
  await env.DB.prepare("DELETE FROM request_replay").run();
});

describe("the wallet's safe number", () => {
  it("is 2 digits, a syllable, 2 digits, a syllable; the same all day on every device; valid until the next KST midnight", async () => {
    const person = await enrol({ phone: "010-6100-0001" });
    const first = await safeNumber(person.credential);
    expect(first.safeNumber).toMatch(SHAPE);
    expect(first.day).toBe(today());
    expect(first.validUntil).toBe(kstDayStart(addDays(today(), 1)));
    expect((await safeNumber(person.credential)).safeNumber).toBe(first.safeNumber);
    await env.DB.prepare("DELETE FROM phone_verifications").run(); // the 30 s resend throttle is not under test here
    const secondDevice = await enrol({ phone: "010-6100-0001" });
    expect((await safeNumber(secondDevice.credential)).safeNumber).toBe(first.safeNumber);
  });

  it("is refused without a live credential and before a guardian's consent (under 14)", async () => {
    expect((await call("/api/v1/safe-number")).status).toBe(401);
    const person = await enrol({ phone: "010-6100-0002" });
    await post("/api/v1/devices/revoke-all", {}, person.credential);
    const revoked = await call("/api/v1/safe-number", { credential: person.credential });
    expect([revoked.status, await revoked.json()]).toMatchObject([401, { error: { code: "revoked_credential" } }]);
    const child = await enrol({ phone: "010-6100-0003", birthDate: kstDay(Date.now() - 10 * 365 * 86_400_000) });
    const minor = await call("/api/v1/safe-number", { credential: child.credential });
    expect([minor.status, await minor.json()]).toMatchObject([403, { error: { code: "guardian_consent_required" } }]);
  });

  it("skips a candidate another user holds today: unique among this issuer's live codes", async () => {
    const holder = await enrol({ phone: "010-6100-0004", name: "김선점" });
    const late = await enrol({ phone: "010-6100-0005", name: "이늦게" });
    const holderRef = await userRefOf(holder.deviceId);
    const lateRef = await userRefOf(late.deviceId);
    // The holder already has the late user's first candidate (as a collision would leave it).
    const taken = await candidate(lateRef, 0);
    const day = today();
    const codeHash = await safeNumberHash(env, day, taken);
    const aes = await aesKey(new Uint8Array((await vaultOf(env).todaysKey(Date.now())).raw));
    const claim = await safeNumberLedgerOf(env, codeHash).claim(day, codeHash, await encryptField(aes, holderRef, safeNumberContext("naver", day, codeHash)));
    expect(claim).toEqual({ claimed: true });

    const got = (await safeNumber(late.credential)).safeNumber;
    expect(got).not.toBe(taken);
    expect(got).toBe(await candidate(lateRef, 1));
    const { matches } = await resolve({ safeNumbers: [taken, got], from: day, to: day });
    expect(matches.map((m) => [m.safeNumber, m.name])).toEqual([
      [taken, "김선점"],
      [got, "이늦게"],
    ]);
  });
});

describe("the authority resolves a safe number", () => {
  it("answers name, phone, issuer and day for a code written on a paper log, sealed to the authority", async () => {
    const person = await enrol({ phone: "010-6200-0001", name: "정수기" });
    const other = await enrol({ phone: "010-6200-0002", name: "최다른" });
    const mine = await safeNumber(person.credential);
    await safeNumber(other.credential);
    const spaced = `${mine.safeNumber.slice(0, 3)} ${mine.safeNumber.slice(3)}`; // as written by hand
    const { issuer, matches, raw } = await resolve({ safeNumbers: [spaced], from: addDays(today(), -3), to: today() });
    expect(issuer).toBe("naver");
    expect(matches).toEqual([{ safeNumber: mine.safeNumber, day: today(), issuer: "naver", name: "정수기", phone: "01062000001" }]);
    // Sealed: nothing readable on the wire.
    expect(raw).not.toContain("정수기");
    expect(raw).not.toContain("01062000001");
    expect(raw).not.toContain(mine.safeNumber);
    // Another day, or a code nobody holds: no match.
    expect((await resolve({ safeNumbers: [mine.safeNumber], from: addDays(today(), -2), to: addDays(today(), -1) })).matches).toEqual([]);
  });

  it("resolves more than 100 holders at once within production D1's 100 bound values per statement", async () => {
    // 4 days × 26 codes, each held by its own user: 104 owners to look up in D1.
    const days = [3, 2, 1, 0].map((n) => addDays(today(), -n));
    const codes = new Set<string>();
    while (codes.size < 26) codes.add(safeNumberFromBytes(randomBytes(8)));
    const expected: { safeNumber: string; day: string; name: string }[] = [];
    let n = 0;
    for (const day of days) {
      const aes = await aesKey(new Uint8Array((await vaultOf(env).todaysKey(kstDayStart(day) + HOUR)).raw));
      for (const code of codes) {
        const phone = freshPhone();
        const name = `다수${String(++n).padStart(3, "0")}`;
        const { userRef } = await enrolUser(env, { name, phone, phoneHash: await phoneHash(env, phone), birthDate: "1980-01-01" }, Date.now());
        const codeHash = await safeNumberHash(env, day, code);
        const owner = await encryptField(aes, userRef, safeNumberContext("naver", day, codeHash));
        expect(await safeNumberLedgerOf(env, codeHash).claim(day, codeHash, owner)).toEqual({ claimed: true });
        expected.push({ safeNumber: code, day, name });
      }
    }
    const db = withProductionBindLimit(env.DB);
    const req = await signed({ safeNumbers: [...codes], from: days[0], to: today() });
    const ctx = createExecutionContext();
    const res = await app.fetch(req.clone(), { ...env, DB: db }, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status, await res.clone().text()).toBe(200);
    const { answer } = (await res.json()) as { answer: string };
    const opened = await openPartyAnswer(keys, answer, "naver", await (await call("/.well-known/jwks.json")).json(), requestId(req));
    if (!opened.ok) throw new Error(`answer does not open: ${opened.code}`);
    const matches = (opened.data as { matches: Match[] }).matches;
    const key = (m: { day: string; safeNumber: string }) => `${m.day} ${m.safeNumber}`;
    expect(matches.map((m) => ({ safeNumber: m.safeNumber, day: m.day, name: m.name })).sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      expected.sort((a, b) => key(a).localeCompare(key(b))),
    );
    expect(db.widest()).toBeLessThanOrEqual(100);
  });

  it("refuses bad input: not a safe number, a reversed range, more than 28 days, extra fields", async () => {
    for (const body of [
      { safeNumbers: ["010-1234-5678"], from: today(), to: today() },
      { safeNumbers: [], from: today(), to: today() },
      { safeNumbers: ["12가34나"], from: today(), to: addDays(today(), -1) },
      { safeNumbers: ["12가34나"], from: addDays(today(), -29), to: today() },
      { safeNumbers: ["12가34나"], from: today(), to: today(), facility: "F-1" },
    ]) {
      const res = await send(await signed(body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_request" } });
    }
  });

  it("refuses unsigned, expired, wrong-audience and replayed requests; audits every attempt in the hash chain", async () => {
    const body = { safeNumbers: ["12가34나"], from: today(), to: today() };
    const unsigned = await send(new Request(BASE + RESOLVE, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } }));
    expect([unsigned.status, await unsigned.json()]).toMatchObject([401, { error: { code: "missing" } }]);
    const expired = await send(await signed(body, { now: Date.now() - 120_000 }));
    expect([expired.status, await expired.json()]).toMatchObject([401, { error: { code: "expired" } }]);
    const wrong = await send(await signed(body, { audience: "kakao" }));
    expect([wrong.status, await wrong.json()]).toMatchObject([403, { error: { code: "wrong_audience" } }]);
    const req = await signed(body, { caseId: "case-2026-0042" });
    expect((await send(req.clone())).status).toBe(200);
    const replay = await send(req);
    expect([replay.status, await replay.json()]).toMatchObject([409, { error: { code: "replayed" } }]);

    const entries = await new AuditLog(env.DB).entries();
    expect(entries.map((e) => e.outcome)).toEqual(["missing", "expired", "wrong_audience", "accepted 200", "replayed"]);
    expect(entries[3]).toMatchObject({ path: RESOLVE, requestId: requestId(req), caseId: "case-2026-0042", investigator: "inv-kim", purpose: "contact_tracing" });
    expect(await verifyAuditChain(entries)).toEqual({ ok: true, length: 5 });
  });
});

describe("retention", () => {
  // Last in this file: asking the vault with a time 29 days ahead shreds today's key.
  it("deletes a day's codes at day + 29 and their owners can no longer be read", async () => {
    const person = await enrol({ phone: "010-6300-0001" });
    const { safeNumber: code, day } = await safeNumber(person.credential);
    const codeHash = await safeNumberHash(env, day, code);
    const ledger = safeNumberLedgerOf(env, codeHash);
    const [row] = await ledger.lookup([codeHash]);
    expect(row).toMatchObject({ codeHash, day });
    expect(row!.owner).not.toContain(await userRefOf(person.deviceId)); // encrypted, not the reference

    const expiry = kstDayStart(addDays(day, 29));
    await ledger.sweep(expiry - 1); // 23:59 on day + 28: a paper entry of that evening is 28 days old, still resolvable
    expect(await ledger.days()).toContain(day);
    expect(await vaultOf(env).readSafeNumberOwners("naver", [{ day, codeHash, owner: row!.owner }], expiry - 1)).toEqual([await userRefOf(person.deviceId)]);
    await ledger.sweep(expiry);
    expect(await ledger.days()).not.toContain(day);
    expect(await ledger.lookup([codeHash])).toEqual([]);
    // Even a copy of the row (point-in-time recovery) opens to nothing once the day key is gone.
    expect(await vaultOf(env).readSafeNumberOwners("naver", [{ day, codeHash, owner: row!.owner }], expiry)).toEqual([null]);
  });
});
