/**
 * localFetch re-sends a request that wrangler dev's proxy dropped on a stale
 * connection (503, Retry-After: 0, its plain-text message), and nothing else:
 * a party's own 503 with the error envelope reaches the caller as it is.
 * Against a loopback server that answers as the proxy does.
 */
import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { PROXY_RESENDS, WRANGLER_PROXY_RESTART, localFetch } from "../../scripts/local-fetch.js";

type Answer = { status: number; headers: Record<string, string>; body: string };
const proxyRestart: Answer = {
  status: 503,
  headers: { "retry-after": "0", "content-type": "text/plain;charset=UTF-8" },
  body: `${WRANGLER_PROXY_RESTART}. Please try sending the request again. Only GET or HEAD requests are retried automatically.`,
};
const created: Answer = { status: 201, headers: { "content-type": "application/json" }, body: '{"id":"sup-1"}' };
const ownUnavailable: Answer = {
  status: 503,
  headers: { "retry-after": "0", "content-type": "application/json" },
  body: '{"error":{"code":"sms_unavailable","message":"SMS gateway is not configured"}}',
};

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** Answers the n-th request with answers[n] (the last one from then on); records each request's body. */
async function serve(answers: Answer[]): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const a = answers[Math.min(bodies.length, answers.length - 1)]!;
      bodies.push(body);
      res.writeHead(a.status, a.headers).end(a.body);
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { url: `http://127.0.0.1:${address.port}/api/bootstrap`, bodies };
}

const post = (url: string, body: string) => localFetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });

describe("localFetch", () => {
  it("re-sends a POST the proxy dropped, with the same body, and returns the party's answer", async () => {
    const { url, bodies } = await serve([proxyRestart, created]);
    const res = await post(url, '{"id":"sup-1"}');
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ id: "sup-1" });
    expect(bodies).toEqual(['{"id":"sup-1"}', '{"id":"sup-1"}']);
  });

  it("gives up after two re-sends and returns the proxy's 503", async () => {
    const { url, bodies } = await serve([proxyRestart]);
    const res = await post(url, "{}");
    expect(res.status).toBe(503);
    expect(await res.text()).toContain(WRANGLER_PROXY_RESTART);
    expect(bodies).toHaveLength(1 + PROXY_RESENDS);
  });

  it("returns a party's own 503 at once, envelope intact", async () => {
    const { url, bodies } = await serve([ownUnavailable, created]);
    const res = await post(url, "{}");
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: "sms_unavailable", message: "SMS gateway is not configured" } });
    expect(bodies).toHaveLength(1);
  });

  it("does not re-send a request whose body is a stream (it cannot be sent again)", async () => {
    const { url, bodies } = await serve([proxyRestart, created]);
    const stream = new Blob(["{}"]).stream();
    const res = await localFetch(url, { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect(res.status).toBe(503);
    expect(bodies).toHaveLength(1);
  });
});
