/**
 * A trace (R-A1, R-A2): signed requests to every issuer and the registry,
 * joined into a contact list. From a phone: the case's tokens at every
 * issuer → the case's visits at the registry → exposure windows → tokens
 * scanned in those windows → whose they are, at each issuer. From a facility
 * and a window: the last two steps. A party that fails is named in
 * `failures` and the trace is "incomplete" — never a silently short list;
 * running the trace again completes it.
 */
import { z } from "zod";
import { chunks, parseToken, tokenId } from "@kipass/shared";
import { callParty, parties, type CallContext, type Party } from "../parties.js";
import { exposureWindows, overlapWithStay, type CaseVisit, type ExposureWindow, type Margins } from "./exposure.js";

export type TraceQuery =
  | { kind: "phone"; phone: string; from: number; to: number; margins: Margins }
  | { kind: "facility"; facilityId: string; from: number; to: number };

export interface PartyFailure {
  party: string;
  step: string;
  code: string;
  message: string;
}

export interface Contact {
  name: string;
  phone: string;
  issuer: string;
  facilityId: string;
  facilityName: string | null;
  facilityAddress: string | null;
  /** First and last scan of this person at this facility in the window. */
  firstScan: number;
  lastScan: number;
  windowFrom: number;
  windowTo: number;
  /** ms their assumed stay overlapped the case's stay (0: shared only the margins). */
  overlap: number;
}

export interface TraceResult {
  status: "complete" | "incomplete";
  failures: PartyFailure[];
  caseVisits: CaseVisit[];
  windows: ExposureWindow[];
  contacts: Contact[];
  /** Scanned tokens no issuer could resolve (e.g. their day key is already destroyed). */
  unresolved: number;
}

// ---- The parties' answers, as the issuer and registry APIs define them (docs in their /openapi.json)
const byPhoneAnswer = z.object({ tokens: z.array(z.object({ jti: z.string(), issuedAt: z.number() })) });
const visitsAnswer = z.object({ visits: z.array(z.object({ tokenId: z.string(), facilityId: z.string(), at: z.number() })) });
const facilityTokensAnswer = z.object({ tokens: z.array(z.object({ qr: z.string(), scannedAt: z.number() })), next: z.string().nullable() });
const resolveAnswer = z.object({
  resolutions: z.array(
    z.union([
      z.object({ token: z.string(), status: z.literal("resolved"), name: z.string(), phone: z.string(), issuer: z.string() }),
      z.object({ token: z.string(), status: z.enum(["unknown", "malformed", "other_issuer"]) }),
    ]),
  ),
});
const facilitiesAnswer = z.object({
  facilities: z.array(z.object({ id: z.string(), businessName: z.string().nullable(), address: z.string().nullable(), addressDetail: z.string().nullable() })),
});

const RESOLVE_CHUNK = 64;
const VISITS_CHUNK = 500;
const FACILITIES_CHUNK = 100;
/** Pages of one window's tokens before the trace gives up on it as incomplete (5,000 a page: 5M scans). */
const MAX_TOKEN_PAGES = 1_000;

