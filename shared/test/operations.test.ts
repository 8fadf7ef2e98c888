import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MODE_CACHE_MS, MODE_REFRESH_AFTER_MS, operatingMode, type OperatingMode } from "../src/operations.js";
import type { SqlDatabase, SqlStatement } from "../src/sql.js";

interface ModeRow {
  level: string;
  changed_at: number | null;
  shut_down_at: number | null;
}

/** A D1 stand-in for the `operating_mode` row: counts reads, and can hold a read open until `answer()`. */
class ModeTable implements SqlDatabase {
  reads = 0;
  row: ModeRow = { level: "경계", changed_at: null, shut_down_at: null };
  private held: Promise<void> | null = null;
  private release: () => void = () => {};

  holdReads(): void {
    this.held = new Promise((r) => (this.release = r));
  }
  answer(): void {
    this.held = null;
    this.release();
  }
  /** Later reads answer at once; the held ones never do (a request cancelled mid-read). */
  loseHeldReads(): void {
    this.held = null;
  }
  prepare(): SqlStatement {
    const statement: SqlStatement = {
      bind: () => statement,
      first: async <T,>() => {
        this.reads++;
        const row = { ...this.row }; // what the database held when the read began
        if (this.held) await this.held;
        return row as T;
      },
      all: async () => ({ results: [] }),
      run: async () => ({ meta: { changes: 0 } }),
    };
    return statement;
  }
}

/** Whether `p` has settled by the time already-queued work has run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  const pending = Symbol();
  return (await Promise.race([p, new Promise((r) => setTimeout(() => r(pending), 0))])) !== pending;
}

let now = 0;
let epoch = 0;
beforeEach(() => {
  // The cache is the isolate's: each test starts far past the previous test's answers.
  epoch += 10 * MODE_CACHE_MS;
  now = epoch;
  vi.spyOn(Date, "now").mockImplementation(() => now);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const levels = (modes: OperatingMode[]) => modes.map((m) => m.level);

describe("operating mode cache (R-O3)", () => {
  it("answers from memory until MODE_REFRESH_AFTER_MS: one D1 read for a burst of requests", async () => {
    const db = new ModeTable();
    expect((await operatingMode(db)).collecting).toBe(true);
    now += MODE_REFRESH_AFTER_MS - 1;
    await Promise.all(Array.from({ length: 100 }, () => operatingMode(db)));
    expect(db.reads).toBe(1);
  });

  it("from MODE_REFRESH_AFTER_MS one request reads again, and the others keep the held answer without waiting", async () => {
    const db = new ModeTable();
    await operatingMode(db);
    db.row = { level: "주의", changed_at: now, shut_down_at: null };
    now += MODE_REFRESH_AFTER_MS;
    db.holdReads();
    const refreshing = operatingMode(db);
    const others = Array.from({ length: 50 }, () => operatingMode(db));
    expect(await settled(refreshing)).toBe(false);
    for (const other of others) expect(await settled(other)).toBe(true);
    expect(levels(await Promise.all(others))).toEqual(Array(50).fill("경계"));
    expect(db.reads).toBe(2);

    db.answer();
    expect(await refreshing).toMatchObject({ level: "주의", collecting: false });
    expect((await operatingMode(db)).level).toBe("주의");
    expect(db.reads).toBe(2);
  });

  it("never uses an answer MODE_CACHE_MS after its read began: then every request waits for the read in flight", async () => {
    const db = new ModeTable();
    await operatingMode(db);
    db.row = { level: "경계", changed_at: now, shut_down_at: now };
    now += MODE_REFRESH_AFTER_MS;
    db.holdReads();
    const refreshing = operatingMode(db); // the read is slow…
    now += MODE_CACHE_MS - MODE_REFRESH_AFTER_MS; // …and the held answer has run out
    const waiting = Array.from({ length: 5 }, () => operatingMode(db));
    for (const w of waiting) expect(await settled(w)).toBe(false);
    expect(db.reads).toBe(2); // they wait for that read, they do not start more

    db.answer();
    for (const mode of [await refreshing, ...(await Promise.all(waiting))]) expect(mode).toMatchObject({ collecting: false, shutDownAt: expect.any(Number) });
  });

  it("gives up a read that never answers after MODE_CACHE_MS and reads again", async () => {
    const db = new ModeTable();
    db.holdReads();
    const lost = operatingMode(db);
    db.loseHeldReads();
    now += MODE_CACHE_MS - 1;
    expect(await settled(operatingMode(db))).toBe(false); // still waiting for it, no second read yet
    expect(db.reads).toBe(1);
    now += 1;
    expect((await operatingMode(db)).collecting).toBe(true);
    expect(db.reads).toBe(2);
    expect(await settled(lost)).toBe(false);
  });

  it("a failed read is not kept: the next request reads again", async () => {
    const db = new ModeTable();
    const failing: SqlDatabase = { prepare: () => ({ ...db.prepare(), first: async () => Promise.reject(new Error("D1 unavailable")) }) };
    await expect(operatingMode(failing)).rejects.toThrow("D1 unavailable");
    expect((await operatingMode(db)).collecting).toBe(true);
    expect(db.reads).toBe(1);
  });
});
