/**
 * Both sides of a case, side by side (R-A3): every request the authority's
 * log says it sent for the case, next to what the answering party's log says
 * it received — matched by request id — with both hash chains verified. A
 * tampered or deleted entry breaks a chain; a request missing on one side,
 * or one the authority never sent, is listed as a problem.
 *
 * The comparison covers the authority's log as it stood when the audit began.
 * A party's log is read later, page by page, and its later pages hold entries
 * made since — the audit's own requests first (a party logs a request after
 * answering it). Such an entry is the authority's only if the authority's log
 * has it too, so that log is read again once every party's has been: an entry
 * under the case that neither read has is reported, however late it was made.
 */
import { z } from "zod";
import { AUDIT_PAGE, AuditLog, verifyAuditChain, type AuditEntry } from "@kipass/shared";
import { callParty, parties, type CallContext } from "./parties.js";

const entrySchema = z.object({
  seq: z.number(),
  at: z.number(),
  requestId: z.string().nullable(),
  caseId: z.string().nullable(),
  investigator: z.string().nullable(),
  purpose: z.string().nullable(),
  method: z.string(),
  path: z.string(),
  outcome: z.string(),
  prevHash: z.string(),
  hash: z.string(),
});
const auditAnswer = z.object({ party: z.string(), entries: z.array(entrySchema) });

type ChainCheck = Awaited<ReturnType<typeof verifyAuditChain>>;

export interface AuditRow {
  requestId: string;
  party: string;
  at: number;
  path: string;
  /** Outcome in the authority's log, or "missing". */
  sent: string;
  /** Outcome in the party's log, or "missing". */
  received: string;
}

export interface CaseAudit {
  caseId: string;
  chains: { party: string; check: ChainCheck | { ok: false; reason: string } }[];
  rows: AuditRow[];
  problems: string[];
}

/** Reads a log to its end, page by page, continuing after `start` (entries already read from seq 1). */
async function wholeChain(read: (fromSeq: number) => Promise<AuditEntry[] | null>, start: readonly AuditEntry[] = []): Promise<AuditEntry[] | null> {
  const all = [...start];
  for (;;) {
    const page = await read(all.length + 1);
    if (!page) return null;
    all.push(...page);
    if (page.length < AUDIT_PAGE) return all;
  }
}

export async function auditCase(env: Env, caseId: string, ctx: CallContext): Promise<CaseAudit> {
  const readOwn = (from: number) => new AuditLog(env.DB).entries(from, AUDIT_PAGE);
  // The authority's own log first: what it had sent for the case before the audit began.
  const own = (await wholeChain(readOwn))!;
  const sent = own.filter((e) => e.caseId === caseId && e.method === "POST" && e.requestId);
  const received = new Map<string, AuditEntry>();
  const partyChains: CaseAudit["chains"] = [];
  const problems: string[] = [];

  for (const party of parties(env.PARTIES)) {
    const chain = await wholeChain(async (fromSeq) => {
      const r = await callParty(env, party, "/authority/v1/audit", { fromSeq, limit: AUDIT_PAGE }, ctx, auditAnswer);
      return r.ok ? r.data.entries : null;
    });
    if (!chain) {
      partyChains.push({ party: party.id, check: { ok: false, reason: "unreachable" } });
      problems.push(`${party.id}: audit log could not be read`);
      continue;
    }
    partyChains.push({ party: party.id, check: await verifyAuditChain(chain) });
    for (const e of chain) if (e.caseId === caseId && e.requestId) received.set(`${party.id}|${e.requestId}`, e);
  }
  // Read on from where it stopped, now that every party's log is read: each request this audit sent is in it by now, with
  // anything else sent for the case meanwhile. The chain is verified whole, these entries included.
  const ownAll = (await wholeChain(readOwn, own))!;
  const sentLater = new Set(
    ownAll
      .slice(own.length)
      .filter((e) => e.caseId === caseId && e.method === "POST" && e.requestId)
      .map((e) => `${e.path.split("/")[0]!}|${e.requestId}`),
  );
  const chains: CaseAudit["chains"] = [{ party: "authority", check: await verifyAuditChain(ownAll) }, ...partyChains];
  for (const c of chains) if (!c.check.ok) problems.push(`${c.party}: chain ${"seq" in c.check ? `broken at entry ${c.check.seq} (${c.check.reason})` : c.check.reason}`);

  const rows: AuditRow[] = [];
  const matched = new Set<string>();
  for (const s of sent) {
    const party = s.path.split("/")[0]!;
    const key = `${party}|${s.requestId}`;
    const r = received.get(key);
    matched.add(key);
    rows.push({ requestId: s.requestId!, party, at: s.at, path: s.path.slice(party.length), sent: s.outcome, received: r?.outcome ?? "missing" });
    // A party logs a request it refused before its signature verified without its id, so only answered ones must match.
    const readable = chains.some((c) => c.party === party && c.check.ok);
    if (!r && s.outcome === "answered" && readable) problems.push(`${party}: no entry for request ${s.requestId}`);
  }
  for (const [key, r] of received) {
    // Sent after the audit began (its own reads first): not foreign, and left to the next audit to compare.
    if (matched.has(key) || sentLater.has(key)) continue;
    const party = key.split("|")[0]!;
    rows.push({ requestId: r.requestId!, party, at: r.at, path: r.path, sent: "missing", received: r.outcome });
    problems.push(`${party}: request ${r.requestId} is not in the authority's log`);
  }
  rows.sort((a, b) => a.at - b.at || a.party.localeCompare(b.party));
  return { caseId, chains, rows, problems };
}
