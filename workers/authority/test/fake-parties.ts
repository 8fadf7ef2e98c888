/**
 * Fake issuers and a fake registry for the authority's workerd tests, run on
 * the Node side as the worker's outbound service. They verify the signed
 * requests like the real parties and seal their answers to the authority,
 * over a small scripted world. `https://control.test/{down|up}/<party>`
 * takes a party offline and back.
 *
 * The world (T0 = 2026-11-20 21:00 KST): the case (naver, 010-0000-0001)
 * scans in at facility F1 at T0 and out at T0 + 2 h. At F1: B (naver) at
 * T0 + 10 min and C (kakao, a formula-like name) at T0 + 20 min — contacts;
 * D (kakao) at T0 + 5 h — outside the window. E (naver) at F2 at T0 — a
 * facility the case never visited. Each party keeps an audit chain of the
 * requests it accepted; `https://control.test/tamper/<party>` alters its
 * first entry, as an insider editing the log would. `https://control.test/seen`
 * lists the signed claims of every request the parties received (and clears it).
 * Safe numbers (paper logs): B at naver and D at kakao both hold 12가34나 on 2026-11-20.
 * Facility ids have the registry's format, which the fake registry checks as
 * the real one does (400); it knows only F1 and F2. A request carrying
 * TEST_NOW_HEADER is checked at that time instead of the Node clock (tests
 * that move the authority's clock, see helpers.ts `slowParties`).
 */
import {
  GENESIS_HASH,
  MemoryReplayStore,
  auditHash,
  generateKeyRing,
  importPartyKey,
  mintToken,
  publishedJwks,
  randomBytes,
  sealAnswer,
  verifySignedRequest,
  type AuditEntry,
  type KeyRing,
  type RequestClaims,
} from "../../../shared/src/index.js";

export const T0 = Date.parse("2026-11-20T12:00:00Z");
/** The facilities of the world, in the registry's id format. */
export const F1 = "fac_noraebang001";
export const F2 = "fac_pcbang000002";
const FACILITY_NAMES: Record<string, string> = { [F1]: "시설 F1", [F2]: "시설 F2" };
const FACILITY_ID = /^fac_[A-Za-z0-9_-]{12}$/;
/** The time a request reaches a fake party, when a test decides it (ms since the epoch). */
export const TEST_NOW_HEADER = "x-test-now";
const MIN = 60_000;
/** The fake registry's facility-tokens page: small, so a window at F1 takes more than one page, as a busy venue's would. */
const FACILITY_TOKENS_PAGE = 2;

export interface Person {
  name: string;
  phone: string;
  issuer: "naver" | "kakao";
}
export const CASE: Person = { name: "확진자", phone: "01000000001", issuer: "naver" };
export const B: Person = { name: "김철수", phone: "01011111111", issuer: "naver" };
export const C: Person = { name: '=HYPERLINK("x")', phone: "01022222222", issuer: "kakao" };
export const D: Person = { name: "이영희", phone: "01033333333", issuer: "kakao" };
export const E: Person = { name: "박민수", phone: "01044444444", issuer: "naver" };

interface Scan {
  person: Person;
  qr: string;
  jti: string;
  facilityId: string;
  at: number;
}

