/**
 * The gate in front of every authority endpoint of an issuer or the registry:
 * only a valid signed request from the pinned authority key passes (R-A3),
 * each request id passes once, and every attempt — accepted or refused — is
 * in the audit log (refusals nobody signed counted together while a flood
 * lasts: UnsignedRefusals).
 */
import type { MiddlewareHandler } from "hono";
import { AuditLog, type AuditRecord } from "./audit.js";
import type { Jwks } from "./keys.js";
import { signedRequestError, verifySignedRequest, type ReplayStore, type RequestClaims } from "./signed-request.js";
import type { SqlDatabase } from "./sql.js";
import type { AppVariables } from "./http.js";

/**
 * Request ids in D1 until `until` (table request_replay(jti PRIMARY KEY,
 * expires_at)). The primary key makes the claim atomic across isolates; the
 * cleanup runs on the caller's clock, which is why `until` already includes
 * REPLAY_RETENTION_MARGIN_MS past the request's acceptance window.
 */
export class SqlReplayStore implements ReplayStore {
  constructor(
    private readonly db: SqlDatabase,
    private readonly now: () => number,
  ) {}
  async claim(jti: string, until: number): Promise<boolean> {
    await this.db.prepare("DELETE FROM request_replay WHERE expires_at <= ?").bind(this.now()).run();
    const { meta } = await this.db.prepare("INSERT OR IGNORE INTO request_replay (jti, expires_at) VALUES (?, ?)").bind(jti, until).run();
    return meta.changes === 1;
  }
}

const logAuditFailure = (err: unknown) => console.error("audit append failed", err instanceof Error ? err.message : String(err));

/**
 * Refusals of requests no pinned key signed, which anyone can send as fast as
 * they like. Each isolate writes one of them at a time; those that come
 * meanwhile are counted and written once it is done, one entry per path and
 * code ("missing ×41"). Appends queue per isolate (audit.ts), so a flood
 * written one entry each would stall the authority's own requests behind it
 * and grow the log without bound; counted, it adds a few entries and the
 * authority's request waits behind at most one. Counts not yet written are
 * lost if the isolate ends. A failed write still answers the refusal.
 */
class UnsignedRefusals {
  private writing = false;
  private readonly counted = new Map<string, { record: AuditRecord; count: number }>();

  constructor(private readonly audit: AuditLog) {}

  /** Resolves once this refusal is written, or at once when it is counted into a later entry; `background` gets the counted entries' writing. */
  record(record: AuditRecord, background: (work: Promise<void>) => void): Promise<void> {
    if (this.writing) {
      const key = JSON.stringify([record.method, record.path, record.outcome]);
      const seen = this.counted.get(key);
      if (seen) seen.count++;
      else this.counted.set(key, { record, count: 1 });
      return Promise.resolve();
    }
    this.writing = true;
    const own = this.audit.append(record).then(() => undefined, logAuditFailure);
    background(own.then(() => this.writeCounted()));
    return own;
  }

  private async writeCounted(): Promise<void> {
    // `writing` is cleared in the same step that finds nothing left, so no refusal is counted after the last write.
    while (this.counted.size > 0) {
      const batch = [...this.counted.values()];
      this.counted.clear();
      for (const { record, count } of batch) await this.audit.append({ ...record, outcome: `${record.outcome} ×${count}` }).catch(logAuditFailure);
    }
    this.writing = false;
  }
}

const unsignedRefusals = new WeakMap<SqlDatabase, UnsignedRefusals>();

export interface AuthorityAccessVariables extends AppVariables {
  authority: RequestClaims;
}

export interface AuthorityAccessConfig {
  audience: string;
  jwks: Jwks;
  db: SqlDatabase;
}

export function requireSignedRequest<Bindings extends object>(
  config: (env: Bindings) => AuthorityAccessConfig,
): MiddlewareHandler<{ Bindings: Bindings; Variables: AuthorityAccessVariables }> {
  return async (c, next) => {
    const { audience, jwks, db } = config(c.env);
    const now = c.var.clock.now();
    const url = new URL(c.req.url);
    const path = url.pathname + url.search;
    const audit = new AuditLog(db);
    const result = await verifySignedRequest(
      { method: c.req.method, path, headers: c.req.raw.headers, body: new Uint8Array(await c.req.arrayBuffer()) },
      { audience, jwks, replay: new SqlReplayStore(db, () => now), now },
    );
    const base = { at: now, method: c.req.method, path };
    if (!result.ok) {
      // A refused request the authority did sign (replayed, expired, for another party) is logged under its id and case.
      const signer = result.claims;
      const refusal = {
        ...base,
        requestId: signer?.jti ?? null,
        caseId: signer?.case ?? null,
        investigator: signer?.inv ?? null,
        purpose: signer?.purpose ?? null,
        outcome: result.code,
      };
      // Refusals before any pinned key's signature verified: anyone can send these, so they are counted together.
      if (!signer) {
        let unsigned = unsignedRefusals.get(db);
        if (!unsigned) unsignedRefusals.set(db, (unsigned = new UnsignedRefusals(audit)));
        await unsigned.record(refusal, (work) => c.executionCtx.waitUntil(work));
      } else {
        await audit.append(refusal).catch(logAuditFailure);
      }
      throw signedRequestError(result);
    }
    const claims = result.claims;
    c.set("authority", claims);
    await next();
    await audit.append({
      ...base,
      requestId: claims.jti,
      caseId: claims.case,
      investigator: claims.inv,
      purpose: claims.purpose,
      outcome: `accepted ${c.res.status}`,
    });
  };
}
