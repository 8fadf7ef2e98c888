/**
 * `fetch` for clients of the local stack (the demo, the operator, the
 * scenario people, the stack tests). wrangler dev's proxy sometimes answers
 * a POST with 503 "Your worker restarted mid-request" although the worker
 * never restarted: it reused a connection to the runtime that the runtime's
 * 5 s keep-alive timer had just closed (workers-sdk issue 14641). The proxy
 * re-sends GET and HEAD itself but no other method. This re-sends them too,
 * as the answer's `Retry-After: 0` asks, at most twice, and only for that
 * plain-text answer: the parties' own 503s carry the JSON error envelope and
 * are returned as they are. Deployed parties have no such proxy.
 */
export const WRANGLER_PROXY_RESTART = "Your worker restarted mid-request";
export const PROXY_RESENDS = 2;

const nativeFetch = globalThis.fetch.bind(globalThis);

/** A request is re-sent only when it can be sent again byte for byte: a URL and a string body or none. */
const resendable = (input: RequestInfo | URL, init?: RequestInit) =>
  (typeof input === "string" || input instanceof URL) && (init?.body === undefined || init.body === null || typeof init.body === "string");

/** That answer of wrangler dev's proxy (also what the trace bench re-sends, over node:http). */
export const isWranglerProxyRestart = (status: number, body: string) => status === 503 && body.startsWith(WRANGLER_PROXY_RESTART);

export async function localFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  for (let resends = 0; ; resends++) {
    const res = await nativeFetch(input, init);
    if (resends === PROXY_RESENDS || res.status !== 503 || !resendable(input, init)) return res;
    if (!isWranglerProxyRestart(res.status, await res.clone().text())) return res;
  }
}

/** For the stack tests, whose many calls use the global `fetch`. */
export function useLocalFetchGlobally(): void {
  globalThis.fetch = localFetch;
}
