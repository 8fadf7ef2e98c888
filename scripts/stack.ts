/**
 * `npm start`: the whole system locally, one `wrangler dev` per deployment on
 * its own port (as separate accounts: HTTP between them, no bindings), with
 * local D1/DO state. First run generates every party's keys. Waits until
 * every deployment answers /healthz, then prints the table of URLs.
 * Ctrl-C stops them all; a deployment that dies is reported with its log.
 *
 * KIPASS_STATE_DIR  where local D1/DO state lives (default .wrangler/state)
 * KIPASS_LOG_DIR    where each deployment's log goes (default .stack/logs)
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEPLOYMENTS, localUrl, type Deployment } from "./deployments.js";
import { ROOT, ensureDevVars, localUrls } from "./dev-vars.js";

const STATE_DIR = resolve(ROOT, process.env.KIPASS_STATE_DIR ?? ".wrangler/state");
const LOG_DIR = resolve(ROOT, process.env.KIPASS_LOG_DIR ?? ".stack/logs");
const READY_TIMEOUT_MS = 120_000;
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const childEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1", FORCE_COLOR: "0" };

const stateOf = (d: Deployment) => join(STATE_DIR, d.env);
const logOf = (d: Deployment) => join(LOG_DIR, `${d.env}.log`);

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

async function migrate(d: Deployment): Promise<void> {
  try {
    await promisify(execFile)(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--env", d.env, "--persist-to", stateOf(d)], {
      cwd: ROOT,
      env: { ...childEnv, CI: "true" }, // CI: apply without asking
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`D1 migrations failed for ${d.env}:\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

const children = new Map<string, ChildProcess>();
let stopping = false;

/** Stops every deployment; the process exits with `code` once they are gone. */
function shutdown(code: number): void {
  stopping = true;
  process.exitCode = code;
  stopAll();
  const force = setTimeout(() => {
    for (const child of children.values()) if (child.pid && child.exitCode === null) tryKill(-child.pid, "SIGKILL");
    process.exit(code);
  }, 10_000);
  force.unref();
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

function stopAll(): void {
  for (const child of children.values()) {
    // Each wrangler dev leads its own process group (it starts workerd): signal the group.
    if (child.pid && child.exitCode === null) tryKill(-child.pid, "SIGTERM");
  }
}

function start(d: Deployment): void {
  const log = createWriteStream(logOf(d));
  const child = spawn(
    WRANGLER,
    [
      "dev", "--env", d.env, "--ip", "127.0.0.1", "--port", String(d.port), "--inspector-port", String(d.inspectorPort),
      "--persist-to", stateOf(d), "--show-interactive-dev-session=false",
      ...Object.entries(localUrls(d)).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ],
    { cwd: ROOT, env: childEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  children.set(d.env, child);
  child.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`\n✗ ${d.env} exited (${signal ?? `code ${code}`}). Last lines of ${logOf(d)}:\n${tail(logOf(d))}\n`);
    console.error("Stopping the other deployments.");
    shutdown(1);
  });
}

async function healthy(d: Deployment): Promise<boolean> {
  try {
    const res = await fetch(`${localUrl(d)}/healthz`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

async function waitUntilHealthy(): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const pending = new Set(DEPLOYMENTS);
  while (pending.size > 0) {
    if (stopping) throw new Error("a deployment exited during start-up");
    if (Date.now() > deadline) {
      const names = [...pending].map((d) => d.env);
      throw new Error(`not healthy after ${READY_TIMEOUT_MS / 1000} s: ${names.join(", ")}\n${[...pending].map((d) => `--- ${d.env}\n${tail(logOf(d))}`).join("\n")}`);
    }
    for (const d of [...pending]) if (await healthy(d)) pending.delete(d);
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 500));
  }
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
  console.log(`\nLogs: ${LOG_DIR}   State: ${STATE_DIR}   Ctrl-C stops everything.`);
}

async function main(): Promise<void> {
  mkdirSync(LOG_DIR, { recursive: true });
  mkdirSync(STATE_DIR, { recursive: true });
  const written = await ensureDevVars();
  if (written.length) console.log(`Generated dev keys for: ${written.join(", ")}`);
  await Promise.all(DEPLOYMENTS.filter((d) => d.d1).map(migrate));
  console.log("D1 migrations applied.");
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      if (!stopping) console.log("\nStopping every deployment…");
      shutdown(0);
    });
  }
  for (const d of DEPLOYMENTS) start(d);
  await waitUntilHealthy();
  printTable();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  shutdown(1);
});
