/**
 * The gate in front of every authority endpoint of an issuer or the registry:
 * only a valid signed request from the pinned authority key passes (R-A3),
 * each request id passes once, and every attempt — accepted or refused — is
 * appended to the audit log.
 */
import type { MiddlewareHandler } from "hono";
import { AuditLog } from "./audit.js";
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
      await audit.append({ ...base, requestId: null, caseId: null, investigator: null, purpose: null, outcome: result.code });
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
