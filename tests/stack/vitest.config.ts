import { defineProject } from "vitest/config";

// The parties together over real HTTP: `npm start` as a user runs it, on
// ports of its own (8801…, inspectors 9801…), so `npm test` runs beside a
// developer's `npm start` (8701…).
export default defineProject({
  test: {
    name: "stack",
    env: { KIPASS_PORT_OFFSET: process.env.KIPASS_PORT_OFFSET ?? "100" },
    include: ["**/*.test.ts"],
    setupFiles: ["./setup.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
