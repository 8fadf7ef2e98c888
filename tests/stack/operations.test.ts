// The operator's commands over real HTTP (R-O3, R-O4): against the
// registry's own `wrangler dev` (naver's runs beside it for its JWKS), the
// alert level stops and restarts scanning; then `npm run operator -- registry
// shutdown` destroys the visits and day keys and writes a receipt that
// `npm run verify-receipt` accepts against the JWKS the registry serves, and
// refuses once one count is changed.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childEnv } from "../../scripts/deployment-process.js";
import { ROOT, readDevVars } from "../../scripts/dev-vars.js";
import { deployment, localUrl } from "../../scripts/deployments.js";
import { setAlertLevel } from "../../scripts/operator.js";
import { login, registerFacility, scanQr, validBusinessNumber } from "../../scripts/people.js";
import { SEALED_BYTES, importPartyKey, mintToken, parseKeyRing, randomBytes, type ReceiptFile } from "../../shared/src/index.js";
import { startParties, type Parties } from "./run-parties.js";

const run = promisify(execFile);
const registry = localUrl(deployment("registry"));

async function naverQr(): Promise<string> {
  const ring = parseKeyRing(readDevVars("naver").SIGNING_KEYS, "naver SIGNING_KEYS");
  return (await mintToken({ issuer: "naver", kid: ring.current.kid, privateKey: await importPartyKey(ring.current, "private"), sealed: randomBytes(SEALED_BYTES), now: Date.now() })).qr;
}

/** `npm run <script> -- args` as an operator types it; exit code and output. */
async function npmRun(script: string, ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run("npm", ["run", "--silent", script, "--", ...args], { cwd: ROOT, env: childEnv });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe("operator commands over HTTP", () => {
  let parties: Parties | undefined;
  const dir = mkdtempSync(join(tmpdir(), "kipass-receipts-"));
  beforeAll(async () => {
    parties = await startParties(170_000, ["naver", "registry"]);
  });
  afterAll(async () => {
    await parties?.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("suspends scanning at 주의, then shuts down with a receipt that verifies against the served JWKS", async () => {
    const suffix = Date.now().toString(36);
    const reg = await registerFacility(registry, {
      managerPhone: `010-6${String(Date.now()).slice(-3)}-4321`,
      loginId: `ops-owner-${suffix}`,
      password: "owner-password",
      businessName: "운영 점검 시설",
      businessNumber: validBusinessNumber(String(100_000_000 + Math.floor(Math.random() * 800_000_000))),
      addressDetail: "1층",
    });
    const device = await login(registry, `ops-owner-${suffix}`, "owner-password");
    expect(reg.status).toBe("active");
    expect((await scanQr(registry, device, await naverQr())).status).toBe(200);

    const operator = { url: registry, token: readDevVars("registry").OPERATOR_TOKEN! };
    await setAlertLevel(operator, "주의");
    expect((await scanQr(registry, device, await naverQr())).body.error?.code).toBe("collection_suspended");
    await setAlertLevel(operator, "경계");
    expect((await scanQr(registry, device, await naverQr())).status).toBe(200);

    const receiptPath = join(dir, "receipt.json");
    const shutdown = await npmRun("operator", "registry", "shutdown", "--out", receiptPath);
    expect(shutdown.code, shutdown.out).toBe(0);
    const receipt = JSON.parse(readFileSync(receiptPath, "utf8")) as ReceiptFile;
    expect(receipt.receipt).toMatchObject({ party: "registry", destroyed: { "facility.visits": 2, "token_ledger.claims": 2 } });
    expect(receipt.receipt.keyIds.length).toBeGreaterThan(0);

    const jwksUrl = `${registry}/.well-known/jwks.json`;
    const verified = await npmRun("verify-receipt", receiptPath, jwksUrl);
    expect(verified.code, verified.out).toBe(0);
    expect(verified.out).toContain("VERIFIED: destruction receipt of registry");

    receipt.receipt.destroyed["facility.visits"] = 1;
    writeFileSync(receiptPath, JSON.stringify(receipt));
    const tampered = await npmRun("verify-receipt", receiptPath, jwksUrl);
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain("NOT VERIFIED");

    expect((await scanQr(registry, device, await naverQr())).body.error?.code).toBe("collection_ended");
  });
});
