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
import { authorityFuzzing, authorityKeys } from "../../../tests/authority-client.js";
import { DEV_OUTBOX, DEV_SEED_VISITS, LANDING_PAGE, OPENAPI_DOCUMENT, badTokens, bearerCredential, fuzzAndRecord } from "../../../tests/fuzz-inputs.js";
import { d1Snapshot, dumpKvObjects, dumpSqlObjects, dumpText } from "../../../tests/storage-dump.js";
import { app } from "../src/index.js";
import { BASE, activeFacility, addStaff, approver, issuerRings, json, mintQr, scan, testEnv } from "./helpers.js";

const authority = authorityFuzzing(authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION), "registry");

it("refuses 1,000 malformed requests per endpoint with a 4xx envelope and stores nothing", { timeout: 600_000 }, async ({ task }) => {
  const f = await activeFacility();
  const staff = await addStaff(f.session);
  const approverSession = await approver();
  // Realistic state: visits recorded, so a refused scan could collide with them.
  const tokens = [await mintQr(), await mintQr({ issuer: "pass", key: issuerRings.passNow.current })];
  for (const t of tokens) await json(await scan(staff.session, t.qr), 200);
  const real = [...tokens, await mintQr()]; // the last never scanned: its mutations must be refused too

  const result = await fuzzAndRecord(task, {
    worker: "registry",
    base: BASE,
    // The worker's own app, called in this isolate: the same code and bindings as exports.default.fetch, without a loopback hop per request.
    send: async (req) => app.fetch(req, env, createExecutionContext()),
    app,
    undocumented: [LANDING_PAGE, OPENAPI_DOCUMENT, DEV_OUTBOX, DEV_SEED_VISITS],
    credentials: [
      bearerCredential("staff device", staff.session),
      bearerCredential("owner", f.session),
      bearerCredential("approver", approverSession),
      bearerCredential("operator", testEnv.ADMIN_TOKEN),
      authority.credential,
    ],
    corruptible: async (route) => ({ authorization: [staff.session, f.session, approverSession, testEnv.ADMIN_TOKEN], signature: await authority.signatures(route) }),
    extras: {
      // Tokens: random, truncated, one character changed, wrong prefix, base45 garbage — at a time the real ones are fresh.
      "POST /v1/scan": fc.tuple(badTokens(real.map((t) => t.qr)), fc.constantFrom(...real)).map(([qr, t]) => ({
        headers: { "content-type": "application/json", [DEV_NOW_HEADER]: String(t.issuedAt + 1_000) },
        body: JSON.stringify({ qr }),
        why: `bad token ${qr.slice(0, 40)}`,
        credential: 0,
      })),
    },
    snapshot: async (route) => ({
      ...(await d1Snapshot(env.DB, route.path)),
      Facility: dumpText(await dumpSqlObjects(env.FACILITY)),
      TokenLedger: dumpText(await dumpSqlObjects(env.TOKEN_LEDGER)),
      DayKeyVault: dumpText(await dumpKvObjects(env.DAY_KEY_VAULT)),
    }),
  });
  expect(result.routes.length).toBeGreaterThan(20);
});