export async function runTrace(env: Env, query: TraceQuery, ctx: CallContext): Promise<TraceResult> {
  const all = parties(env.PARTIES);
  const registry = all.find((p) => p.kind === "registry")!;
  const issuers = all.filter((p) => p.kind === "issuer");
  const failures: PartyFailure[] = [];
  const call = async <T>(party: Party, step: string, path: string, body: unknown, schema: z.ZodType<T>): Promise<T | null> => {
    const r = await callParty(env, party, path, body, ctx, schema);
    if (r.ok) return r.data;
    failures.push({ party: party.id, step, code: r.code, message: r.message });
    return null;
  };

  // 1–3: the case's own tokens, visits and exposure windows (or the window the investigator chose).
  const caseTokens = new Set<string>();
  let caseVisits: CaseVisit[] = [];
  let windows: ExposureWindow[];
  if (query.kind === "phone") {
    const answers = await Promise.all(
      issuers.map((i) => call(i, "case tokens", "/authority/v1/tokens/by-phone", { phone: query.phone, from: query.from, to: query.to }, byPhoneAnswer)),
    );
    for (const a of answers) for (const t of a?.tokens ?? []) caseTokens.add(t.jti);
    for (const ids of chunks([...caseTokens], VISITS_CHUNK)) {
      const a = await call(registry, "case visits", "/authority/v1/visits", { tokenIds: ids }, visitsAnswer);
      caseVisits = caseVisits.concat((a?.visits ?? []).map((v) => ({ facilityId: v.facilityId, at: v.at })));
    }
    windows = exposureWindows(caseVisits, query.margins);
  } else {
    windows = [{ facilityId: query.facilityId, entry: query.from, exit: query.to, exitScanned: false, from: query.from, to: query.to }];
  }
  const stayMargins: Margins = query.kind === "phone" ? query.margins : { assumedStay: 0, marginBefore: 0, marginAfter: 0 };

  // 4: tokens scanned in each window, minus the case's own.
  const scans: { window: number; qr: string; jti: string; issuer: string; scannedAt: number }[] = [];
  for (const [w, win] of windows.entries()) {
    // A page at a time until the registry says the window is whole: a busy venue's window is never cut short.
    const window = { facilityId: win.facilityId, from: win.from, to: win.to };
    let after: string | null = null;
    let pages = 0;
    do {
      if (pages++ === MAX_TOKEN_PAGES) {
        failures.push({ party: registry.id, step: "facility tokens", code: "too_many_pages", message: `${win.facilityId} still had tokens after ${MAX_TOKEN_PAGES} pages` });
        break;
      }
      const a: z.infer<typeof facilityTokensAnswer> | null = await call(registry, "facility tokens", "/authority/v1/facility-tokens", after ? { ...window, after } : window, facilityTokensAnswer);
      if (!a) break;
      for (const t of a.tokens) {
        const parsed = parseToken(t.qr);
        if ("ok" in parsed) continue; // the registry stores only verified tokens
        const jti = await tokenId(parsed.sealed);
        if (!caseTokens.has(jti)) scans.push({ window: w, qr: t.qr, jti, issuer: parsed.issuer, scannedAt: t.scannedAt });
      }
      if (a.next !== null && a.next === after) {
        failures.push({ party: registry.id, step: "facility tokens", code: "cursor_repeated", message: `${win.facilityId} answered the same page twice` });
        break;
      }
      after = a.next;
    } while (after);
  }

  // 5: whose tokens, at each issuer.
  const people = new Map<string, { name: string; phone: string; issuer: string }>();
  let unresolved = 0;
  for (const issuer of new Set(scans.map((s) => s.issuer))) {
    const party = issuers.find((i) => i.id === issuer);
    const tokens = [...new Set(scans.filter((s) => s.issuer === issuer).map((s) => s.qr))];
    if (!party) {
      failures.push({ party: issuer, step: "resolve", code: "unknown_issuer", message: `no issuer "${issuer}" is configured` });
      continue;
    }
    for (const part of chunks(tokens, RESOLVE_CHUNK)) {
      const a = await call(party, "resolve", "/authority/v1/tokens/resolve", { tokens: part }, resolveAnswer);
      for (const r of a?.resolutions ?? []) {
        if (r.status === "resolved") people.set(r.token, { name: r.name, phone: r.phone, issuer: r.issuer });
        else unresolved++;
      }
    }
  }

  // 6: facility names and addresses for the list.
  const facilities = new Map<string, { name: string | null; address: string | null }>();
  let facilitiesRead = true;
  for (const ids of chunks([...new Set(windows.map((w) => w.facilityId))], FACILITIES_CHUNK)) {
    const a = await call(registry, "facilities", "/authority/v1/facilities", { facilityIds: ids }, facilitiesAnswer);
    if (!a) facilitiesRead = false;
    for (const f of a?.facilities ?? []) {
      facilities.set(f.id, { name: f.businessName, address: [f.address, f.addressDetail].filter(Boolean).join(" ") || null });
    }
  }
  // The registry answers no tokens for a facility it does not know, so a mistyped id would read as
  // "complete, no contacts". Its facilities answer leaves such an id out: say so. (A case's own
  // visits name facilities the registry recorded, so only the investigator's id can be unknown.)
  if (query.kind === "facility" && facilitiesRead && !facilities.has(query.facilityId)) {
    failures.push({ party: registry.id, step: "facilities", code: "facility_unknown", message: `${registry.id} knows no facility "${query.facilityId}"` });
  }

  // 7: one row per person per facility visit (window); the case's own phone never appears.
  const casePhone = query.kind === "phone" ? query.phone : null;
  const rows = new Map<string, Contact>();
  for (const s of scans) {
    const person = people.get(s.qr);
    if (!person || person.phone === casePhone) continue;
    const win = windows[s.window]!;
    const key = `${s.window}|${person.issuer}|${person.phone}`;
    const overlap = overlapWithStay(win, s.scannedAt, stayMargins);
    const row = rows.get(key);
    if (row) {
      row.firstScan = Math.min(row.firstScan, s.scannedAt);
      row.lastScan = Math.max(row.lastScan, s.scannedAt);
      row.overlap = Math.max(row.overlap, overlap);
    } else {
      const f = facilities.get(win.facilityId);
      rows.set(key, {
        ...person,
        facilityId: win.facilityId,
        facilityName: f?.name ?? null,
        facilityAddress: f?.address ?? null,
        firstScan: s.scannedAt,
        lastScan: s.scannedAt,
        windowFrom: win.from,
        windowTo: win.to,
        overlap,
      });
    }
  }
  const contacts = [...rows.values()].sort((a, b) => a.windowFrom - b.windowFrom || a.firstScan - b.firstScan || a.phone.localeCompare(b.phone));
  return { status: failures.length ? "incomplete" : "complete", failures, caseVisits, windows, contacts, unresolved };
}
