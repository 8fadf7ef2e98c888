/**
 * `npm start`: the whole system locally, one `wrangler dev` per deployment on
 * its own port (as separate accounts: HTTP between them, no bindings), with
 * local D1/DO state. First run generates every party's keys. Waits until
 * every deployment answers /healthz, then prints the table of URLs.
 * Ctrl-C stops them all; a deployment that dies is reported with its log.
 * Cron triggers run every minute (wrangler dev does not fire them).
 *
 * KIPASS_STATE_DIR   where local D1/DO state lives (default .wrangler/state)
 * KIPASS_LOG_DIR     where each deployment's log goes (default .stack/logs)
 * KIPASS_PORT_OFFSET shifts every port (two stacks side by side)
 */
import type { ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { assertPortsFree, migrate, signalGroup, spawnDeployment, tail, tickCrons, waitHealthy } from "./deployment-process.js";
import { DEPLOYMENTS, localUrl } from "./deployments.js";
import { ROOT, ensureDevVars } from "./dev-vars.js";

const STATE_DIR = resolve(ROOT, process.env.KIPASS_STATE_DIR ?? ".wrangler/state");
const LOG_DIR = resolve(ROOT, process.env.KIPASS_LOG_DIR ?? ".stack/logs");
const READY_TIMEOUT_MS = 120_000;

const children = new Map<string, ChildProcess>();
let stopping = false;
let stopCrons = () => {};

/** Stops every deployment; the process exits with `code` once they are gone. */
function shutdown(code: number): void {
  stopping = true;
  stopCrons();
  process.exitCode = code;
  for (const child of children.values()) signalGroup(child, "SIGTERM");
  const force = setTimeout(() => {
    for (const child of children.values()) signalGroup(child, "SIGKILL");
    process.exit(code);
  }, 10_000);
  force.unref();
}

function printTable(): void {
  const rows = DEPLOYMENTS.map((d) => [d.env, d.kind, localUrl(d), String(d.inspectorPort), String(children.get(d.env)?.pid ?? "")]);
  const head = ["deployment", "kind", "url", "inspector", "pid"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(`\nKI-Pass edge: all ${DEPLOYMENTS.length} deployments healthy\n`);
  console.log(line(head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
  const crons = DEPLOYMENTS.filter((d) => d.cron).map((d) => d.env);
  if (crons.length) console.log(`\nCron triggers (${crons.join(", ")}) run every minute: wrangler dev does not fire them, this stack does.`);
  console.log(`\nLogs: ${LOG_DIR}   State: ${STATE_DIR}   Ctrl-C stops everything.`);
}

async function main(): Promise<void> {
  await assertPortsFree(DEPLOYMENTS);
  mkdirSync(LOG_DIR, { recursive: true });
  mkdirSync(STATE_DIR, { recursive: true });
  const written = await ensureDevVars();
  if (written.length) console.log(`Generated dev keys for: ${written.join(", ")}`);
  await Promise.all(DEPLOYMENTS.map((d) => migrate(d, STATE_DIR)));
  console.log("D1 migrations applied.");
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      if (!stopping) console.log("\nStopping every deployment…");
      shutdown(0);
    });
  }
  for (const d of DEPLOYMENTS) {
    const logFile = join(LOG_DIR, `${d.env}.log`);
    writeFileSync(logFile, "");
    const child = spawnDeployment(d, STATE_DIR, logFile);
    children.set(d.env, child);
    child.on("exit", (code, signal) => {
      if (stopping) return;
      console.error(`\n✗ ${d.env} exited (${signal ?? `code ${code}`}). Last lines of ${logFile}:\n${tail(logFile)}\n`);
      console.error("Stopping the other deployments.");
      shutdown(1);
    });
  }
  try {
    await waitHealthy(DEPLOYMENTS, READY_TIMEOUT_MS, () => !stopping);
  } catch (err) {
    const logs = DEPLOYMENTS.map((d) => `--- ${d.env}\n${tail(join(LOG_DIR, `${d.env}.log`))}`).join("\n");
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${logs}`);
  }
  printTable();
  stopCrons = tickCrons(DEPLOYMENTS, (message) => console.error(`✗ ${message}`));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  shutdown(1);
});
