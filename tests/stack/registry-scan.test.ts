// The registry over real HTTP, as a scanner device reaches it: its own
// `wrangler dev`, verifying QR tokens against an issuer's JWKS fetched over
// HTTP from that issuer's own `wrangler dev` (naver; the others are down,
// which must not stop scans). Tokens are minted with naver's dev signing key.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, spawnDeployment, stopDeployment, tail, waitHealthy } from "../../scripts/deployment-process.js";
import { deployment, localUrl } from "../../scripts/deployments.js";
import { ensureDevVars, readDevVars } from "../../scripts/dev-vars.js";
import { SEALED_BYTES, importPartyKey, mintToken, parseKeyRing, randomBytes } from "../../shared/src/index.js";
import { addStaff, login, registerFacility, scanQr, validBusinessNumber } from "../../scripts/people.js";

const registry = localUrl(deployment("registry"));
const parties = [deployment("naver"), deployment("registry")];

async function naverQr(now = Date.now()): Promise<string> {
  const ring = parseKeyRing(readDevVars("naver").SIGNING_KEYS, "naver SIGNING_KEYS");
  return (await mintToken({ issuer: "naver", kid: ring.current.kid, privateKey: await importPartyKey(ring.current, "private"), sealed: randomBytes(SEALED_BYTES), now })).qr;
}

describe("registry scan path over HTTP", () => {
  const children: ChildProcess[] = [];
  let dir = "";
  beforeAll(async () => {
    await ensureDevVars();
    dir = mkdtempSync(join(tmpdir(), "kipass-registry-stack-"));
    await Promise.all(parties.map((d) => migrate(d, dir)));
    for (const d of parties) children.push(spawnDeployment(d, dir, join(dir, `${d.env}.log`)));
    await waitHealthy(parties, 170_000).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${parties.map((d) => tail(join(dir, `${d.env}.log`), 30)).join("\n")}`);
    });
  });
  afterAll(async () => {
    await Promise.all(children.map(stopDeployment));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("scans a fresh QR once per facility, refuses it elsewhere, and refuses bad input with the envelope", async () => {
    const suffix = Date.now().toString(36);
    const devices: string[] = [];
    for (const [i, detail] of ["1층", "2층"].entries()) {
      const reg = await registerFacility(registry, {
        managerPhone: `010-7${String(Date.now()).slice(-3)}-${String(1000 + i)}`,
        loginId: `stack-owner-${i}-${suffix}`,
        password: `owner-password-${i}`,
        businessName: `스택 시설 ${i}`,
        businessNumber: validBusinessNumber(String(100_000_000 + Math.floor(Math.random() * 800_000_000))),
        addressDetail: detail,
      });
      expect(reg.status).toBe("active");
      const owner = await login(registry, `stack-owner-${i}-${suffix}`, `owner-password-${i}`);
      await addStaff(registry, owner, `stack-gate-${i}-${suffix}`, "gate-password", "정문 입구 / main entrance");
      devices.push(await login(registry, `stack-gate-${i}-${suffix}`, "gate-password"));
    }

    const qr = await naverQr();
    const first = await scanQr(registry, devices[0]!, qr);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ ok: true, message: expect.stringContaining("인증되었습니다") });
    expect((await scanQr(registry, devices[0]!, qr)).body).toMatchObject({ ok: true, repeat: true });
    expect(await scanQr(registry, devices[1]!, qr)).toEqual({ status: 409, body: { error: { code: "token_used", message: expect.any(String) } } });
    expect((await scanQr(registry, devices[1]!, await naverQr(Date.now() - 60_000))).body.error?.code).toBe("expired");

    const big = await fetch(`${registry}/v1/scan`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${devices[0]}` },
      body: JSON.stringify({ qr: "KP1:" + "A".repeat(20_000) }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: "body_too_large" } });
  });
});
