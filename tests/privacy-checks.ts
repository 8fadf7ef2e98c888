/** Assertions the privacy tests of several workers share. */
import { expect } from "vitest";
import type { RefusalOutcome } from "./authority-client.js";

/**
 * R-A3: each unsigned or wrongly signed request was refused with a 4xx and
 * no answer; a signature without a case id, purpose or investigator is
 * malformed, one by another key does not verify.
 */
export function expectNothingGiven(outcomes: RefusalOutcome[]): void {
  expect(outcomes.length).toBeGreaterThan(0);
  for (const o of outcomes) {
    const what = `${o.path} ${o.why}: ${o.status} ${o.text}`;
    expect(o.status, what).toBeGreaterThanOrEqual(400);
    expect(o.status, what).toBeLessThan(500);
    expect(o.text, what).not.toContain("answer");
    if (o.why === "unsigned") expect([o.status, o.code], what).toEqual([401, "missing"]);
    if (/case|purpose|investigator/.test(o.why)) expect([o.status, o.code], what).toEqual([400, "malformed"]);
    if (o.why.startsWith("signed by a key")) expect([o.status, o.code], what).toEqual([401, "bad_signature"]);
  }
}

/** Refusals of a request the authority did sign: logged under its case, so its data officer can follow them up. */
const SIGNED_REFUSALS = new Set(["wrong_audience", "body_mismatch", "expired", "issued_in_future", "replayed"]);

/** Every refused attempt is in the audit chain, none accepted; those the authority signed under their case, the rest without one. */
export function expectRefusalsLogged(log: { outcome: string; caseId: string | null; requestId: string | null }[], outcomes: RefusalOutcome[]): void {
  expect(log).toHaveLength(outcomes.length);
  for (const e of log) {
    expect(e.outcome).not.toMatch(/^accepted/);
    if (SIGNED_REFUSALS.has(e.outcome)) expect(e, e.outcome).toMatchObject({ caseId: "case-2026-0001", requestId: expect.any(String) });
    else expect(e, e.outcome).toMatchObject({ caseId: null, requestId: null });
  }
  expect(log.filter((e) => e.caseId !== null).length).toBeGreaterThan(0);
}
