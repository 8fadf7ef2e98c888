/** Signing in as the test supervisor, and calling the authority's API as a browser would. */
import { exports, env } from "cloudflare:workers";
import { vi } from "vitest";
import { TEST_NOW_HEADER } from "./fake-parties.js";

export const BASE = "https://authority.test";
export const SUPERVISOR = { id: "sup-park", name: "박감독", role: "supervisor", password: "correct horse battery" };

export interface Answer {
  status: number;
  text: string;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
}

export async function call(path: string, init: { method?: string; body?: unknown; token?: string; auth?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.auth) headers.authorization = init.auth;
  const res = await exports.default.fetch(
    new Request(BASE + path, { method: init.method ?? (init.body !== undefined ? "POST" : "GET"), headers, body: init.body !== undefined ? JSON.stringify(init.body) : undefined }),
  );
  const text = await res.text();
  let body: Answer["body"] = {};
  try {
    body = text ? (JSON.parse(text) as Answer["body"]) : {};
  } catch {
    /* CSV and other text */
  }
  return { status: res.status, text, body };
}

/** Empties the authority's tables and signs in a fresh supervisor; returns the bearer token. */
export async function freshSupervisor(): Promise<string> {
  for (const t of ["traces", "sessions", "cases", "investigators", "authority_audit"]) await env.DB.prepare(`DELETE FROM ${t}`).run();
  await call("/api/bootstrap", { body: SUPERVISOR, auth: "Bearer test-bootstrap-token-0123456789" });
  return (await call("/api/login", { body: { id: SUPERVISOR.id, password: SUPERVISOR.password } })).body.token as string;
}

/** Takes a fake party offline or back (see fake-parties.ts). */
export const setParty = (party: string, up: boolean) => fetch(`https://control.test/${up ? "up" : "down"}/${party}`);

/**
 * Parties that each take `delayMs` to answer, in simulated time: every request
 * reaches its party at the authority's clock of the moment it was sent
 * (TEST_NOW_HEADER, which the fake parties check it at), and the authority's
 * clock (Date, faked) moves on by `delayMs` before the answer arrives.
 * Returns the function that restores fetch and real time.
 */
export function slowParties(delayMs: number): () => void {
  const start = Date.now();
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(start);
  const realFetch = globalThis.fetch;
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (!url.hostname.endsWith(".party.test") || url.pathname.startsWith("/.well-known/")) return realFetch(request);
    const headers = new Headers(request.headers);
    headers.set(TEST_NOW_HEADER, String(Date.now()));
    const answer = await realFetch(new Request(request, { headers }));
    vi.setSystemTime(Date.now() + delayMs);
    return answer;
  });
  return () => {
    spy.mockRestore();
    vi.useRealTimers();
  };
}
