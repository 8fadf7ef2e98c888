// Issue 7 item 2: every issuer endpoint, read from /openapi.json, gets 1,000
// malformed requests — bodies, headers, device credentials, sizes, content
// types, unicode — without, with bad and with valid credentials (an adult's
// device, a child's device awaiting a guardian, the authority's signature).
// Every answer is a 4xx error envelope, never a 5xx, and nothing is stored.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { authorityKeys, refusedSignatures, signedHeaders } from "../../../tests/authority-client.js";
import { fuzzWorker, type Credential, type FuzzRoute } from "../../../tests/fuzz-inputs.js";
import { recordFigure } from "../../../tests/reliability.js";
import { dumpD1, dumpKvObjects, dumpSqlObjects, dumpText } from "../../../tests/storage-dump.js";
import { app } from "../src/index.js";
import { BASE, enrol, mint } from "./wallet-client.js";

const testEnv = env as typeof env & { TEST_AUTHORITY_SIGNING: string; TEST_AUTHORITY_ENCRYPTION: string };
const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);
// The worker's own app, called in this isolate: the same code and bindings as
// exports.default.fetch, without a loopback hop per request.
const send = async (req: Request) => app.fetch(req, env, createExecutionContext());
const device = (name: string, credential: string): Credential => ({ name, headers: async () => ({ authorization: `Bearer ${credential}` }) });

// Authority requests log every attempt, refused ones too (R-A3), and claim their request id.
const ATTEMPT_LOGS = ["authority_audit", "request_replay"];

async function snapshot(route: FuzzRoute): Promise<Record<string, string>> {
  const d1 = await dumpD1(env.DB, route.path.startsWith("/authority/") ? ATTEMPT_LOGS : []);
  return {
    ...Object.fromEntries(Object.entries(d1).map(([t, rows]) => [`D1 ${t}`, dumpText(rows)])),
    UserTokens: dumpText(await dumpSqlObjects(env.USER_TOKENS)),
    DayKeyVault: dumpText(await dumpKvObjects(env.DAY_KEYS)),
  };
}

it("refuses 1,000 malformed requests per endpoint with a 4xx envelope and stores nothing", { timeout: 600_000 }, async ({ task }) => {
  const adult = await enrol();
  const child = await enrol({ birthDate: "2019-03-04" });
  expect((await mint(adult.credential)).status).toBe(201); // a token log and a day key exist

  const result = await fuzzWorker({
    worker: "issuer",
    base: BASE,
    send,
    app,
    undocumented: [
      { method: "GET", path: "/", params: [], query: [], body: null },
      { method: "GET", path: "/openapi.json", params: [], query: [], body: null },
      { method: "GET", path: "/dev/outbox", params: [], query: [{ name: "phone", required: true, schema: {} }], body: null },
    ],
    credentials: [
      device("adult's device", adult.credential),
      device("child's device", child.credential),
      { name: "authority", headers: (method, path, body) => signedHeaders(keys, "naver", method, path, body) },
    ],
    corruptible: async (route) => ({
      authorization: [adult.credential, child.credential],
      signature: route.path.startsWith("/authority/") ? Object.values(await refusedSignatures(keys, "naver", route.method, route.path, "{}")) : [],
    }),
    snapshot,
  });

  expect(result.routes.length).toBeGreaterThan(12);
  expect(result.sent).toBe(result.routes.length * 1000);
  recordFigure(task, {
    area: "bad inputs tried",
    what: `issuer: ${result.routes.length} endpoints × malformed bodies/headers/tokens/sizes`,
    count: result.sent,
  });
});
