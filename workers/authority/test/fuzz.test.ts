// Issue 7 item 2: every authority endpoint, read from /openapi.json, gets
// 1,000 malformed requests — bodies, headers, session tokens, sizes, content
// types, unicode — without, with bad and with valid credentials (a
// supervisor, an investigator, the bootstrap secret). Every answer is a 4xx
// error envelope, never a 5xx, and no table changes.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { LANDING_PAGE, OPENAPI_DOCUMENT, bearerCredential, fuzzAndRecord } from "../../../tests/fuzz-inputs.js";
import { d1Snapshot } from "../../../tests/storage-dump.js";
import { app } from "../src/index.js";
import { call, freshSupervisor } from "./helpers.js";

const BOOTSTRAP = "test-bootstrap-token-0123456789"; // vitest.config.ts

it("refuses 1,000 malformed requests per endpoint with a 4xx envelope and stores nothing", { timeout: 600_000 }, async ({ task }) => {
  const supervisor = await freshSupervisor();
  const investigator = { id: "inv-lee", name: "이조사", role: "investigator", password: "another long password" };
  expect((await call("/api/investigators", { token: supervisor, body: investigator })).status).toBe(201);
  const investigatorToken = (await call("/api/login", { body: { id: investigator.id, password: investigator.password } })).body.token as string;
  expect((await call("/api/cases", { token: investigatorToken, body: { id: "case-fuzz-1", title: "퍼징 / fuzzing" } })).status).toBe(201);

  const result = await fuzzAndRecord(task, {
    worker: "authority",
    base: "https://authority.test",
    // The worker's own app, called in this isolate: the same code and bindings as exports.default.fetch, without a loopback hop per request.
    send: async (req) => app.fetch(req, env, createExecutionContext()),
    app,
    undocumented: [LANDING_PAGE, OPENAPI_DOCUMENT],
    credentials: [bearerCredential("supervisor", supervisor), bearerCredential("investigator", investigatorToken), bearerCredential("bootstrap secret", BOOTSTRAP)],
    corruptible: async () => ({ authorization: [supervisor, investigatorToken, BOOTSTRAP] }),
    snapshot: (route) => d1Snapshot(env.DB, route.path),
  });
  expect(result.routes.length).toBeGreaterThan(12);
});
