// Every open case stays reachable (R-A3): at thousands of cases a day the
// newest page is hours, so older cases come by the next-page cursor or by a
// search on the id's start; the default answer stays the list the page reads.
import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BASE, call, freshSupervisor } from "./helpers.js";

interface Case {
  id: string;
  openedAt: number;
}

/** GET /api/cases with a query; the answer and its next-page header. */
async function list(token: string, query = "") {
  const res = await exports.default.fetch(new Request(`${BASE}/api/cases${query}`, { headers: { authorization: `Bearer ${token}` } }));
  return { status: res.status, next: res.headers.get("x-next-before"), body: (await res.json()) as Case[] & { error?: { code: string; message: string } } };
}

/** A page of the list, as before paging (the page's dropdown showed this many). */
const CASES_PAGE = 200;
const id = (i: number) => `c-${String(i).padStart(4, "0")}`;

afterEach(() => vi.useRealTimers());

describe("case list", () => {
  it("reaches the first of 201 cases by the next page and by its id", { timeout: 120_000 }, async () => {
    const token = await freshSupervisor();
    // Two cases a millisecond, as on a busy day: the page ends between two cases opened at the same time.
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    for (let i = 0; i <= CASES_PAGE; i++) {
      vi.setSystemTime(start + Math.floor(i / 2));
      expect((await call("/api/cases", { token, body: { id: id(i), title: `case ${i}` } })).status).toBe(201);
    }
    vi.useRealTimers();

    // Following the next-page header from the default answer reaches every case, each once.
    const pages: { body: Case[]; next: string | null }[] = [await list(token)];
    while (pages.at(-1)!.next && pages.length < 5) pages.push(await list(token, `?before=${pages.at(-1)!.next}`));
    const reached = pages.flatMap((p) => p.body.map((c) => c.id));
    expect(reached).toHaveLength(CASES_PAGE + 1);
    expect(new Set(reached)).toEqual(new Set(Array.from({ length: CASES_PAGE + 1 }, (_, i) => id(i))));
    // The default answer is still the list the page reads, newest first (same millisecond: by id, so the cursor
    // neither skips nor repeats a case); the first case opened is the next page.
    const [first, second] = pages;
    expect(first!.body.map((c) => c.id)).toEqual(Array.from({ length: CASES_PAGE }, (_, k) => id(CASES_PAGE - k)));
    expect(first!.next).toBe(`${start}.${id(1)}`);
    expect(second!.body.map((c) => c.id)).toEqual([id(0)]);
    expect(second!.next).toBeNull();

    // By the start of its id, case-sensitive as ids are; paged the same way.
    expect((await list(token, `?prefix=${id(0)}`)).body.map((c) => c.id)).toEqual([id(0)]);
    expect((await list(token, "?prefix=c-000")).body.map((c) => c.id)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map(id));
    expect((await list(token, "?prefix=C-000")).body).toEqual([]);
    const byPrefix = await list(token, "?prefix=c-");
    expect(byPrefix.body).toHaveLength(CASES_PAGE);
    expect((await list(token, `?prefix=c-&before=${byPrefix.next}`)).body.map((c) => c.id)).toEqual([id(0)]);

    // Still open, so opening it again is refused.
    expect((await call("/api/cases", { token, body: { id: id(0), title: "again" } })).status).toBe(409);
  });

  it("refuses a malformed cursor or search with a 400 error envelope", async () => {
    const token = await freshSupervisor();
    for (const query of [
      "?before=",
      "?before=abc",
      "?before=1700000000000",
      "?before=1700000000000.x",
      "?before=-1.case-1",
      "?before=1e3.case-1",
      "?before=1700000000000.case-1%27%20OR%201%3D1",
      "?before=1234567890123456.case-1",
      "?prefix=",
      "?prefix=c%25",
      "?prefix=c*",
      "?prefix=c_1",
      `?prefix=${"a".repeat(65)}`,
    ]) {
      const res = await list(token, query);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.body).toEqual({ error: { code: "invalid_request", message: expect.stringMatching(/^query\.(before|prefix): /) } });
    }
  });
});
