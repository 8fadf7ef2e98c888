// `npm run demo` runs to the end against `npm start`, and its contact list
// is the one the scenario implies: the two people at the case's karaoke
// room within the window, not the late visitor, nobody from elsewhere.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type RunningStack } from "./run-stack.js";

describe("npm run demo", () => {
  let stack: RunningStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("narrates a day of check-ins and a trace, to the end", { timeout: 180_000 }, async () => {
    const root = new URL("../..", import.meta.url).pathname;
    const { stdout } = await promisify(execFile)("npx", ["tsx", "scripts/demo.ts"], { cwd: root, env: process.env });
    expect(stdout).toContain("Demo finished.");
    const contacts = stdout.split("\n").filter((l) => /^ {2}authority +\S+ +010\d{8} +via /.test(l));
    expect(contacts.map((l) => l.trim().split(/\s+/)[1])).toEqual(["이서연", "박도윤"]);
    expect(stdout).toContain("trace complete");
    expect(stdout).toContain("every hash chain verifies");
    expect(stdout).toMatch(/manager +19:00 +█{3} 3/);
  });
});
