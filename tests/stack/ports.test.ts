// `npm test` beside a running `npm start` (the README's two commands, in two
// terminals): the tests' stacks take ports of their own (KIPASS_PORT_OFFSET in
// tests/stack/vitest.config.ts), and a stack started on a port that something
// already holds says so at once, instead of taking the other stack's
// deployments for its own.
import { once } from "node:events";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { DEPLOYMENTS, deployment } from "../../scripts/deployments.js";
import { startStack } from "./run-stack.js";

/** npm start's ports (deployments.ts with no offset). */
const NPM_START_PORTS = [8701, 8702, 8703, 8710, 8720, 8730].flatMap((p) => [p, p + 1000]);

describe("ports", () => {
  it("are not npm start's in the tests' stacks", () => {
    const ours = DEPLOYMENTS.flatMap((d) => [d.port, d.inspectorPort]);
    expect(ours.filter((p) => NPM_START_PORTS.includes(p))).toEqual([]);
  });

  it("already taken stop a stack from starting, with the port and the way around it", async () => {
    const taken = deployment("registry").port;
    const holder = createServer().listen(taken, "127.0.0.1");
    await once(holder, "listening");
    try {
      await expect(startStack(60_000)).rejects.toThrow(new RegExp(`Port ${taken} already in use[^]*KIPASS_PORT_OFFSET=100 npm start`));
    } finally {
      holder.close();
    }
  });
});
