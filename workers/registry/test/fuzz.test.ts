// Issue 7 item 2: every registry endpoint, read from /openapi.json, gets
// 1,000 malformed requests — bodies, headers, tokens, sizes, content types,
// unicode — without, with bad and with valid credentials (owner, staff,
// approver, operator, the authority's signature). Every answer is a 4xx
// error envelope, never a 5xx, and no table or object changes.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { expect, it } from "vitest";
import { DEV_NOW_HEADER } from "../../../shared/src/index.js";
import { authorityKeys, refusedSignatures, signedHeaders } from "../../../tests/authority-client.js";
import { badTokens, fuzzWorker, type Credential, type FuzzRoute } from "../../../tests/fuzz-inputs.js";
import { recordFigure } from "../../../tests/reliability.js";
import { dumpD1, dumpKvObjects, dumpSqlObjects, dumpText } from "../../../tests/storage-dump.js";
import { app } from "../src/index.js";
import { BASE, activeFacility, addStaff, approver, issuerRings, json, mintQr, scan, testEnv } from "./helpers.js";

const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);
// The worker's own app, called in this isolate: the same code and bindings as
// exports.default.fetch, without a loopback hop per request (30,000 of them).
const send = async (req: Request) => app.fetch(req, env, createExecutionContext());
const bearer = (name: string, value: string): Credential => ({ name, headers: async () => ({ authorization: `Bearer ${value}` }) });

// Authority requests log every attempt, refused ones too (R-A3), and claim their request id.
const ATTEMPT_LOGS = ["authority_audit", "request_replay"];

async function snapshot(route: FuzzRoute): Promise<Record<string, string>> {
  const d1 = await dumpD1(env.DB, route.path.startsWith("/authority/") ? ATTEMPT_LOGS : []);
  return {
    ...Object.fromEntries(Object.entries(d1).map(([t, rows]) => [`D1 ${t}`, dumpText(rows)])),
    Facility: dumpText(await dumpSqlObjects(env.FACILITY)),
    TokenLedger: dumpText(await dumpSqlObjects(env.TOKEN_LEDGER)),
    DayKeyVault: dumpText(await dumpKvObjects(env.DAY_KEY_VAULT)),
  };
}

it("refuses 1,000 malformed requests per endpoint with a 4xx envelope and stores nothing", { timeout: 600_000 }, async ({ task }) => {
  const f = await activeFacility();
  const staff = await addStaff(f.session);
  const approverSession = await approver();
  // Realistic state: visits recorded, so a refused scan could collide with them.
  const tokens = [await mintQr(), await mintQr({ issuer: "pass", key: issuerRings.passNow.current })];
  for (const t of tokens) await json(await scan(staff.session, t.qr), 200);
  const fresh = await mintQr(); // never scanned: its mutations must be refused too
  const real = [...tokens, fresh];

  const credentials: Credential[] = [
    bearer("staff device", staff.session),
    bearer("owner", f.session),
    bearer("approver", approverSession),
    bearer("operator", testEnv.ADMIN_TOKEN),
    { name: "authority", headers: (method, path, body) => signedHeaders(keys, "registry", method, path, body) },
  ];
  const result = await fuzzWorker({
    worker: "registry",
    base: BASE,
    send,
    app,
    undocumented: [
      { method: "GET", path: "/", params: [], query: [], body: null },
      { method: "GET", path: "/openapi.json", params: [], query: [], body: null },
      { method: "GET", path: "/dev/outbox", params: [], query: [{ name: "phone", required: true, schema: {} }], body: null },
    ],
    credentials,
    corruptible: async (route) => ({
      authorization: [staff.session, f.session, approverSession, testEnv.ADMIN_TOKEN],
      signature: route.path.startsWith("/authority/") ? Object.values(await refusedSignatures(keys, "registry", route.method, route.path, "{}")) : [],
    }),
    extras: {
      // Tokens: random, truncated, one character changed, wrong prefix, base45 garbage — at the time the real ones were fresh.
      "POST /v1/scan": fc.tuple(badTokens(real.map((t) => t.qr)), fc.constantFrom(...real)).map(([qr, t]) => ({
        headers: { "content-type": "application/json", [DEV_NOW_HEADER]: String(t.issuedAt + 1_000) },
        body: JSON.stringify({ qr }),
        why: `bad token ${qr.slice(0, 40)}`,
        credential: 0,
      })),
    },
    snapshot,
  });

  expect(result.routes.length).toBeGreaterThan(20);
  expect(result.sent).toBe(result.routes.length * 1000);
  recordFigure(task, {
    area: "bad inputs tried",
    what: `registry: ${result.routes.length} endpoints × malformed bodies/headers/tokens/sizes`,
    count: result.sent,
  });
});
