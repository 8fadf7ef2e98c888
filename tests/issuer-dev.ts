/**
 * Starts ONE issuer deployment (`wrangler dev --env <issuer>`) with its own
 * temporary D1/DO state, as `npm start` would start it, for the wallet
 * browser test and the issuance benchmark. The port follows
 * KIPASS_PORT_OFFSET; DEV_MODE comes from its dev vars (the SMS outbox).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertPortsFree, migrate, spawnDeployment, stopDeployment, tail, waitHealthy } from "../scripts/deployment-process.js";
import { deployment, localUrl } from "../scripts/deployments.js";
import { ensureDevVars } from "../scripts/dev-vars.js";

export { codeFromOutbox } from "../scripts/people.js";

export interface RunningIssuer {
  url: string;
  log: () => string;
  stop: () => Promise<void>;
}

export async function startIssuer(env = "naver", timeoutMs = 90_000): Promise<RunningIssuer> {
  const d = deployment(env);
  await assertPortsFree([d]);
  await ensureDevVars();
  const dir = mkdtempSync(join(tmpdir(), `kipass-${env}-`));
  const logFile = join(dir, "wrangler.log");
  await migrate(d, dir);
  const child = spawnDeployment(d, dir, logFile);
  const stop = async () => {
    await stopDeployment(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitHealthy([d], timeoutMs, () => child.exitCode === null);
  } catch (err) {
    const log = tail(logFile, 60);
    await stop();
    throw new Error(`${env}: ${String(err)}\n${log}`);
  }
  return { url: localUrl(d), log: () => tail(logFile, 200), stop };
}
