// Issue 7 item 2: every authority endpoint, read from /openapi.json, gets
// 1,000 malformed requests — bodies, headers, session tokens, sizes, content
// types, unicode — without, with bad and with valid credentials (a
// supervisor, an investigator, the bootstrap secret). Every answer is a 4xx
// error envelope, never a 5xx, and no table changes.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { fuzzWorker, type Credential } from "../../../tests/fuzz-inputs.js";
import { recordFigure } from "../../../tests/reliability.js";
import { dumpD1, dumpText } from "../../../tests/storage-dump.js";
import { app } from "../src/index.js";
import { BASE, call, freshSupervisor } from "./helpers.js";

// The worker's own app, called in this isolate: the same code and bindings as
// exports.default.fetch, without a loopback hop per request.
const send = async (req: Request) => app.fetch(req, env, createExecutionContext());
const BOOTSTRAP = "test-bootstrap-token-0123456789"; // vitest.config.ts
const bearer = (name: string, value: string): Credential => ({ name, headers: async () => ({ authorization: `Bearer ${value}` }) });

async function snapshot(): Promise<Record<string, string>> {
  return Object.fromEntries(Object.entries(await dumpD1(env.DB)).map(([t, rows]) => [`D1 ${t}`, dumpText(rows)]));
}

it("refuses 1,000 malformed requests per endpoint with a 4xx envelope and stores nothing", { timeout: 600_000 }, async ({ task }) => {
  const supervisor = await freshSupervisor();
  const investigator = { id: "inv-lee", name: "이조사", role: "investigator", password: "another long password" };
  expect((await call("/api/investigators", { token: supervisor, body: investigator })).status).toBe(201);
  const investigatorToken = (await call("/api/login", { body: { id: investigator.id, password: investigator.password } })).body.token as string;
  expect((await call("/api/cases", { token: investigatorToken, body: { id: "case-fuzz-1", title: "퍼징 / fuzzing" } })).status).toBe(201);

  const result = await fuzzWorker({
    worker: "authority",
    base: BASE,
    send,
    app,
    undocumented: [
      { method: "GET", path: "/", params: [], query: [], body: null },
      { method: "GET", path: "/openapi.json", params: [], query: [], body: null },
    ],
    credentials: [bearer("supervisor", supervisor), bearer("investigator", investigatorToken), bearer("bootstrap secret", BOOTSTRAP)],
    corruptible: async () => ({ authorization: [supervisor, investigatorToken, BOOTSTRAP] }),
    snapshot,
  });

  expect(result.routes.length).toBeGreaterThan(12);
  expect(result.sent).toBe(result.routes.length * 1000);
  recordFigure(task, {
    area: "bad inputs tried",
    what: `authority: ${result.routes.length} endpoints × malformed bodies/headers/tokens/sizes`,
    count: result.sent,
  });
});
