/**
 * Every deployment as its own `wrangler dev`, like `npm start`, but under the
 * test's control: one party can be stopped and started again on the same
 * state (a party outage during a trace).
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate, spawnDeployment, stopDeployment, tail, waitHealthy } from "../../scripts/deployment-process.js";
import { DEPLOYMENTS, deployment } from "../../scripts/deployments.js";
import { ensureDevVars } from "../../scripts/dev-vars.js";

export interface Parties {
  stop(env: string): Promise<void>;
  start(env: string): Promise<void>;
  stopAll(): Promise<void>;
  log(env: string): string;
  /** Where that deployment's local D1/DO state lives (for wrangler d1 execute --persist-to). */
  stateDir(env: string): string;
}

/** Starts every deployment, or only `envs` (a lean test needs two, not six). */
export async function startParties(timeoutMs = 170_000, envs: readonly string[] = DEPLOYMENTS.map((d) => d.env)): Promise<Parties> {
  const chosen = envs.map(deployment);
  await ensureDevVars();
  const dir = mkdtempSync(join(tmpdir(), "kipass-parties-"));
  await Promise.all(chosen.map((d) => migrate(d, dir)));
  const running = new Map<string, ChildProcess>();
  const logOf = (env: string) => join(dir, `${env}.log`);
  const start = async (env: string) => {
    const d = deployment(env);
    const child = spawnDeployment(d, dir, logOf(env));
    running.set(env, child);
    await waitHealthy([d], timeoutMs, () => child.exitCode === null).catch((err: unknown) => {
      throw new Error(`${env}: ${String(err)}\n${tail(logOf(env), 40)}`);
    });
  };
  for (const d of chosen) running.set(d.env, spawnDeployment(d, dir, logOf(d.env)));
  try {
    await waitHealthy(chosen, timeoutMs);
  } catch (err) {
    await Promise.all([...running.values()].map(stopDeployment));
    throw new Error(`${String(err)}\n${chosen.map((d) => `--- ${d.env}\n${tail(logOf(d.env))}`).join("\n")}`);
  }
  return {
    stop: async (env) => {
      const child = running.get(env);
      if (child) await stopDeployment(child);
    },
    start,
    stopAll: async () => {
      await Promise.all([...running.values()].map(stopDeployment));
      rmSync(dir, { recursive: true, force: true });
    },
    log: (env) => tail(logOf(env), 40),
    stateDir: (env) => join(dir, env),
  };
}
