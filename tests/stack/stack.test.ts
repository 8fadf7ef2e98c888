// `npm start` as a user runs it: six wrangler dev processes, one per
// deployment (as separate accounts would be), talking over real HTTP.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYMENTS, ISSUERS, deployment, localUrl } from "../../scripts/deployments.js";
import { readAuthorityKeys, readDevVars } from "../../scripts/dev-vars.js";
import { openPartyAnswer, requestId, signedRequest } from "../authority-client.js";
import { listening, startStack, type RunningStack } from "./run-stack.js";

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe("the local stack", () => {
  let stack: RunningStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("prints one table with every deployment, its URL and its own port", () => {
    for (const d of DEPLOYMENTS) expect(stack.output()).toMatch(new RegExp(`^${d.env}\\s+${d.kind}\\s+${localUrl(d).replace(/\./g, "\\.")}`, "m"));
    expect(new Set(DEPLOYMENTS.map((d) => d.port)).size).toBe(DEPLOYMENTS.length);
    expect(Object.keys(stack.pids)).toHaveLength(DEPLOYMENTS.length);
  });

  it("has every deployment healthy, each answering as its own party", async () => {
    for (const d of DEPLOYMENTS) {
      const { status, body } = await get(`${localUrl(d)}/healthz`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ ok: true, party: d.env });
    }
  });

  it("has the registry holding every issuer's published keys", async () => {
    const { body } = await get(`${localUrl(deployment("registry"))}/healthz`);
    const issuers = body.issuers as { id: string; keys: number; error: string | null }[];
    expect(issuers.map((i) => i.id).sort()).toEqual(ISSUERS.map((i) => i.env).sort());
    for (const issuer of ISSUERS) {
      const published = (await get(`${localUrl(issuer)}/.well-known/jwks.json`)).body.keys as unknown[];
      expect(published).toHaveLength(2);
      expect(issuers.find((i) => i.id === issuer.env)).toMatchObject({ keys: published.length, error: null });
    }
  });

  it("gives every issuer and the registry its own keys", async () => {
    const kids = new Set<string>();
    for (const d of DEPLOYMENTS.filter((x) => x.kind !== "scanner-ui")) {
      const { keys } = (await get(`${localUrl(d)}/.well-known/jwks.json`)).body as { keys: { kid: string }[] };
      for (const k of keys) kids.add(k.kid);
    }
    expect(kids.size).toBe(2 * 5 + 2); // 5 signing rings + the authority's encryption ring
  });

  it("lets the authority reach every issuer and the registry with a signed request, once", async () => {
    const keys = readAuthorityKeys();
    for (const party of [...ISSUERS, deployment("registry")]) {
      const req = await signedRequest(keys, localUrl(party), { audience: party.env, path: "/authority/v1/ping", caseId: "case-stack" });
      const res = await fetch(req.clone());
      expect(res.status).toBe(200);
      const { answer } = (await res.json()) as { answer: string };
      const jwks = (await get(`${localUrl(party)}/.well-known/jwks.json`)).body;
      expect(await openPartyAnswer(keys, answer, party.env, jwks, requestId(req))).toMatchObject({ ok: true, data: { party: party.env } });
      const replay = await fetch(req);
      expect(replay.status).toBe(409);
    }
  });

  it("lets a supervisor check the authority's signed channel to every party", async () => {
    const authority = localUrl(deployment("authority"));
    const post = (path: string, body: unknown, auth = "") =>
      fetch(authority + path, { method: "POST", headers: { "content-type": "application/json", authorization: auth }, body: JSON.stringify(body) });
    const supervisor = { id: "sup-stack", name: "스택 감독", role: "supervisor", password: "stack test password" };
    expect((await post("/api/bootstrap", supervisor, `Bearer ${readDevVars("authority").BOOTSTRAP_TOKEN}`)).status).toBe(201);
    const { token } = (await (await post("/api/login", { id: supervisor.id, password: supervisor.password })).json()) as { token: string };
    const rows = (await (await post("/api/parties/check", {}, `Bearer ${token}`)).json()) as { party: string; ok: boolean }[];
    expect(rows.map((r) => [r.party, r.ok])).toEqual([...ISSUERS.map((i) => [i.env, true]), ["registry", true]]);

    // Each party logged the handshake in its own chain, matching the authority's log.
    const audit = (await (await fetch(`${authority}/api/cases/connectivity-check/audit`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      rows: { party: string; sent: string; received: string }[];
      problems: string[];
    };
    expect(audit.problems).toEqual([]);
    expect(audit.rows.map((r) => [r.party, r.sent, r.received])).toEqual(
      expect.arrayContaining([...ISSUERS.map((i) => [i.env, "answered", "accepted 200"]), ["registry", "answered", "accepted 200"]]),
    );
  });

  it("runs the registry's cron, which wrangler dev does not fire, as production does", async () => {
    // The deployments the stack ticks are those with cron triggers in wrangler.toml.
    const withTriggers = [...readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8").matchAll(/^\[env\.([\w-]+)\.triggers\]/gm)].map((m) => m[1]);
    expect(DEPLOYMENTS.filter((d) => d.cron).map((d) => d.env)).toEqual(withTriggers);
    expect(withTriggers).toContain("registry");
    // Each run is recorded and shown at /healthz: facility sync repair and expiry ran.
    const deadline = Date.now() + 20_000;
    let maintenance: { lastRunAt: number | null; lastRun: unknown; facilitiesOutOfSync: number } | undefined;
    while (Date.now() < deadline) {
      maintenance = (await get(`${localUrl(deployment("registry"))}/healthz`)).body.maintenance as typeof maintenance;
      if (maintenance?.lastRunAt) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(maintenance).toMatchObject({ lastRunAt: expect.any(Number), lastRun: { sync: { failed: 0 }, deleted: { sessions: expect.any(Number) } }, facilitiesOutOfSync: 0 });
    expect(stack.output()).not.toMatch(/cron run (failed|not reached)/);
  });

  it("serves the scanner UI page and each party's OpenAPI document", async () => {
    const page = await fetch(`${localUrl(deployment("scanner-ui"))}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("KI-Pass");
    for (const d of DEPLOYMENTS.filter((x) => x.kind !== "scanner-ui")) {
      expect((await get(`${localUrl(d)}/openapi.json`)).body).toMatchObject({ openapi: "3.1.0" });
    }
  });

  it("reports a deployment that dies, and stops the others", async () => {
    process.kill(-stack.pids.naver!, "SIGKILL");
    expect(await stack.exited).toBe(1);
    expect(stack.output()).toMatch(/naver exited/);
    for (const d of DEPLOYMENTS) expect(await listening(d.port)).toBe(false);
  });
});

describe("stopping the stack", () => {
  it("Ctrl-C stops every deployment and exits cleanly", async () => {
    const stack = await startStack();
    expect(await stack.stop()).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    for (const d of DEPLOYMENTS) expect(await listening(d.port)).toBe(false);
  });
});
