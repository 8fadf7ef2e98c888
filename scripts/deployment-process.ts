/**
 * One deployment as a local process: D1 migrations, then `wrangler dev --env
 * <name>` on its own port with its own state, as a separate account would
 * run it. Used by `npm start` (scripts/stack.ts) and by tests that must stop
 * and restart one party.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { localUrl, type Deployment } from "./deployments.js";
import { ROOT, devVarsPath, localUrls } from "./dev-vars.js";

const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
// CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: wrangler reads --env-file (each deployment's dev vars) only when it is on.
export const childEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "true", NO_COLOR: "1", FORCE_COLOR: "0" };

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export async function migrate(d: Deployment, stateDir: string): Promise<void> {
  if (!d.d1) return;
  try {
    await promisify(execFile)(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--env", d.env, "--persist-to", join(stateDir, d.env)], {
      cwd: ROOT,
      env: { ...childEnv, CI: "true" }, // CI: apply without asking
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`D1 migrations failed for ${d.env}:\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

/** Starts `wrangler dev` for `d`, leading its own process group (it starts workerd), logging to `logFile`. */
export function spawnDeployment(d: Deployment, stateDir: string, logFile: string): ChildProcess {
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(
    WRANGLER,
    [
      "dev", "--env", d.env, "--env-file", devVarsPath(d.env), "--ip", "127.0.0.1", "--port", String(d.port), "--inspector-port", String(d.inspectorPort),
      "--persist-to", join(stateDir, d.env), "--show-interactive-dev-session=false",
      ...(d.cron ? ["--test-scheduled"] : []),
      ...Object.entries(localUrls(d)).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ],
    // Parties talk over HTTP only. A dev registry of this stack's own keeps another
    // stack's wrangler processes (other worktrees, other tests) from restarting ours.
    { cwd: ROOT, env: { ...childEnv, WRANGLER_REGISTRY_PATH: join(stateDir, "dev-registry", d.env) }, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

/** How often the stack runs each deployment's cron: the registry's trigger is every minute. */
export const CRON_INTERVAL_MS = 60_000;

/**
 * wrangler dev does not fire cron triggers. The stack does, through the
 * /__scheduled route `--test-scheduled` adds: once at start, then every
 * minute, so the local registry repairs facility sync and deletes expired
 * rows as production does. Returns a function that stops the ticking.
 */
export function tickCrons(deployments: readonly Deployment[], report: (message: string) => void): () => void {
  const tick = () => {
    for (const d of deployments.filter((x) => x.cron)) {
      fetch(`${localUrl(d)}/__scheduled?cron=*+*+*+*+*`, { signal: AbortSignal.timeout(CRON_INTERVAL_MS / 2) }).then(
        async (res) => {
          if (!res.ok) report(`${d.env}: cron run failed (HTTP ${res.status}): ${(await res.text()).slice(0, 200)}`);
        },
        (err: unknown) => report(`${d.env}: cron run not reached: ${err instanceof Error ? err.message : String(err)}`),
      );
    }
  };
  tick();
  const timer = setInterval(tick, CRON_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

/** Stops a deployment and waits until it is gone (SIGKILL after 10 s). */
export async function stopDeployment(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  signalGroup(child, "SIGTERM");
  const timer = setTimeout(() => signalGroup(child, "SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

export async function healthy(d: Deployment): Promise<boolean> {
  try {
    return (await fetch(`${localUrl(d)}/healthz`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/**
 * Refuses ports something already listens on. Otherwise a second stack's
 * wrangler dev fails to bind while the first stack answers its /healthz, and
 * the second would report healthy and serve nothing.
 */
export async function assertPortsFree(deployments: readonly Deployment[]): Promise<void> {
  const taken: number[] = [];
  for (const port of deployments.flatMap((d) => [d.port, d.inspectorPort])) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once("error", () => resolve(false));
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
    });
    if (!free) taken.push(port);
  }
  if (taken.length > 0) {
    throw new Error(
      `${taken.length > 1 ? "Ports" : "Port"} ${taken.join(", ")} already in use: is another stack running (npm start)? Stop it, or run this one beside it on other ports: KIPASS_PORT_OFFSET=100 npm start`,
    );
  }
}

/** Waits until every deployment answers /healthz; `alive` lets the caller stop waiting for a dead one. */
export async function waitHealthy(deployments: readonly Deployment[], timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(deployments);
  while (pending.size > 0) {
    if (!alive()) throw new Error("a deployment exited during start-up");
    if (Date.now() > deadline) throw new Error(`not healthy after ${timeoutMs / 1000} s: ${[...pending].map((d) => d.env).join(", ")}`);
    for (const d of [...pending]) if (await healthy(d)) pending.delete(d);
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 500));
  }
}