export async function fakeWorld() {
  const authority = { signing: await generateKeyRing("sig"), encryption: await generateKeyRing("enc") };
  const rings: Record<string, KeyRing> = {
    naver: await generateKeyRing("sig"),
    kakao: await generateKeyRing("sig"),
    registry: await generateKeyRing("sig"),
  };
  const scans: Scan[] = [];
  const scan = async (person: Person, facilityId: string, at: number) => {
    const ring = rings[person.issuer]!;
    const t = await mintToken({
      issuer: person.issuer,
      kid: ring.current.kid,
      privateKey: await importPartyKey(ring.current, "private"),
      sealed: randomBytes(48),
      now: at - 3_000,
    });
    scans.push({ person, qr: t.qr, jti: t.jti, facilityId, at });
  };
  await scan(CASE, F1, T0);
  await scan(B, F1, T0 + 10 * MIN);
  await scan(C, F1, T0 + 20 * MIN);
  await scan(CASE, F1, T0 + 120 * MIN);
  await scan(D, F1, T0 + 300 * MIN);
  await scan(E, F2, T0);

  const down = new Set<string>();
  const chains: Record<string, AuditEntry[]> = { naver: [], kakao: [], registry: [] };
  const logAccepted = async (party: string, claims: RequestClaims, path: string) => {
    const chain = chains[party]!;
    const record = { at: Date.now(), requestId: claims.jti, caseId: claims.case, investigator: claims.inv, purpose: claims.purpose, method: "POST", path, outcome: "accepted 200" };
    const seq = chain.length + 1;
    const prevHash = chain.at(-1)?.hash ?? GENESIS_HASH;
    chain.push({ ...record, seq, prevHash, hash: await auditHash(seq, prevHash, record) });
  };
  const replay = new MemoryReplayStore();
  let seen: { party: string; path: string; case: string; inv: string; purpose: string; verified: boolean }[] = [];
  const authorityJwks = publishedJwks(authority.signing, authority.encryption);

  async function answer(party: string, path: string, body: Record<string, unknown>, caseId: string): Promise<unknown> {
    switch (path) {
      case "/authority/v1/audit":
        return { party, entries: chains[party]!.filter((e) => e.seq >= (body.fromSeq as number)).slice(0, body.limit as number) };
      case "/authority/v1/ping":
        return { party, receivedAt: Date.now(), case: caseId };
      case "/authority/v1/tokens/by-phone":
        return { tokens: scans.filter((s) => s.person.issuer === party && s.person.phone === body.phone).map((s) => ({ jti: s.jti, issuedAt: s.at - 3_000 })) };
      case "/authority/v1/tokens/resolve":
        return {
          resolutions: (body.tokens as string[]).map((token) => {
            const s = scans.find((x) => x.qr === token);
            if (!s) return { token, status: "unknown" };
            if (s.person.issuer !== party) return { token, status: "other_issuer" };
            return { token, status: "resolved", name: s.person.name, phone: s.person.phone, issuer: party };
          }),
        };
      case "/authority/v1/safe-numbers/resolve": {
        // B (naver) and D (kakao) both hold 12가34나 on 2026-11-20: codes are unique per issuer, not across issuers.
        const held = [
          { person: B, safeNumber: "12가34나", day: "2026-11-20" },
          { person: D, safeNumber: "12가34나", day: "2026-11-20" },
          { person: E, safeNumber: "56나78다", day: "2026-11-21" },
        ];
        const asked = body.safeNumbers as string[];
        return {
          issuer: party,
          matches: held
            .filter((h) => h.person.issuer === party && asked.includes(h.safeNumber) && h.day >= (body.from as string) && h.day <= (body.to as string))
            .map((h) => ({ safeNumber: h.safeNumber, day: h.day, issuer: party, name: h.person.name, phone: h.person.phone })),
        };
      }
      case "/authority/v1/visits":
        return { visits: scans.filter((s) => (body.tokenIds as string[]).includes(s.jti)).map((s) => ({ tokenId: s.jti, facilityId: s.facilityId, at: s.at, device: "entrance" })) };
      case "/authority/v1/facility-tokens": {
        // A page at a time, the cursor an index, as the registry's route answers (tracing step 4).
        const inWindow = scans.filter((s) => s.facilityId === body.facilityId && s.at >= (body.from as number) && s.at < (body.to as number));
        const start = Number(body.after ?? 0);
        const end = start + FACILITY_TOKENS_PAGE;
        return {
          tokens: inWindow.slice(start, end).map((s) => ({ qr: s.qr, issuer: s.person.issuer, scannedAt: s.at })),
          next: end < inWindow.length ? String(end) : null,
        };
      }
      case "/authority/v1/facilities":
        // As the registry: an id it does not know is left out of the answer.
        return {
          facilities: (body.facilityIds as string[])
            .filter((id) => FACILITY_NAMES[id] !== undefined)
            .map((id) => ({ id, businessName: FACILITY_NAMES[id]!, address: "서울특별시 용산구", addressDetail: "1층" })),
        };
      default:
        return null;
    }
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.hostname === "control.test") {
      const [, action, party] = url.pathname.split("/");
      if (action === "seen") {
        const out = seen;
        seen = [];
        return Response.json(out);
      }
      if (action === "down") down.add(party!);
      else if (action === "tamper") chains[party!]![0]!.outcome = "accepted 204";
      else down.delete(party!);
      return new Response("ok");
    }
    const party = url.hostname.split(".")[0]!;
    if (down.has(party)) return new Response("unavailable", { status: 503 });
    if (url.pathname === "/.well-known/jwks.json") return Response.json(publishedJwks(rings[party]!));
    const bytes = new Uint8Array(await request.arrayBuffer());
    const verified = await verifySignedRequest(
      { method: request.method, path: url.pathname, headers: request.headers, body: bytes },
      { audience: party, jwks: authorityJwks, replay, now: Number(request.headers.get(TEST_NOW_HEADER) ?? Date.now()) },
    );
    seen.push({ party, path: url.pathname, verified: verified.ok, ...(verified.ok ? { case: verified.claims.case, inv: verified.claims.inv, purpose: verified.claims.purpose } : { case: "", inv: "", purpose: "" }) });
    if (!verified.ok) return Response.json({ error: { code: verified.code, message: verified.message } }, { status: 401 });
    const body = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    // The registry's schema refuses any other facility id format before looking it up.
    const asked = url.pathname === "/authority/v1/facilities" ? (body.facilityIds as string[]) : url.pathname === "/authority/v1/facility-tokens" ? [body.facilityId as string] : [];
    if (party === "registry" && !asked.every((id) => FACILITY_ID.test(id))) {
      return Response.json({ error: { code: "invalid_request", message: "body.facilityId: Invalid" } }, { status: 400 });
    }
    const data = await answer(party, url.pathname, body, verified.claims.case);
    if (data === null) return Response.json({ error: { code: "not_found", message: url.pathname } }, { status: 404 });
    await logAccepted(party, verified.claims, url.pathname);
    const sealed = await sealAnswer({ data, from: party, signingKey: rings[party]!.current, to: authorityJwks, requestId: verified.claims.jti, now: Date.now() });
    return Response.json({ answer: sealed });
  }

  return { authority, handle };
}
