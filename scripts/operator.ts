/**
 * The operator's commands (R-O3, R-O4) against one party over HTTPS.
 *   npm run operator -- <party> mode
 *   npm run operator -- <party> level <관심|주의|경계|심각>
 *   npm run operator -- <party> shutdown [--out receipt.json]
 * <party> is a URL (token from the OPERATOR_TOKEN environment variable) or a
 * local deployment name (naver, registry, authority…: URL and token from
 * .dev-vars/). `shutdown` POSTs until the party reports done, then writes the
 * signed destruction receipt; check it with `npm run verify-receipt`.
 */
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { ALERT_LEVELS, SHUTDOWN_CONFIRMATION, receiptFileSchema, type AlertLevel, type ReceiptFile } from "../shared/src/index.js";
import { DEPLOYMENTS, deployment, localUrl } from "./deployments.js";
import { readDevVars } from "./dev-vars.js";
import { localFetch } from "./local-fetch.js";

export interface Party {
  url: string;
  token: string;
}

async function send(party: Party, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await localFetch(party.url + path, {
    method,
    headers: { authorization: `Bearer ${party.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await res.json()) as unknown;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

export const setAlertLevel = (party: Party, level: AlertLevel) => send(party, "PUT", "/operations/v1/alert-level", { level });

/** Runs the shutdown to the end (one chunk per call) and returns the signed receipt. */
export async function shutdownParty(party: Party, progress: (phase: string | null, destroyed: Record<string, number>) => void = () => {}): Promise<ReceiptFile> {
  for (let calls = 0; calls < 100_000; calls++) {
    const step = (await send(party, "POST", "/operations/v1/shutdown", { confirm: SHUTDOWN_CONFIRMATION })) as {
      done: boolean;
      phase: string | null;
      destroyed: Record<string, number>;
      waitMs?: number;
      receipt?: unknown;
    };
    if (step.done) return receiptFileSchema.parse(step.receipt);
    progress(step.phase, step.destroyed);
    if (step.waitMs) await new Promise((r) => setTimeout(r, step.waitMs));
  }
  throw new Error("shutdown did not finish");
}

function resolveParty(target: string): Party {
  if (/^https?:\/\//.test(target)) {
    const token = process.env.OPERATOR_TOKEN;
    if (!token) throw new Error("set OPERATOR_TOKEN to this party's operator token");
    return { url: target.replace(/\/$/, ""), token };
  }
  const d = deployment(target);
  const token = readDevVars(d.env).OPERATOR_TOKEN;
  if (!token) throw new Error(`.dev-vars/${d.env}.env has no OPERATOR_TOKEN (run npm run keys)`);
  return { url: localUrl(d), token };
}

async function main(args: string[]): Promise<void> {
  const [target, command, ...rest] = args;
  const usage = `usage: npm run operator -- <url | ${DEPLOYMENTS.map((d) => d.env).join(" | ")}> mode | level <${ALERT_LEVELS.join("|")}> | shutdown [--out receipt.json]`;
  if (!target || !command) throw new Error(usage);
  const party = resolveParty(target);
  if (command === "mode") {
    console.log(JSON.stringify(await (await localFetch(`${party.url}/operations/v1/mode`)).json(), null, 2));
  } else if (command === "level") {
    const level = ALERT_LEVELS.find((l) => l === rest[0]);
    if (!level) throw new Error(usage);
    console.log(JSON.stringify(await setAlertLevel(party, level), null, 2));
  } else if (command === "shutdown") {
    const outAt = rest.indexOf("--out");
    const out = outAt >= 0 ? rest[outAt + 1] : `receipt-${target.replace(/[^A-Za-z0-9.-]/g, "_")}.json`;
    if (!out) throw new Error(usage);
    const receipt = await shutdownParty(party, (phase, destroyed) => console.error(`… ${phase ?? "finishing"}: ${JSON.stringify(destroyed)}`));
    writeFileSync(out, `${JSON.stringify(receipt, null, 2)}\n`);
    console.log(`destroyed: ${JSON.stringify(receipt.receipt.destroyed)}; ${receipt.receipt.keyIds.length} day keys`);
    console.log(`receipt written to ${out}; verify: npm run verify-receipt -- ${out} ${party.url}/.well-known/jwks.json`);
  } else {
    throw new Error(usage);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
