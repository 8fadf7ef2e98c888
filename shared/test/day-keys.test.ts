import { describe, expect, it } from "vitest";
import { DayKeys, decryptField, encryptField, type KvStorage } from "../src/index.js";

/** An in-memory stand-in for a key-value Durable Object storage. */
class MemoryKv implements KvStorage {
  readonly data = new Map<string, unknown>();
  async get<T>(key: string) {
    return this.data.get(key) as T | undefined;
  }
  async put<T>(key: string, value: T) {
    this.data.set(key, value);
  }
  async delete(key: string) {
    return this.data.delete(key);
  }
  async list<T>({ prefix }: { prefix: string }) {
    return new Map([...this.data].filter(([k]) => k.startsWith(prefix)) as [string, T][]);
  }
}

describe("day keys", () => {
  it("shutdown destroys every key and never creates one again (R-O4)", async () => {
    const kv = new MemoryKv();
    const keys = new DayKeys(kv);
    await keys.keyFor("2026-11-01");
    await keys.keyFor("2026-11-02");
    expect(await keys.destroyAll()).toEqual(["2026-11-01", "2026-11-02"]);
    expect([...kv.data.keys()].filter((k) => k.startsWith("daykey:"))).toEqual([]);
    // Called again (a shutdown chunk retried after a lost answer): the same days, for the receipt.
    expect(await new DayKeys(kv).destroyAll()).toEqual(["2026-11-01", "2026-11-02"]);
    expect(await keys.keyFor("2026-11-02")).toBeNull();
    expect(await new DayKeys(kv).keyFor("2099-01-01", true)).toBeNull();
    expect(await keys.shredThrough("2026-12-01")).toEqual([]);
    expect(await new DayKeys(kv).rawKeyFor("2099-01-01")).toBeNull();
  });

  it("keeps one key per day, surviving a new instance over the same storage", async () => {
    const kv = new MemoryKv();
    const sealed = await encryptField((await new DayKeys(kv).keyFor("2026-11-01"))!, "KP1:TOKEN", "visit");
    const reopened = await new DayKeys(kv).keyFor("2026-11-01");
    expect(await decryptField(reopened!, sealed, "visit")).toBe("KP1:TOKEN");
    const other = await new DayKeys(kv).keyFor("2026-11-02");
    expect(await decryptField(other!, sealed, "visit")).toBeNull();
  });

  it("shreds days up to a day: their records can no longer be read, later days still can", async () => {
    const kv = new MemoryKv();
    const keys = new DayKeys(kv);
    const old = await encryptField((await keys.keyFor("2026-10-30"))!, "old", "v");
    const kept = await encryptField((await keys.keyFor("2026-10-31"))!, "kept", "v");
    expect(await keys.shredThrough("2026-10-30")).toEqual(["2026-10-30"]);
    expect(await keys.liveDays()).toEqual(["2026-10-31"]);
    expect(await new DayKeys(kv).keyFor("2026-10-30", false)).toBeNull();
    expect(await decryptField((await keys.keyFor("2026-10-31"))!, kept, "v")).toBe("kept");
    expect([...kv.data.values()].some((v) => v instanceof Uint8Array && old.includes(String(v)))).toBe(false);
  });

  it("refuses to re-key a shredded day, so a late write cannot revive it", async () => {
    const keys = new DayKeys(new MemoryKv());
    await keys.keyFor("2026-10-01");
    await keys.shredThrough("2026-10-05");
    expect(await keys.keyFor("2026-10-03", true)).toBeNull();
    expect(await keys.keyFor("2026-10-06", true)).not.toBeNull();
  });
});
