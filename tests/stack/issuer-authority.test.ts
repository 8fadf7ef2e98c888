// One issuer under `wrangler dev` with its local dev keys, over real HTTP: a
// user enrols (code from the dev SMS outbox) and gets a QR; the authority,
// with the keys `npm run keys` pinned into the issuer, asks which tokens that
// phone was issued and whose that QR is — and the answer opens only with the
// authority's key. A replay of the same signed request is refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJwks, verifyToken } from "../../shared/src/index.js";
import { readAuthorityKeys } from "../../scripts/dev-vars.js";
import { openPartyAnswer, requestId, signedRequest } from "../authority-client.js";
import { codeFromOutbox, startIssuer, type RunningIssuer } from "../issuer-dev.js";

describe("issuer over HTTP with the dev keys", () => {
  let issuer: RunningIssuer;
  beforeAll(async () => {
    issuer = await startIssuer("naver");
  });
  afterAll(async () => {
    await issuer?.stop();
  });

  const post = (path: string, body: unknown, credential?: string) =>
    fetch(issuer.url + path, {
      method: "POST",
      headers: { "content-type": "application/json", ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
      body: JSON.stringify(body),
    });

  it("enrols, mints, and answers the authority sealed", async () => {
    const phone = `010${String(Date.now()).slice(-8)}`;
    const { verificationId } = (await (await post("/api/v1/verifications", { phone })).json()) as { verificationId: string };
    const enrolled = await post("/api/v1/enrolments", {
      verificationId,
      phone,
      code: await codeFromOutbox(issuer.url, phone),
      name: "정스택",
      birthDate: "1979-09-09",
      consent: { version: "2026-11-v1", collectionUse: true, thirdParty: true },
    });
    expect(enrolled.status, await enrolled.clone().text()).toBe(201);
    const { credential } = (await enrolled.json()) as { credential: string };
    const minted = await post("/api/v1/tokens", {}, credential);
    expect(minted.status).toBe(201);
    const { qr } = (await minted.json()) as { qr: string };
    const jwksJson = await (await fetch(`${issuer.url}/.well-known/jwks.json`)).json();
    const verified = await verifyToken(qr, { naver: parseJwks(jwksJson)! }, Date.now());
    expect(verified.ok).toBe(true);

    const keys = readAuthorityKeys();
    const byPhone = await signedRequest(keys, issuer.url, {
      audience: "naver",
      path: "/authority/v1/tokens/by-phone",
      body: JSON.stringify({ phone, from: Date.now() - 60_000, to: Date.now() + 60_000 }),
      caseId: "case-stack-issuer",
    });
    const res = await fetch(byPhone.clone());
    expect(res.status).toBe(200);
    const opened = await openPartyAnswer(keys, ((await res.json()) as { answer: string }).answer, "naver", jwksJson, requestId(byPhone));
    expect(opened.ok && opened.data).toMatchObject({ issuer: "naver", tokens: [{ jti: verified.ok ? verified.jti : "" }] });
    expect((await fetch(byPhone)).status).toBe(409); // the same signed request twice

    const resolve = await signedRequest(keys, issuer.url, { audience: "naver", path: "/authority/v1/tokens/resolve", body: JSON.stringify({ tokens: [qr] }) });
    const answer = ((await (await fetch(resolve.clone())).json()) as { answer: string }).answer;
    const whose = await openPartyAnswer(keys, answer, "naver", jwksJson, requestId(resolve));
    expect(whose.ok && whose.data).toMatchObject({ resolutions: [{ status: "resolved", name: "정스택", phone, issuer: "naver" }] });
  });

  it("serves the dev SMS outbox locally, where its dev vars set DEV_MODE", async () => {
    const res = await fetch(`${issuer.url}/dev/outbox?phone=010-0000-0000`);
    expect(res.status).toBe(200);
  });
});
