// R-O4: a shutdown chunk's D1 deletes and the progress that counts them are
// one transaction. A call that dies as it records its progress has deleted
// nothing, so the receipt still counts every trace (its own file: a shutdown
// is for good, and the other shutdown tests' storage is apart).
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEV_NOW_HEADER, MODE_CACHE_MS, SHUTDOWN_CONFIRMATION, SHUTDOWN_LEASE_MS, type ReceiptFile } from "@kipass/shared";
import { app } from "../src/index.js";
import { T0 } from "./fake-parties.js";
import { call, freshSupervisor } from "./helpers.js";

const OPERATOR = "Bearer test-operator-token-0123456789";
const DAY = 86_400_000;

describe("shutdown progress (R-O4)", () => {
  it("loses no count when the call dies as it records its progress: the traces are deleted only with it", async () => {
    const token = await freshSupervisor();
    expect((await call("/api/cases", { token, body: { id: "case-2026-0220", title: "기록 실패" } })).status).toBe(201);
    const trace = { kind: "phone", phone: "010-0000-0002", from: T0 - DAY, to: T0 + DAY };
    for (let i = 0; i < 3; i++) expect((await call("/api/cases/case-2026-0220/traces", { token, body: trace })).status).toBe(201);
    const count = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM traces").first<{ n: number }>())!.n;
    let now = Date.now();
    const shutdown = async (db: D1Database = env.DB) => {
      const res = await app.fetch(
        new Request("https://authority.test/operations/v1/shutdown", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: OPERATOR, [DEV_NOW_HEADER]: String(now) },
          body: JSON.stringify({ confirm: SHUTDOWN_CONFIRMATION }),
        }),
        { ...env, DB: db },
        createExecutionContext(),
      );
      return { status: res.status, body: (await res.json()) as { done?: boolean; destroyed?: Record<string, number>; receipt?: ReceiptFile } };
    };
    expect((await shutdown()).body).toMatchObject({ done: false, waitMs: expect.any(Number) });
    now += MODE_CACHE_MS + 1000;

    // D1 fails the statement that records the chunk's progress (as when the worker dies there).
    const failing = new Proxy(env.DB, {
      get(db, key) {
        if (key !== "prepare") return Reflect.get(db, key, db) as unknown;
        return (sql: string) => db.prepare(sql.startsWith("UPDATE shutdown_progress SET phase") ? "UPDATE no_such_table SET x = 1" : sql);
      },
    });
    expect((await shutdown(failing)).status).toBe(500);
    expect(await count()).toBe(3); // nothing deleted that the progress does not count

    now += SHUTDOWN_LEASE_MS; // the failed call's lease has run out
    let last = await shutdown();
    for (let calls = 1; !last.body.done && calls < 5; calls++) last = await shutdown();
    expect(await count()).toBe(0);
    expect(last.body.receipt?.receipt.destroyed).toEqual({ "d1.traces": 3 });
  }, 60_000);
});
