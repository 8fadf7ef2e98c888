// R-O4: a trace that was running when the authority shut down is not stored
// after the destruction receipt. Its parties answer only after the shutdown
// has completed; storing it is refused (410) and no row is left. Stored traces
// cannot be read or exported once shutdown has begun, before their rows are
// deleted too.
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEV_NOW_HEADER, MODE_CACHE_MS, SHUTDOWN_CONFIRMATION } from "@kipass/shared";
import { T0 } from "./fake-parties.js";
import { call, freshSupervisor, type Answer } from "./helpers.js";

const OPERATOR = "Bearer test-operator-token-0123456789";
const DAY = 86_400_000;
const trace = { kind: "phone", phone: "010-0000-0001", from: T0 - DAY, to: T0 + DAY };
const traceCount = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM traces").first<{ n: number }>())!.n;

/** One shutdown call; `later` stands in for waiting out the mode cache (the dev clock). */
async function shutdown(later = false): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { "content-type": "application/json", authorization: OPERATOR };
  if (later) headers[DEV_NOW_HEADER] = String(Date.now() + MODE_CACHE_MS + 1000);
  const res = await exports.default.fetch(new Request("https://authority.test/operations/v1/shutdown", { method: "POST", headers, body: JSON.stringify({ confirm: SHUTDOWN_CONFIRMATION }) }));
  return (await res.json()) as Record<string, unknown>;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a trace running across the shutdown (R-O4)", () => {
  it("is not stored after the receipt, and stored traces are no longer read", async () => {
    const token = await freshSupervisor();
    expect((await call("/api/cases", { token, body: { id: "case-2026-0218", title: "종료 직전" } })).status).toBe(201);
    const stored = await call("/api/cases/case-2026-0218/traces", { token, body: trace });
    expect(stored.status).toBe(201);
    const id = stored.body.id as string;

    // The first party the next trace asks answers only once the whole shutdown has run.
    const realFetch = globalThis.fetch;
    let during: { read: Answer; csv: Answer; rows: number } | null = null;
    let receipt: Record<string, unknown> | null = null;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (new URL(request.url).hostname.endsWith(".party.test") && receipt === null) {
        expect(await shutdown()).toMatchObject({ done: false, waitMs: expect.any(Number) });
        // Shut down, the stored trace not yet deleted: it is not handed out any more.
        during = { read: await call(`/api/traces/${id}`, { token }), csv: await call(`/api/traces/${id}/contacts.csv`, { token }), rows: await traceCount() };
        let done = await shutdown(true); // the chunk that deletes, then the one that finds none left and signs
        for (let calls = 1; !done.done && calls < 5; calls++) done = await shutdown(true);
        expect(done).toMatchObject({ done: true });
        receipt = done.receipt as Record<string, unknown>;
      }
      return realFetch(request);
    });

    const late = await call("/api/cases/case-2026-0218/traces", { token, body: trace });
    expect([late.status, late.body.error?.code]).toEqual([410, "collection_ended"]);
    expect(await traceCount()).toBe(0);
    expect(receipt).toMatchObject({ receipt: { destroyed: { "d1.traces": 1 } } });

    expect(during).toMatchObject({ rows: 1, read: { status: 410, body: { error: { code: "collection_ended" } } }, csv: { status: 410 } });
    for (const path of [`/api/traces/${id}`, `/api/traces/${id}/contacts.csv`]) expect((await call(path, { token })).status).toBe(410);
    expect((await call(`/api/traces/${id}/retry`, { token, body: {} })).status).toBe(410);
  }, 60_000);
});
