// The registry's health tells operators whether it holds every issuer's
// keys (R-U1: every scanner accepts every issuer's QR); its authority
// endpoints take only signed requests.
import { exports, env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { authorityKeys, openPartyAnswer, requestId, signedRequest } from "../../../tests/authority-client.js";

const testEnv = env as typeof env & { TEST_AUTHORITY_SIGNING: string; TEST_AUTHORITY_ENCRYPTION: string };
const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);
const BASE = "https://registry.test";
const send = (req: Request) => exports.default.fetch(req);

interface IssuerStatus {
  id: string;
  keys: number;
  error: string | null;
}

describe("registry basics", () => {
  it("reports each trusted issuer's keys, and which issuer it cannot reach", async () => {
    const res = await send(new Request(`${BASE}/healthz`));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { party: string; issuers: IssuerStatus[] };
    expect(body.party).toBe("registry");
    const byId = Object.fromEntries(body.issuers.map((i) => [i.id, i]));
    expect(byId.naver).toMatchObject({ keys: 2, error: null });
    expect(byId.pass).toMatchObject({ keys: 3, error: null }); // rotated: current, next and one retired key
    expect(byId.kakao).toMatchObject({ keys: 0, error: "HTTP 503" });
  });

  it("answers a signed ping sealed to the authority, and refuses it for an issuer's audience", async () => {
    const req = await signedRequest(keys, BASE, { audience: "registry", path: "/authority/v1/ping" });
    const res = await send(req);
    expect(res.status).toBe(200);
    const { answer } = (await res.json()) as { answer: string };
    const jwks = await (await send(new Request(`${BASE}/.well-known/jwks.json`))).json();
    expect(await openPartyAnswer(keys, answer, "registry", jwks, requestId(req))).toMatchObject({ ok: true, data: { party: "registry" } });

    const misdirected = await send(await signedRequest(keys, BASE, { audience: "naver", path: "/authority/v1/ping" }));
    expect(misdirected.status).toBe(403);
  });
});
