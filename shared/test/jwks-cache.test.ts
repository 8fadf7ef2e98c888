import { beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/clock.js";
import { JwksCache } from "../src/jwks-cache.js";
import { generateKeyRing, publishedJwks, rotateKeyRing, type Jwks, type KeyRing } from "../src/keys.js";
import { T0 } from "./helpers.js";

const NAVER = { id: "naver", url: "https://naver.example/.well-known/jwks.json" };
const KAKAO = { id: "kakao", url: "https://kakao.example/.well-known/jwks.json" };

type Reply = Jwks | { status: number } | Error | "not json" | { keys: "broken" };

/** A fake issuer endpoint: answers with whatever `reply[url]` holds, counting calls. */
class FakeIssuers {
  calls: string[] = [];
  reply: Record<string, Reply> = {};
  gate: Promise<void> | null = null;
  readonly fetcher: typeof fetch = async (input) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    this.calls.push(url);
    if (this.gate) await this.gate;
    const r = this.reply[url];
    if (r === undefined) throw new Error(`no reply for ${url}`);
    if (r instanceof Error) throw r;
    if (r === "not json") return new Response("<html>", { status: 200 });
    if ("status" in r) return new Response("{}", { status: r.status });
    return Response.json(r);
  };
  count(url: string): number {
    return this.calls.filter((c) => c === url).length;
  }
}

const kids = (jwks: Jwks | undefined) => jwks?.keys.map((k) => k.kid) ?? [];

let naverRing: KeyRing;
let kakaoRing: KeyRing;

beforeAll(async () => {
  naverRing = await generateKeyRing("sig");
  kakaoRing = await generateKeyRing("sig");
});

function setup(maxAge?: number, refetchAfter?: number) {
  const clock = new ManualClock(T0);
  const net = new FakeIssuers();
  net.reply[NAVER.url] = publishedJwks(naverRing);
  net.reply[KAKAO.url] = publishedJwks(kakaoRing);
  const cache =
    maxAge === undefined ? new JwksCache([NAVER, KAKAO], clock, net.fetcher) : new JwksCache([NAVER, KAKAO], clock, net.fetcher, maxAge, refetchAfter);
  return { clock, net, cache };
}

describe("JwksCache: caching", () => {
  it("fetches every source once and serves from cache for 5 minutes by default", async () => {
    const { clock, net, cache } = setup();
    const trust = await cache.trustList();
    expect(Object.keys(trust).sort()).toEqual(["kakao", "naver"]);
    expect(kids(trust.naver)).toEqual(kids(publishedJwks(naverRing)));
    expect(net.calls).toHaveLength(2);
    clock.advance(5 * 60_000 - 1);
    await cache.trustList();
    expect(net.calls).toHaveLength(2);
    clock.advance(1);
    await cache.trustList();
    expect(net.count(NAVER.url)).toBe(2);
    expect(net.count(KAKAO.url)).toBe(2);
  });

  it("honours a custom maxAge and picks up a rotated key set after it", async () => {
    const { clock, net, cache } = setup(60_000, 10_000);
    await cache.trustList();
    const rotated = await rotateKeyRing(naverRing);
    net.reply[NAVER.url] = publishedJwks(rotated);
    clock.advance(59_999);
    expect(kids((await cache.trustList()).naver)).not.toContain(rotated.next.kid);
    clock.advance(1);
    expect(kids((await cache.trustList()).naver)).toContain(rotated.next.kid);
  });

  it("asks for JSON", async () => {
    const clock = new ManualClock(T0);
    let accept: string | null = null;
    const fetcher: typeof fetch = async (_input, init) => {
      accept = new Headers(init?.headers).get("accept");
      return Response.json(publishedJwks(naverRing));
    };
    await new JwksCache([NAVER], clock, fetcher).trustList();
    expect(accept).toBe("application/json");
  });
});

