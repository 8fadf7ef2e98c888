// Issue 7 item 2: every issuer endpoint, read from /openapi.json, gets 1,000
// malformed requests — bodies, headers, device credentials, sizes, content
// types, unicode — without, with bad and with valid credentials (an adult's
// device, a child's device awaiting a guardian, the authority's signature).
// Every answer is a 4xx error envelope, never a 5xx, and nothing is stored.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { authorityFuzzing, authorityKeys } from "../../../tests/authority-client.js";
import { DEV_OUTBOX, LANDING_PAGE, OPENAPI_DOCUMENT, bearerCredential, fuzzAndRecord } from "../../../tests/fuzz-inputs.js";
import { d1Snapshot, dumpKvObjects, dumpSqlObjects, dumpText } from "../../../tests/storage-dump.js";
import { app } from "../src/index.js";
import { BASE, enrol, mint } from "./wallet-client.js";

const testEnv = env as typeof env & { TEST_AUTHORITY_SIGNING: string; TEST_AUTHORITY_ENCRYPTION: string };
const authority = authorityFuzzing(authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION), "naver");

it("refuses 1,000 malformed requests per endpoint with a 4xx envelope and stores nothing", { timeout: 600_000 }, async ({ task }) => {
  const adult = await enrol();
  const child = await enrol({ birthDate: "2019-03-04" });
  expect((await mint(adult.credential)).status).toBe(201); // a token log and a day key exist

  const result = await fuzzAndRecord(task, {
    worker: "issuer",
    base: BASE,
    // The worker's own app, called in this isolate: the same code and bindings as exports.default.fetch, without a loopback hop per request.
    send: async (req) => app.fetch(req, env, createExecutionContext()),
    app,
    undocumented: [LANDING_PAGE, OPENAPI_DOCUMENT, DEV_OUTBOX],
    credentials: [bearerCredential("adult's device", adult.credential), bearerCredential("child's device", child.credential), authority.credential],
    corruptible: async (route) => ({ authorization: [adult.credential, child.credential], signature: await authority.signatures(route) }),
    snapshot: async (route) => ({
      ...(await d1Snapshot(env.DB, route.path)),
      UserTokens: dumpText(await dumpSqlObjects(env.USER_TOKENS)),
      DayKeyVault: dumpText(await dumpKvObjects(env.DAY_KEYS)),
    }),
  });
  expect(result.routes.length).toBeGreaterThan(12);
});
