/** What every authority route can use: bindings, the clock, the signed-in investigator, the audit log. */
import { AppError, AuditLog, type AppVariables } from "@kipass/shared";
import type { MiddlewareHandler } from "hono";
import { Investigators, type Investigator, type Role } from "./investigators.js";

export type AuthorityEnv = { Bindings: Env; Variables: AppVariables & { investigator: Investigator } };

/** Only a signed-in, active investigator passes; `role` narrows to supervisors. */
export function requireInvestigator(role?: Role): MiddlewareHandler<AuthorityEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const token = /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(header)?.[1];
    if (!token) throw new AppError(401, "unauthenticated", "로그인이 필요합니다 / sign in first");
    const investigator = await new Investigators(c.env.DB).session(token, c.var.clock.now());
    if (!investigator) throw new AppError(401, "unauthenticated", "세션이 만료되었습니다 / session expired, sign in again");
    if (role && investigator.role !== role) throw new AppError(403, "forbidden", `${role} only`);
    c.set("investigator", investigator);
    await next();
  };
}

/** Appends one of the authority's own actions to its audit chain. */
export function audit(env: Env, entry: { at: number; investigator: string | null; caseId: string | null; action: string; outcome: string; purpose?: string; requestId?: string }) {
  return new AuditLog(env.DB).append({
    at: entry.at,
    requestId: entry.requestId ?? null,
    caseId: entry.caseId,
    investigator: entry.investigator,
    purpose: entry.purpose ?? null,
    method: "ACTION",
    path: entry.action,
    outcome: entry.outcome,
  });
}