describe("JwksCache: refresh for an unknown key", () => {
  it("refetches at most once per refetchAfter window (30 s by default)", async () => {
    const { clock, net, cache } = setup();
    await cache.trustList(); // fetched at T0
    expect(await cache.refresh("naver")).toBe(false); // tried just now
    clock.advance(29_999);
    for (let i = 0; i < 5; i++) expect(await cache.refresh("naver")).toBe(false);
    expect(net.count(NAVER.url)).toBe(1);
    clock.advance(1);
    expect(await cache.refresh("naver")).toBe(true);
    expect(net.count(NAVER.url)).toBe(2);
    expect(await cache.refresh("naver")).toBe(false);
    clock.advance(10_000);
    expect(await cache.refresh("naver")).toBe(false);
    expect(net.count(NAVER.url)).toBe(2);
    expect(net.count(KAKAO.url)).toBe(1); // only the asked-for source
  });

  it("a flood of refreshes within the window costs one fetch, and finds the new key", async () => {
    const { clock, net, cache } = setup();
    await cache.trustList();
    const rotated = await rotateKeyRing(naverRing);
    net.reply[NAVER.url] = publishedJwks(rotated);
    clock.advance(30_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.refresh("naver")));
    expect(results.filter(Boolean).length).toBeGreaterThanOrEqual(1);
    expect(net.count(NAVER.url)).toBe(2);
    expect(kids((await cache.trustList()).naver)).toContain(rotated.next.kid);
    expect(net.count(NAVER.url)).toBe(2); // the refetch also counts as fresh
  });

  it("refresh of a source it does not know is refused without a fetch", async () => {
    const { net, cache } = setup();
    expect(await cache.refresh("evil")).toBe(false);
    expect(net.calls).toHaveLength(0);
  });

  it("refresh before any fetch fetches", async () => {
    const { net, cache } = setup();
    expect(await cache.refresh("kakao")).toBe(true);
    expect(net.calls).toEqual([KAKAO.url]);
    expect(kids((await cache.trustList()).kakao)).toEqual(kids(publishedJwks(kakaoRing)));
    expect(net.count(KAKAO.url)).toBe(1); // the refreshed set is fresh: no second fetch
  });
});

describe("JwksCache: outages", () => {
  // attempts: a failure before any answer is tried once more at once; an answer is not.
  it.each<[string, Reply, RegExp, number]>([
    ["HTTP 503", { status: 503 }, /503/, 1],
    ["network error", new Error("connect ECONNREFUSED"), /ECONNREFUSED/, 2],
    ["not JSON", "not json", /.+/, 1],
    ["not a JWKS", { keys: "broken" }, /JWKS/, 1],
  ])("%s: keeps serving the last good keys and reports the error", async (_name, failure, message, attempts) => {
    const { clock, net, cache } = setup();
    await cache.trustList();
    net.reply[NAVER.url] = failure;
    clock.advance(5 * 60_000);
    const trust = await cache.trustList();
    expect(net.count(NAVER.url)).toBe(1 + attempts);
    expect(kids(trust.naver)).toEqual(kids(publishedJwks(naverRing)));
    const status = cache.status().find((s) => s.id === "naver")!;
    expect(status.error).toMatch(message);
    expect(status.fetchedAt).toBe(T0); // the last good fetch
    expect(status.keys).toBe(2);
    expect(cache.status().find((s) => s.id === "kakao")!.error).toBeNull();

    // Does not hammer the issuer while it is down: next try after refetchAfter.
    clock.advance(29_999);
    await cache.trustList();
    expect(net.count(NAVER.url)).toBe(1 + attempts);
    clock.advance(1);
    net.reply[NAVER.url] = publishedJwks(naverRing);
    await cache.trustList();
    expect(net.count(NAVER.url)).toBe(2 + attempts);
    expect(cache.status().find((s) => s.id === "naver")).toMatchObject({ error: null, fetchedAt: T0 + 5 * 60_000 + 30_000 });
  });

  it("a source down from the start is left out of the trust list, the others are served", async () => {
    const { net, cache } = setup();
    net.reply[NAVER.url] = { status: 500 };
    const trust = await cache.trustList();
    expect(Object.keys(trust)).toEqual(["kakao"]);
    expect(cache.status()).toEqual([
      { id: "naver", url: NAVER.url, keys: 0, fetchedAt: null, error: "HTTP 500" },
      { id: "kakao", url: KAKAO.url, keys: 2, fetchedAt: T0, error: null },
    ]);
  });

  it("a connection dropped before any answer is tried once more at once, and the keys it brings are served", async () => {
    const { net } = setup();
    const fetcher = net.fetcher;
    let dropped = false;
    const flaky = new JwksCache([NAVER, KAKAO], new ManualClock(T0), async (input, init) => {
      if (!dropped && String(input) === NAVER.url) {
        dropped = true;
        throw new TypeError("Network connection lost.");
      }
      return fetcher(input, init);
    });
    const trust = await flaky.trustList();
    expect(dropped).toBe(true);
    expect(kids(trust.naver)).toEqual(kids(publishedJwks(naverRing)));
    expect(flaky.status().find((s) => s.id === "naver")).toMatchObject({ keys: 2, error: null });
  });

  it("knows which sources are configured, whether or not their keys could be fetched", async () => {
    const { net, cache } = setup();
    net.reply[NAVER.url] = { status: 500 };
    await cache.trustList();
    expect(cache.has("naver")).toBe(true);
    expect(cache.has("kakao")).toBe(true);
    expect(cache.has("evil")).toBe(false);
  });

  it("status before any fetch", () => {
    const { cache } = setup();
    expect(cache.status()).toEqual([
      { id: "naver", url: NAVER.url, keys: 0, fetchedAt: null, error: null },
      { id: "kakao", url: KAKAO.url, keys: 0, fetchedAt: null, error: null },
    ]);
  });
});

