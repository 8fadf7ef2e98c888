// A signed authority request passes once (R-A3), also at the edge of its
// window: a later request's cleanup of old ids must not free the id of a
// replay that passed the time check just before the window closed.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEV_NOW_HEADER, REPLAY_RETENTION_MARGIN_MS, REQUEST_SKEW_MS } from "../../../shared/src/index.js";
import { authorityKeys, requestId, signedRequest } from "../../../tests/authority-client.js";
import { BASE, send, testEnv } from "./helpers.js";

const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);
const PATH = "/authority/v1/facilities";
const BODY = JSON.stringify({ facilityIds: ["fac_AAAAAAAAAAAA"] });

const signedAt = (now: number) => signedRequest(keys, BASE, { audience: "registry", path: PATH, body: BODY, now });

/** Sends `req` as if it arrived at `at` (DEV_MODE clock). */
async function sendAt(req: Request, at: number): Promise<number> {
  const headers = new Headers(req.headers);
  headers.set(DEV_NOW_HEADER, String(at));
  const res = await send(new Request(req.url, { method: req.method, headers, body: await req.clone().arrayBuffer() }));
  await res.body?.cancel();
  return res.status;
}

const stored = async (jti: string) => (await env.DB.prepare("SELECT COUNT(*) AS n FROM request_replay WHERE jti = ?").bind(jti).first<{ n: number }>())?.n ?? 0;

describe("replay at the edge of the window", () => {
  it("refuses a replay that passed the time check even after a later request cleaned up expired ids", async () => {
    const t = Date.now();
    const r = await signedAt(t);
    const exp = JSON.parse(atob(r.headers.get("KP-Signature")!.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as { exp: number };
    const windowEnd = exp.exp * 1000 + REQUEST_SKEW_MS; // first instant R is "expired"

    expect(await sendAt(r, t)).toBe(200);
    // Another request whose clock already says the window is over runs the cleanup first...
    expect(await sendAt(await signedAt(windowEnd + 1), windowEnd + 1)).toBe(200);
    // ...then the replay of R, whose clock read came just before the window closed, claims its id.
    expect(await sendAt(r, windowEnd - 1)).toBe(409);
    expect(await stored(requestId(r))).toBe(1);

    // The id still goes once the margin is over, so the table does not grow.
    const later = windowEnd + REPLAY_RETENTION_MARGIN_MS + 1;
    expect(await sendAt(await signedAt(later), later)).toBe(200);
    expect(await stored(requestId(r))).toBe(0);
  });
});
