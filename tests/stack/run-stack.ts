/** Starts `npm start` (scripts/stack.ts) as a child, with its own state and logs, for stack tests. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEPLOYMENTS, localUrl } from "../../scripts/deployments.js";

const ROOT = new URL("../..", import.meta.url).pathname;

export interface RunningStack {
  child: ChildProcess;
  output: () => string;
  /** pid of each deployment's wrangler dev, from the printed table */
  pids: Record<string, number>;
  exited: Promise<number | null>;
  stop: () => Promise<number | null>;
}

export async function startStack(timeoutMs = 170_000): Promise<RunningStack> {
  const dir = mkdtempSync(join(tmpdir(), "kipass-stack-"));
  const child = spawn(join(ROOT, "node_modules/.bin/tsx"), ["scripts/stack.ts"], {
    cwd: ROOT,
    env: { ...process.env, KIPASS_STATE_DIR: join(dir, "state"), KIPASS_LOG_DIR: join(dir, "logs") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + timeoutMs;
  while (!out.includes("deployments healthy")) {
    if (child.exitCode !== null) throw new Error(`stack exited during start-up:\n${out}`);
    if (Date.now() > deadline) {
      child.kill("SIGINT");
      throw new Error(`stack not healthy in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, 100)); // let the table finish printing
  const pids: Record<string, number> = {};
  for (const d of DEPLOYMENTS) {
    const m = new RegExp(`^${d.env}\\s+\\S+\\s+${localUrl(d).replace(/[.]/g, "\\.")}\\s+\\d+\\s+(\\d+)`, "m").exec(out);
    if (m) pids[d.env] = Number(m[1]);
  }
  return {
    child,
    output: () => out,
    pids,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGINT");
      return exited;
    },
  };
}

/** True while anything still accepts connections on the port. */
export async function listening(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}