describe("JwksCache: concurrency", () => {
  it("concurrent calls share one fetch per source", async () => {
    const { net, cache } = setup();
    let open!: () => void;
    net.gate = new Promise((resolve) => (open = resolve));
    const pending = [cache.trustList(), cache.trustList(), cache.refresh("naver"), cache.trustList()];
    await Promise.resolve();
    expect(net.count(NAVER.url)).toBe(1);
    expect(net.count(KAKAO.url)).toBe(1);
    open();
    const [a, b, , d] = await Promise.all(pending);
    for (const t of [a, b, d] as Record<string, Jwks>[]) expect(Object.keys(t).sort()).toEqual(["kakao", "naver"]);
    expect(net.calls).toHaveLength(2);
  });

  it("past maxAge one call refetches; the others keep the held keys meanwhile, unless they need a new key", async () => {
    const { clock, net, cache } = setup();
    await cache.trustList();
    const rotated = await rotateKeyRing(naverRing);
    net.reply[NAVER.url] = publishedJwks(rotated);
    clock.advance(5 * 60_000);
    let open!: () => void;
    net.gate = new Promise((resolve) => (open = resolve));
    const settled = new Set<string>();
    const track = <T,>(name: string, p: Promise<T>) => (void p.then(() => settled.add(name)), p);
    const refetching = track("refetch", cache.trustList());
    const others = [track("other 1", cache.trustList()), track("other 2", cache.trustList())];
    const newKey = track("new key", cache.refresh("naver"));
    await new Promise((r) => setTimeout(r, 0));
    expect([...settled].sort()).toEqual(["other 1", "other 2"]);
    for (const t of await Promise.all(others)) expect(kids(t.naver)).not.toContain(rotated.next.kid);
    expect(net.count(NAVER.url)).toBe(2);

    open();
    expect(kids((await refetching).naver)).toContain(rotated.next.kid);
    expect(await newKey).toBe(true);
    expect(kids((await cache.trustList()).naver)).toContain(rotated.next.kid);
    expect(net.count(NAVER.url)).toBe(2); // the new key's refetch shared the one under way
  });

  it("a failed shared fetch is tried once more for everyone, then fails for everyone at once", async () => {
    const { net, cache } = setup();
    let open!: () => void;
    net.gate = new Promise((resolve) => (open = resolve));
    net.reply[NAVER.url] = new Error("down");
    const pending = Promise.all([cache.trustList(), cache.trustList()]);
    open();
    const [a, b] = await pending;
    expect(Object.keys(a)).toEqual(["kakao"]);
    expect(Object.keys(b)).toEqual(["kakao"]);
    expect(net.count(NAVER.url)).toBe(2);
  });
});
